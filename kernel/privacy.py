"""Phones and names: how they are read, checked and masked (SPEC §3, §9). No Django import.

Every place that shows, logs or reports personal data masks it the same way.
"""

from __future__ import annotations

import re
import unicodedata

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Landline with its area code: 010/02x + 8 digits, or 0xxx + 7–8 digits; an extension may follow.
_LANDLINE = re.compile(r"^0(?:10|2\d)\d{8}$|^0[3-9]\d{2}\d{7,8}$")


def normalize_phone(raw: str) -> str:
    """Return the digits of a Chinese phone number, without +86, spaces or dashes."""
    digits = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def is_valid_phone(normalized: str) -> bool:
    """Tell whether a normalised number is a mainland mobile or a landline with area code."""
    return bool(MOBILE.match(normalized) or _LANDLINE.match(normalized))


def mask_phone(phone: str) -> str:
    """Mask a phone number as 138****8000: the first 3 and last 4 digits stay (SPEC §3)."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_name(name: str) -> str:
    """Mask a name as 张** : only the first character stays."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def is_mobile(normalized: str) -> bool:
    """Tell whether a normalised number can take an SMS (a mainland mobile)."""
    return bool(MOBILE.match(normalized))
