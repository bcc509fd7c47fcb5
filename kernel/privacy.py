"""Phones and names: how they are read, checked and masked (SPEC §3, §9). No Django import.

Every place that shows, logs or reports personal data masks it the same way.
"""

from __future__ import annotations

import re
import unicodedata

# ASCII digits only: Python's \d also matches Arabic-Indic, Devanagari… digits, which no
# telephone network dials (issue 19 §10).
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Landline with its area code: 010/02x + 8 digits, or 0xxx + 7–8 digits; an extension may follow.
_LANDLINE = re.compile(r"^0(?:10|2[0-9])[0-9]{8}$|^0[3-9][0-9]{2}[0-9]{7,8}$")
# What people type between the digits: spaces of any kind, dashes of any kind (after NFKC the
# full-width ones are ASCII), dots and brackets around the area code.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc.·()（）]")


def normalize_phone(raw: str) -> str:
    """Return a Chinese phone number as stored and searched: digits only, no +86 / 0086.

    NFKC first (full-width ５ → 5), then separators go. Digits of other scripts stay as they
    are, so that is_valid_phone refuses them instead of reading them as something else.
    """
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def has_foreign_digits(text: str) -> bool:
    """Tell whether `text` holds a digit that is not 0–9 (Arabic-Indic ٣, Devanagari ३…)."""
    return any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text or "")


def is_valid_phone(normalized: str) -> bool:
    """Tell whether a normalised number is a mainland mobile or a landline with area code."""
    return bool(MOBILE.fullmatch(normalized) or _LANDLINE.fullmatch(normalized))


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
    return bool(MOBILE.fullmatch(normalized))
