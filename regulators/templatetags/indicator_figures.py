"""How the 监管指标 page prints a figure: "—" when it cannot be computed, never 0 or ∞."""

from django import template

register = template.Library()


@register.filter
def figure(value, places=None):
    if value is None:
        return "—"
    return value


@register.filter
def signed(value):
    """A change in percent with its sign: +3.2 %, −1.0 %; "—" without a base."""
    if value is None:
        return "—"
    return f"+{value} %" if value > 0 else f"{value} %".replace("-", "−")
