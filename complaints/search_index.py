"""The text the search box reads in a complaint, as one indexable SQL expression.

Chinese words are mostly two characters, which have no trigram, so a pg_trgm index could not
narrow `LIKE '%破损%'`. Doubling every character ("破损" → "破破损损") gives each pair trigrams and
keeps substring tests exact: text contains w exactly when doubled(text) contains doubled(w).
"""

from __future__ import annotations

from django.db.models import F, Func, TextField, Value

# No field of the text ever contains this line break between name and description as typed by
# the search (words are split on whitespace), so a word never matches across the two fields.
_JOIN = "\n"


def searchable_text() -> Func:
    """lower(regexp_replace(complainant_name || '\\n' || description, '(.)', '\\1\\1', 'g'))."""
    joined = Func(
        F("complainant_name"),
        Value(_JOIN),
        F("description"),
        # Keyword order as migrations write it: Django compares these expressions by it.
        arg_joiner=" || ",
        output_field=TextField(),
        template="(%(expressions)s)",
    )
    doubled = Func(
        joined,
        Value("(.)"),
        Value("\\1\\1"),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )
    return Func(doubled, function="lower", output_field=TextField())


def doubled(word: str) -> str:
    """A search word in the form searchable_text() stores: each character twice, lower case."""
    return "".join(ch + ch for ch in word.lower())
