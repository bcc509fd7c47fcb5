"""Template helpers for the claim panel."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """Format an amount as ¥1,234.50; blank for None."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"¥{amount:,.2f}"


@register.filter
def get(mapping, key):
    """Look a key up in a dict (field errors by field name)."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
