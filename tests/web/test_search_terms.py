"""How the search box reads a term (complaints.search.parse_terms): the rules, table-driven."""

from __future__ import annotations

import pytest

from complaints.search import Terms, clean, parse_terms


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # A full phone in any spelling is one exact phone.
        ("13900000012", Terms(whole="13900000012", phone="13900000012", numbers=("13900000012",))),
        (
            "139-0000-0012",
            Terms(whole="13900000012", phone="13900000012", numbers=("13900000012",)),
        ),
        # Four consecutive digits or letters are part of a ticket, waybill or phone.
        ("0012", Terms(whole="0012", numbers=("0012",))),
        ("sf12", Terms(whole="SF12", numbers=("SF12",))),
        ("ＳＦ１２３４", Terms(whole="SF1234", numbers=("SF1234",))),
        # One number typed in groups stays one number.
        ("SF 1234 5678", Terms(whole="SF12345678", numbers=("SF12345678",))),
        # Fewer than four digits or letters are too few to search by.
        ("001", Terms(whole="001")),
        ("ok", Terms(whole="OK")),
        # Names and words of two characters or more; duplicates and 1-character words dropped.
        ("测试客户", Terms(whole="测试客户", words=("测试客户",))),
        ("破损 赔偿", Terms(whole="破损赔偿", words=("破损", "赔偿"))),
        ("破损 破损 件", Terms(whole="破损破损件", words=("破损",))),
        # Mixed: a partial phone and a name together.
        ("测试客户 0012", Terms(whole="测试客户0012", numbers=("0012",), words=("测试客户",))),
        # Nothing usable.
        ("", Terms()),
        ("   ", Terms()),
        ("件", Terms(whole="件")),
        ("1", Terms(whole="1")),
    ],
)
def test_it_reads_a_term_into_what_it_asks_for(typed, expected):
    assert parse_terms(typed) == expected


def test_it_keeps_at_most_five_words_and_a_hundred_characters():
    assert len(parse_terms("甲乙 丙丁 戊己 庚辛 壬癸 子丑 寅卯").words) == 5
    assert len(clean("破" * 500)) == 100


def test_it_drops_nul_characters_which_postgresql_refuses():
    assert clean("破\x00损") == "破损"


@pytest.mark.parametrize("typed", ["", " ", "件", "12", "a"])
def test_a_term_without_a_usable_word_is_empty(typed):
    assert parse_terms(typed).empty
