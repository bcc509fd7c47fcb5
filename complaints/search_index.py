"""The text the search box reads in a complaint, as one indexable SQL expression.

pg_trgm indexes trigrams (three consecutive characters). Chinese words are mostly two
characters (破损, 赔偿, 延误), which have no trigram of their own, so a trigram index could not
narrow `LIKE '%破损%'` and PostgreSQL would read every complaint. Doubling every character
("破损" → "破破损损") turns each pair of neighbours into trigrams ("破破损", "破损损") and keeps
the meaning of a substring test: text contains w exactly when doubled(text) contains
doubled(w). One GIN index on lower(doubled(name + description)) therefore serves words of two
characters and more, Chinese or Latin. The expression is immutable (regexp_replace, lower).
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
