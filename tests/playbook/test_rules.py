"""playbook.placeholders: the placeholders and the reply checks on one free text (a note)."""

from __future__ import annotations

import re

import pytest

from playbook import placeholders

VAGUE = ["已妥投", "我局正常发出"]
EVASIVE = ["不归我管", "没办法"]
FACT = re.compile(r"\d{1,2}月\d{1,2}日|联系|致电|快递员")

# (text, the message's start or None) — the reply's rules applied to one text.
TEXTS = [
    ("您好，我是客服专员，就您反映的问题于今日致电回访。", None),
    ("", "请填写"),
    ("这个不归我管，请找网点。", "“回访话术”含有推诿用语“不归我管”"),  # seeds 003/004
    ("没 办 法，请谅解。", "“回访话术”含有推诿用语“没办法”"),  # spaces do not hide it
    ("已妥投。", "“回访话术”不能只写“已妥投”"),  # seed 001 §(五)1(3)
    ("已妥投，请您自行查看物流信息谢谢", "“回访话术”不能只写“已妥投”"),  # padded, no fact
    ("已妥投，快递员11月16日致电确认本人签收。", None),  # a vague phrase beside facts
    ("好的谢谢", "“回访话术”过于简单"),
]


@pytest.mark.parametrize(("text", "problem"), TEXTS)
def test_text_problem_applies_the_reply_checks(text, problem):
    found = placeholders.text_problem(
        text, label="回访话术", vague_phrases=VAGUE, evasive_phrases=EVASIVE, has_fact=FACT.search
    )
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


PLACEHOLDER_TEXTS = [
    ("您的运单{运单号}已于{受理时间}受理。", None),
    ("{客户称呼}您好", None),
    ("请拨打{电话}", "未知的占位符“{电话}”"),
    ("运单{运单号", "花括号不成对"),
    ("运单}{运单号}", "花括号不成对"),
    ("没有占位符也可以。", None),
]


@pytest.mark.parametrize(("text", "problem"), PLACEHOLDER_TEXTS)
def test_placeholder_problem(text, problem):
    found = placeholders.placeholder_problem(text)
    assert (found is None) if problem is None else found.startswith(problem)


def test_fill_puts_values_in_and_leaves_the_unknown_for_the_person():
    filled = placeholders.fill(
        "{客户称呼}您好，运单{运单号}由{责任单位}处理，时限{处理时限}，{运单号}。",
        {"客户称呼": "测先生/女士", "运单号": "SF1234567890", "责任单位": "", "处理时限": ""},
    )
    assert filled.text == (
        "测先生/女士您好，运单SF1234567890由{责任单位}处理，时限{处理时限}，SF1234567890。"
    )
    assert filled.unfilled == ("责任单位", "处理时限")


@pytest.mark.parametrize(("name", "salutation"), [("测试客户", "测先生/女士"), ("", "客户")])
def test_salutation_shows_the_surname_only(name, salutation):
    assert placeholders.salutation(name) == salutation


def test_sample_values_cover_every_placeholder():
    assert set(placeholders.SAMPLE_VALUES) == set(placeholders.PLACEHOLDERS)
