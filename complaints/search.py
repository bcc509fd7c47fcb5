"""One search box for staff (issue 20 §4): ticket, waybill or phone in full or in part, name and
complaint text; ranked, scoped to what the user may see.

Too short a word is dropped (it would match a large part of the database); every word must
match (AND) and where it matches decides the rank. See docs/console.md, "Search".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce
from operator import add, and_

from django.db.models import BooleanField, Case, F, Func, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from kernel import privacy
from kernel.errors import InvalidInput

from .models import Complaint
from .rules import normalize_tracking_no
from .search_index import doubled, searchable_text

MIN_NUMBER_CHARS = 4  # "the last 4 digits of a phone" (issue 20 §4)
MIN_TEXT_CHARS = 2  # most Chinese words and surnames+given names have two characters
MAX_WORDS = 5
MAX_TERM_CHARS = 100
_IDENT = re.compile(r"^[A-Z0-9]+$")

# The rank of a complaint is the sum, over the words, of the best place each word matched.
RANK_TICKET = 1000  # the whole term is its ticket number
RANK_WAYBILL = 800  # the whole term is its waybill number
RANK_PHONE = 800  # the whole term is its phone number
RANK_PHONE_END = 300  # a word ends its phone (the last digits customers read out)
RANK_NAME = 300  # a word is the customer's whole name
RANK_NUMBER_PART = 200  # a word is inside its phone, waybill or ticket number
RANK_NAME_PART = 150  # a word is inside the customer's name
RANK_TEXT = 100  # a word is in the name or the complaint text


@dataclass(frozen=True)
class Terms:
    """What a search term asks for: an exact phone, or words of two kinds."""

    whole: str = ""  # the term in the spelling of ticket and waybill numbers
    phone: str = ""  # set when the whole term is a phone number
    numbers: tuple[str, ...] = field(default_factory=tuple)
    words: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.phone or self.numbers or self.words)


def clean(raw: str | None) -> str:
    """The term as typed, safe for SQL: NFKC, no NUL (PostgreSQL refuses it), at most 100."""
    text = unicodedata.normalize("NFKC", raw or "").replace("\x00", "")
    return " ".join(text.split())[:MAX_TERM_CHARS]


def parse_terms(raw: str | None) -> Terms:
    """Read a search term into what it asks for (pure: no database)."""
    term = clean(raw)
    if not term:
        return Terms()
    whole = normalize_tracking_no(term)
    phone = privacy.normalize_phone(term)
    if privacy.is_valid_phone(phone):
        return Terms(whole=whole, phone=phone, numbers=(phone,))
    if _IDENT.match(whole) and len(whole) >= MIN_NUMBER_CHARS and " " in term:
        # "139 0000 0012" or "SF 1234 5678": one number typed in groups, not several words.
        return Terms(whole=whole, numbers=(whole,))
    numbers: list[str] = []
    words: list[str] = []
    for word in term.split(" "):
        token = normalize_tracking_no(word)
        if _IDENT.match(token) and len(token) >= MIN_NUMBER_CHARS:
            if token not in numbers:
                numbers.append(token)
        elif _IDENT.match(token):
            continue  # "12" or "sf": too few letters and digits to narrow anything
        elif len(word) >= MIN_TEXT_CHARS and word.lower() not in words:
            words.append(word.lower())
    keep = MAX_WORDS - min(len(numbers), MAX_WORDS)
    return Terms(whole=whole, numbers=tuple(numbers[:MAX_WORDS]), words=tuple(words[:keep]))


def refuse_empty() -> InvalidInput:
    message = _("请输入至少4位连续的号码（工单号、运单号或电话），或至少2个字的姓名、关键词。")
    return InvalidInput(message, field_errors={"q": message})


def _like(expression, needle: str) -> Func:
    """`expression LIKE '%needle%'`, the form a pg_trgm GIN index answers."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Func(
        expression,
        Value(f"%{escaped}%"),
        template="%(expressions)s",
        arg_joiner=" LIKE ",
        output_field=BooleanField(),
    )


def _text_has(word: str) -> Func:
    return _like(searchable_text(), doubled(word))


def _number_match(number: str) -> Q:
    match = Q(_like(F("ticket_no"), number)) | Q(_like(F("tracking_no"), number))
    if number.isdigit():
        match |= Q(_like(F("phone"), number))
    # A Latin word of four letters or more ("iPhone") may also be a word of the text.
    return match | Q(_text_has(number))


def _number_rank(number: str) -> Case:
    whens = []
    if number.isdigit():
        whens.append(When(phone__endswith=number, then=Value(RANK_PHONE_END)))
    whens.append(
        When(
            Q(ticket_no__contains=number)
            | Q(tracking_no__contains=number)
            | Q(phone__contains=number),
            then=Value(RANK_NUMBER_PART),
        )
    )
    return Case(*whens, default=Value(RANK_TEXT), output_field=IntegerField())


def _word_rank(word: str) -> Case:
    return Case(
        When(complainant_name__iexact=word, then=Value(RANK_NAME)),
        When(complainant_name__icontains=word, then=Value(RANK_NAME_PART)),
        default=Value(RANK_TEXT),
        output_field=IntegerField(),
    )


def search(queryset: QuerySet[Complaint], terms: Terms) -> QuerySet[Complaint]:
    """The complaints of `queryset` matching every word of `terms`, best first.

    The caller passes a queryset already scoped to the user (Complaint.objects.visible_to),
    so a branch never finds another unit's complaint. Ties: newest accepted first.
    """
    if terms.empty:
        raise refuse_empty()
    if terms.phone:
        found = queryset.filter(phone=terms.phone)
        return found.annotate(rank=Value(RANK_PHONE)).order_by("-accepted_at", "-pk")
    matches = [_number_match(n) for n in terms.numbers] + [Q(_text_has(w)) for w in terms.words]
    exact = When(ticket_no=terms.whole, then=Value(RANK_TICKET))
    exact_waybill = When(tracking_no=terms.whole, then=Value(RANK_WAYBILL))
    ranks = [
        Case(exact, exact_waybill, default=Value(0), output_field=IntegerField()),
        *(_number_rank(n) for n in terms.numbers),
        *(_word_rank(w) for w in terms.words),
    ]
    return (
        queryset.filter(reduce(and_, matches))
        .annotate(rank=reduce(add, ranks))
        .order_by("-rank", "-accepted_at", "-pk")
    )


def search_page(
    queryset: QuerySet[Complaint], terms: Terms, *, offset: int, size: int
) -> tuple[list[Complaint], bool]:
    """One page of results from `offset` and whether more follow: one query, however deep."""
    rows = list(search(queryset, terms)[offset : offset + size + 1])
    return rows[:size], len(rows) > size
