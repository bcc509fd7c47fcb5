"""The whole worksheet of a quote, word for word: what the clerk reads and the customer is told.

tests/compensation/test_rules.py checks each rule's amount and cited source; this table pins
every step (its sentence, its source, the running amount after it), every review reason, the
basis and the incident applied — one row per branch of compensation.amounts. The sentences are
the product's answer, so they are asserted whole. Amounts are worked by hand from the statute
(邮政法 arts. 46–49, 快递暂行条例 art. 27, 民法典 arts. 496–497, 506, 590, 592, 832–833); dates
on the official 2026 calendar (民法典 arts. 201–203).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from compensation.amounts import Incident, quote
from compensation.carrier_policies import PRESETS
from tests.compensation.test_rules import (  # the rule table's names for services and incidents
    DELAY,
    EXPRESS,
    LETTER,
    ORDINARY,
    PARTIAL,
    SHORT,
    TOTAL,
    facts,
)

# The sources, as a step cites them.
P46 = "邮政法第四十六条"
P47 = "邮政法第四十七条"
P47_2 = "邮政法第四十七条第二款"
P48 = "邮政法第四十八条"
P49 = "邮政法第四十九条"
P49_2 = "邮政法第四十九条第二款"
P49_3 = "邮政法第四十九条第三款"
C832 = "民法典第八百三十二条"
EXPRESS_833 = "快递暂行条例第二十七条；民法典第八百三十三条"
INDUSTRY = "快递服务行业标准及承运人服务条款（二级来源，非法律条文）"
TOTAL_VALUE = "计算口径：丢失或全部损毁时，实际损失即物品全部价值"
MISSING = "本系统：事实不全，待人工核定"
# The carrier's own terms, named as the preset names them (compensation.carrier_policies).
CAP_3X = (
    "承运人服务条款「实际价值不超过保价额 + 未保价3倍运费」；民法典第四百九十六条、第四百九十七条"
)
CAP_5X = (
    "承运人服务条款「实际价值不超过保价额 + 未保价5倍运费」；民法典第四百九十六条、第四百九十七条"
)
INSURED_BY_AMOUNT = (
    "快递暂行条例第二十七条；承运人保价规则「保价额赔付（部分损失按比例）+ 未保价3倍运费」"
)
INSURED_BY_VALUE_5X = (
    "快递暂行条例第二十七条；承运人保价规则「实际价值不超过保价额 + 未保价5倍运费」"
)
INSURED_BY_VALUE_7X = (
    "快递暂行条例第二十七条；承运人保价规则「实际价值不超过保价额 + 未保价7倍运费」"
)


def row(
    case_id: str,
    *,
    steps: list[tuple[str, str, str]],
    basis: str,
    applied: str | None,
    reasons: tuple[str, ...] | list[str] = (),
    preset: str = "insured_amount_3x",
    today: date | None = None,
    **overrides: Any,
) -> Any:
    """One row: the facts (test_rules.facts: uninsured registered mail lost, ¥20 postage,
    clause shown, overridden), the preset, today, and the worksheet expected."""
    expected = {
        "amount": steps[-1][2],
        "steps": [
            {"rule": rule, "source": source, "amount": amount} for rule, source, amount in steps
        ],
        "needs_review": bool(reasons),
        "review_reasons": list(reasons),
        "basis": basis,
    }
    return pytest.param(facts(**overrides), preset, today, expected, applied, id=case_id)


WORKSHEETS = [
    row(
        "邮政法47-postal-uninsured-cap-cuts-deep",
        actual_loss="500",
        steps=[
            ("未保价给据邮件丢失：按实际损失¥500.00赔偿", P47, "500.00"),
            ("适用3倍运费（资费）限额¥60.00（已提示限额条款）", P47, "60.00"),
        ],
        reasons=[
            "限额将赔付从¥500.00削减至¥60.00，削减超过实际损失的50%，需人工复核",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-uninsured-below-cap",
        actual_loss="50",
        steps=[
            ("未保价给据邮件丢失：按实际损失¥50.00赔偿", P47, "50.00"),
            ("实际损失未超过3倍运费（资费）限额¥60.00", P47, "50.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-uninsured-gross-negligence",
        actual_loss="500",
        carrier_gross_negligence=True,
        steps=[
            ("未保价给据邮件丢失：按实际损失¥500.00赔偿", P47, "500.00"),
            (
                "承运人存在故意或重大过失，3倍运费（资费）限额¥60.00不适用：按实际损失赔偿",
                P47_2,
                "500.00",
            ),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-uninsured-clause-not-shown",
        actual_loss="500",
        limit_clause_shown=False,
        steps=[
            ("未保价给据邮件丢失：按实际损失¥500.00赔偿", P47, "500.00"),
            (
                "未以足以引起注意的方式向寄件人提示限额条款，3倍运费（资费）限额¥60.00不适用：按实际损失赔偿",
                P47_2,
                "500.00",
            ),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-uninsured-full-value-no-evidence",
        full_value="300",
        value_evidence=False,
        steps=[
            ("未填写实际损失：按物品全部价值¥300.00计", TOTAL_VALUE, "0.00"),
            ("未保价给据邮件丢失：按实际损失¥300.00赔偿", P47, "300.00"),
            ("适用3倍运费（资费）限额¥60.00（已提示限额条款）", P47, "60.00"),
        ],
        reasons=[
            "限额将赔付从¥300.00削减至¥60.00，削减超过实际损失的50%，需人工复核",
            "客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-uninsured-partial-missing",
        incident=PARTIAL,
        full_value="300",
        steps=[
            ("缺少实际损失金额，暂计0元", MISSING, "0.00"),
        ],
        reasons=[
            "缺少实际损失金额，规则无法计算赔偿金额，需人工核定",
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法47-postal-insured-loss",
        insured=True,
        insured_amount="1000",
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-insured-partial",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        steps=[
            (
                "部分损毁按比例赔偿：实际损失¥500.00 × 保价额¥1,000.00 ÷ 物品全部价值¥2,000.00",
                P47,
                "250.00",
            ),
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法47-postal-insured-over-declared-short",
        incident=SHORT,
        insured=True,
        insured_amount="3000",
        full_value="2000",
        actual_loss="500",
        steps=[
            (
                "内件短少按比例赔偿：实际损失¥500.00 × 保价额¥3,000.00 ÷ 物品全部价值¥2,000.00",
                P47,
                "750.00",
            ),
            (
                "超额保价部分不予赔偿：以实际损失为限",
                "参照保险法第五十五条（超额保价部分无效）",
                "500.00",
            ),
        ],
        reasons=[
            "保价金额¥3,000.00高于物品实际价值¥2,000.00（超额保价），需人工复核",
        ],
        basis="statute",
        applied="short",
    ),
    row(
        "邮政法47-postal-insured-partial-missing-value",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        actual_loss="500",
        steps=[
            ("缺少实际损失或物品全部价值（按比例赔偿需要两者），暂计0元", MISSING, "0.00"),
        ],
        reasons=[
            "缺少实际损失或物品全部价值（按比例赔偿需要两者），规则无法计算赔偿金额，需人工核定",
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法47-postal-insured-gross-negligence-above",
        insured=True,
        insured_amount="1000",
        full_value="3000",
        actual_loss="2500",
        carrier_gross_negligence=True,
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
            (
                "承运人存在故意或重大过失，不得援用保价额¥1,000.00限制赔偿：按实际损失¥2,500.00赔偿",
                P47_2,
                "2500.00",
            ),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-insured-gross-negligence-full-value",
        insured=True,
        insured_amount="1000",
        full_value="3000",
        carrier_gross_negligence=True,
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
            ("未填写实际损失：按物品全部价值¥3,000.00计", TOTAL_VALUE, "1000.00"),
            (
                "承运人存在故意或重大过失，不得援用保价额¥1,000.00限制赔偿：按实际损失¥3,000.00赔偿",
                P47_2,
                "3000.00",
            ),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-insured-gross-negligence-below",
        insured=True,
        insured_amount="1000",
        full_value="800",
        actual_loss="800",
        carrier_gross_negligence=True,
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
            (
                "承运人存在故意或重大过失，不得援用保价额¥1,000.00限制赔偿；实际损失¥800.00未超过第一款金额，按第一款金额赔偿",
                P47_2,
                "1000.00",
            ),
        ],
        reasons=[
            "保价金额¥1,000.00高于物品实际价值¥800.00（超额保价），需人工复核",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-insured-clause-not-shown-unknown-loss",
        insured=True,
        insured_amount="1000",
        limit_clause_shown=False,
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
            (
                "未以足以引起注意的方式向寄件人提示限额条款，不得援用保价额¥1,000.00限制赔偿；实际损失未填写，暂按第一款金额计",
                P47_2,
                "1000.00",
            ),
        ],
        reasons=[
            "未以足以引起注意的方式向寄件人提示限额条款，依邮政法第四十七条第二款应按实际损失赔偿，但缺少实际损失金额，需人工核定",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-postal-insured-partial-clause-not-shown",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="3000",
        actual_loss="600",
        limit_clause_shown=False,
        steps=[
            (
                "部分损毁按比例赔偿：实际损失¥600.00 × 保价额¥1,000.00 ÷ 物品全部价值¥3,000.00",
                P47,
                "200.00",
            ),
            (
                "未以足以引起注意的方式向寄件人提示限额条款，不得援用保价额与物品全部价值的比例限制赔偿：按实际损失¥600.00赔偿",
                P47_2,
                "600.00",
            ),
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法47-postal-insured-partial-gross-missing-loss",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="3000",
        carrier_gross_negligence=True,
        steps=[
            ("缺少实际损失或物品全部价值（按比例赔偿需要两者），暂计0元", MISSING, "0.00"),
        ],
        reasons=[
            "缺少实际损失或物品全部价值（按比例赔偿需要两者），规则无法计算赔偿金额，需人工核定",
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法48-postal-insured-force-majeure",
        insured=True,
        insured_amount="1000",
        force_majeure=True,
        limit_clause_shown=False,
        actual_loss="2500",
        full_value="3000",
        steps=[
            ("不可抗力造成的损失：保价的给据邮件仍予赔偿", P48, "0.00"),
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法48-postal-uninsured-force-majeure",
        actual_loss="500",
        force_majeure=True,
        steps=[
            ("不可抗力造成的未保价给据邮件损失，不承担赔偿责任", P48, "0.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法48-postal-goods-nature-with-gross-negligence",
        actual_loss="50",
        goods_nature_or_sender_fault=True,
        carrier_gross_negligence=True,
        steps=[
            ("因物品本身的自然性质、合理损耗或用户过错造成的损失，不承担赔偿责任", P48, "0.00"),
        ],
        reasons=[
            "承运人故意或重大过失与免责事由（不可抗力、物品性质或用户过错）并存，需人工划分责任",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-registered-letter-lost",
        service=LETTER,
        freight="5",
        steps=[
            ("挂号信件丢失、损毁：按所收资费¥5.00的三倍赔偿", P47, "15.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-registered-letter-gross-negligence",
        service=LETTER,
        freight="5",
        actual_loss="100",
        carrier_gross_negligence=True,
        steps=[
            ("挂号信件丢失、损毁：按所收资费¥5.00的三倍赔偿", P47, "15.00"),
            (
                "承运人存在故意或重大过失，三倍资费不得作为限额：按实际损失¥100.00赔偿",
                P47_2,
                "100.00",
            ),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-registered-letter-clause-not-shown",
        service=LETTER,
        freight="5",
        actual_loss="100",
        limit_clause_shown=False,
        value_evidence=False,
        steps=[
            ("挂号信件丢失、损毁：按所收资费¥5.00的三倍赔偿", P47, "15.00"),
            (
                "未以足以引起注意的方式向寄件人提示限额条款，三倍资费不得作为限额：按实际损失¥100.00赔偿",
                P47_2,
                "100.00",
            ),
        ],
        reasons=[
            "客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-registered-letter-clause-not-shown-below",
        service=LETTER,
        freight="5",
        actual_loss="10",
        limit_clause_shown=False,
        value_evidence=False,
        steps=[
            ("挂号信件丢失、损毁：按所收资费¥5.00的三倍赔偿", P47, "15.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法46-ordinary-mail-loss",
        service=ORDINARY,
        actual_loss="300",
        steps=[
            ("平常邮件损失，邮政企业不承担赔偿责任", P46, "0.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法46-ordinary-mail-gross-negligence",
        service=ORDINARY,
        incident=TOTAL,
        actual_loss="300",
        carrier_gross_negligence=True,
        steps=[
            ("平常邮件因邮政企业故意或重大过失全部损毁：按实际损失¥300.00赔偿", P46, "300.00"),
        ],
        basis="statute",
        applied="total_damage",
    ),
    row(
        "邮政法46-ordinary-mail-gross-negligence-force-majeure",
        service=ORDINARY,
        actual_loss="300",
        carrier_gross_negligence=True,
        force_majeure=True,
        steps=[
            ("不可抗力、物品本身性质或用户过错造成的损失，不承担赔偿责任", P48, "0.00"),
        ],
        reasons=[
            "承运人故意或重大过失与免责事由（不可抗力、物品性质或用户过错）并存，需人工划分责任",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法46-ordinary-mail-gross-negligence-delay",
        service=ORDINARY,
        incident=DELAY,
        delay_days=3,
        carrier_gross_negligence=True,
        steps=[
            ("平常邮件因邮政企业故意或重大过失延误，按延误规则处理", P46, "0.00"),
            ("延误3天：退还本次服务费¥20.00（不含保价费等附加费用¥0.00）", INDUSTRY, "20.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "邮政法46-ordinary-mail-gross-negligence-partial-missing",
        service=ORDINARY,
        incident=PARTIAL,
        carrier_gross_negligence=True,
        steps=[
            ("缺少实际损失金额，暂计0元", MISSING, "0.00"),
        ],
        reasons=[
            "缺少实际损失金额，规则无法计算赔偿金额，需人工核定",
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "行业标准-express-delay",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        addon_fees="10",
        steps=[
            ("延误2天：退还本次服务费¥20.00（不含保价费等附加费用¥10.00）", INDUSTRY, "20.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "行业标准-express-delay-force-majeure",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        force_majeure=True,
        steps=[
            ("不可抗力造成的延误，不承担违约责任", "民法典第五百九十条", "0.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "行业标准-express-delay-sender-fault",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        goods_nature_or_sender_fault=True,
        steps=[
            (
                "因物品本身原因或寄件人、收件人过错造成的延误，不予赔偿",
                "民法典第五百九十二条；快递服务行业标准及承运人服务条款（二级来源，非法律条文）",
                "0.00",
            ),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "行业标准-express-delay-gross-negligence",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        actual_loss="300",
        carrier_gross_negligence=True,
        steps=[
            ("延误2天：退还本次服务费¥20.00（不含保价费等附加费用¥0.00）", INDUSTRY, "20.00"),
        ],
        reasons=[
            "承运人存在故意或重大过失，客户主张的延误损失高于退还的服务费，需人工判断",
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "行业标准-express-delay-8-days",
        service=EXPRESS,
        incident=DELAY,
        delay_days=8,
        actual_loss="500",
        preset="proven_value_no_cap",
        steps=[
            ("延误8天，超过视为丢失期限7天：按丢失处理", INDUSTRY, "0.00"),
            (
                "未保价快件丢失：按实际损失¥500.00赔偿（按目的地市场价格计算）",
                EXPRESS_833,
                "500.00",
            ),
            (
                "承运人规则「实际价值不超过保价额 + 未保价不设上限（按实际损失）」"
                "对未保价快件不设赔偿上限",
                "承运人服务条款",
                "500.00",
            ),
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "民法典833-express-uninsured-cap",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_3x",
        steps=[
            (
                "未保价快件丢失：按实际损失¥500.00赔偿（按目的地市场价格计算）",
                EXPRESS_833,
                "500.00",
            ),
            (
                "适用3倍运费（资费）限额¥60.00（已提示限额条款）",
                CAP_3X,
                "60.00",
            ),
        ],
        reasons=[
            "限额将赔付从¥500.00削减至¥60.00，削减超过实际损失的50%，需人工复核",
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "民法典833-express-uninsured-below-cap",
        service=EXPRESS,
        actual_loss="45.5",
        preset="proven_value_5x",
        steps=[
            ("未保价快件丢失：按实际损失¥45.50赔偿（按目的地市场价格计算）", EXPRESS_833, "45.50"),
            (
                "实际损失未超过5倍运费（资费）限额¥100.00",
                CAP_5X,
                "45.50",
            ),
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "民法典833-express-uninsured-gross-negligence",
        service=EXPRESS,
        actual_loss="500",
        carrier_gross_negligence=True,
        preset="proven_value_3x",
        steps=[
            (
                "未保价快件丢失：按实际损失¥500.00赔偿（按目的地市场价格计算）",
                EXPRESS_833,
                "500.00",
            ),
            (
                "承运人存在故意或重大过失，3倍运费（资费）限额¥60.00不适用：按实际损失赔偿",
                "民法典第五百零六条",
                "500.00",
            ),
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "民法典833-express-uninsured-clause-not-shown",
        service=EXPRESS,
        actual_loss="500",
        limit_clause_shown=False,
        preset="proven_value_5x",
        steps=[
            (
                "未保价快件丢失：按实际损失¥500.00赔偿（按目的地市场价格计算）",
                EXPRESS_833,
                "500.00",
            ),
            (
                "未以足以引起注意的方式向寄件人提示限额条款，5倍运费（资费）限额¥100.00不适用：按实际损失赔偿",
                "民法典第四百九十六条、第四百九十七条",
                "500.00",
            ),
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "民法典833-express-uninsured-partial-missing",
        service=EXPRESS,
        incident=PARTIAL,
        full_value="300",
        preset="proven_value_5x",
        steps=[
            ("缺少实际损失金额，暂计0元", MISSING, "0.00"),
        ],
        reasons=[
            "缺少实际损失金额，规则无法计算赔偿金额，需人工核定",
        ],
        basis="civil_law",
        applied="partial_damage",
    ),
    row(
        "民法典832-express-force-majeure-uninsured",
        service=EXPRESS,
        actual_loss="500",
        force_majeure=True,
        preset="proven_value_5x",
        steps=[
            ("不可抗力造成的未保价快件损失，承运人不承担赔偿责任", C832, "0.00"),
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "民法典832-express-force-majeure-insured",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        force_majeure=True,
        steps=[
            (
                "不可抗力造成保价快件损失：法规未明确，参照邮政法第四十八条按保价规则试算",
                "民法典第八百三十二条；参照邮政法第四十八条",
                "0.00",
            ),
            (
                "保价快件丢失：按保价额¥1,000.00赔偿",
                INSURED_BY_AMOUNT,
                "1000.00",
            ),
        ],
        reasons=[
            "保价快件因不可抗力受损，是否赔付法规未明确（已按保价规则试算），需人工确认",
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "民法典832-express-goods-nature",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        goods_nature_or_sender_fault=True,
        steps=[
            (
                "因物品本身的自然性质或合理损耗、寄件人或收件人过错造成的损失，承运人不承担赔偿责任",
                C832,
                "0.00",
            ),
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "快递条例27-express-insured-amount",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        steps=[
            (
                "保价快件丢失：按保价额¥1,000.00赔偿",
                INSURED_BY_AMOUNT,
                "1000.00",
            ),
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "快递条例27-express-insured-capped",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="1500",
        actual_loss="1500",
        preset="proven_value_5x",
        steps=[
            (
                "保价快件丢失：按实际损失¥1,500.00赔偿",
                INSURED_BY_VALUE_5X,
                "1500.00",
            ),
            (
                "以保价额¥1,000.00为限",
                INSURED_BY_VALUE_5X,
                "1000.00",
            ),
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "快递条例27-express-insured-below",
        service=EXPRESS,
        incident=SHORT,
        insured=True,
        insured_amount="1000",
        actual_loss="800",
        preset="proven_value_7x",
        steps=[
            (
                "保价快件内件短少：按实际损失¥800.00赔偿",
                INSURED_BY_VALUE_7X,
                "800.00",
            ),
        ],
        basis="carrier_policy",
        applied="short",
    ),
    row(
        "快递条例27-express-insured-missing",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        preset="proven_value_5x",
        steps=[
            ("缺少物品实际价值或实际损失，暂计0元", MISSING, "0.00"),
        ],
        reasons=[
            "缺少物品实际价值或实际损失，规则无法计算赔偿金额，需人工核定",
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "快递条例27-express-insured-proportional",
        service=EXPRESS,
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        steps=[
            (
                "部分损毁按比例赔偿：实际损失¥500.00 × 保价额¥1,000.00 ÷ 物品全部价值¥2,000.00",
                INSURED_BY_AMOUNT,
                "250.00",
            ),
        ],
        basis="carrier_policy",
        applied="partial_damage",
    ),
    row(
        "快递条例27-express-insured-gross-negligence",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="3000",
        actual_loss="3000",
        carrier_gross_negligence=True,
        preset="proven_value_5x",
        steps=[
            (
                "保价快件丢失：按实际损失¥3,000.00赔偿",
                INSURED_BY_VALUE_5X,
                "3000.00",
            ),
            (
                "以保价额¥1,000.00为限",
                INSURED_BY_VALUE_5X,
                "1000.00",
            ),
        ],
        reasons=[
            "承运人存在故意或重大过失（民法典第五百零六条），实际损失¥3,000.00高于保价赔付，需人工判断是否按实际损失赔偿",
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "邮政法49-postal-delay-unqueried",
        incident=DELAY,
        delay_days=10,
        insured=True,
        insured_amount="1000",
        today=date(2026, 6, 1),
        steps=[
            (
                "给据邮件延误不适用快递“延误超过7天视为丢失”的规则：自用户查询之日起30日查复期满仍未查到的，方视为丢失",
                P49,
                "0.00",
            ),
            ("未登记用户查询日期，邮件尚不能视为丢失：按延误处理", P49, "0.00"),
            ("延误10天：退还本次服务费¥20.00（不含保价费等附加费用¥0.00）", INDUSTRY, "20.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "邮政法49-postal-delay-in-reply-period",
        incident=DELAY,
        delay_days=12,
        insured=True,
        insured_amount="1000",
        queried_on=date(2026, 3, 10),
        today=date(2026, 4, 9),
        steps=[
            (
                "给据邮件延误不适用快递“延误超过7天视为丢失”的规则：自用户查询之日起30日查复期满仍未查到的，方视为丢失",
                P49,
                "0.00",
            ),
            (
                "自2026年3月10日查询起的30日查复期至2026年4月9日届满，届满前邮件不视为丢失：按延误处理",
                P49_2,
                "0.00",
            ),
            ("延误12天：退还本次服务费¥20.00（不含保价费等附加费用¥0.00）", INDUSTRY, "20.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "邮政法49-postal-delay-reply-period-ended",
        incident=DELAY,
        delay_days=12,
        insured=True,
        insured_amount="1000",
        queried_on=date(2026, 3, 10),
        today=date(2026, 4, 10),
        steps=[
            (
                "给据邮件延误不适用快递“延误超过7天视为丢失”的规则：自用户查询之日起30日查复期满仍未查到的，方视为丢失",
                P49,
                "0.00",
            ),
            (
                "自2026年3月10日查询起的30日查复期已于2026年4月9日届满，仍未查到邮件：视为丢失，依邮政法第四十七条赔偿",
                P49_2,
                "0.00",
            ),
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法49-postal-delay-remote-no-today",
        incident=DELAY,
        delay_days=12,
        insured=True,
        insured_amount="1000",
        queried_on=date(2026, 3, 10),
        remote_area=True,
        steps=[
            (
                "给据邮件延误不适用快递“延误超过7天视为丢失”的规则：自用户查询之日起60日查复期满仍未查到的，方视为丢失",
                P49,
                "0.00",
            ),
            (
                "自2026年3月10日查询起的60日查复期至2026年5月9日届满，届满前邮件不视为丢失：按延误处理",
                P49_2,
                "0.00",
            ),
            ("延误12天：退还本次服务费¥20.00（不含保价费等附加费用¥0.00）", INDUSTRY, "20.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "邮政法49.3-postal-no-query-in-a-year",
        insured=True,
        insured_amount="1000",
        posted_on=date(2025, 3, 3),
        today=date(2026, 3, 4),
        steps=[
            (
                "用户未在交寄之日起一年内（至2026年3月3日）查询或提出赔偿要求，邮政企业不再承担赔偿责任",
                P49_3,
                "0.00",
            ),
        ],
        basis="statute",
        applied=None,
    ),
    row(
        "邮政法49.3-postal-international-no-query-in-180-days",
        insured=True,
        insured_amount="1000",
        posted_on=date(2026, 1, 5),
        international=True,
        today=date(2026, 7, 7),
        steps=[
            (
                "用户未在交寄之日起一百八十日内（至2026年7月6日）查询或提出赔偿要求，邮政企业不再承担赔偿责任",
                P49_3,
                "0.00",
            ),
        ],
        basis="statute",
        applied=None,
    ),
    # 邮政法 art. 49 para. 1: the query window's last day (民法典 arts. 202–203).
    row(
        "邮政法49.1-art202-posted-29-february-window-ends-28-february",
        insured=True,
        insured_amount="1000",
        posted_on=date(2024, 2, 29),
        today=date(2025, 3, 1),
        steps=[
            (
                "用户未在交寄之日起一年内（至2025年2月28日）查询或提出赔偿要求，邮政企业不再承担赔偿责任",
                P49_3,
                "0.00",
            ),
        ],
        basis="statute",
        applied=None,
    ),
    row(
        "邮政法49.1-art202-posted-29-february-claims-on-28-february",
        insured=True,
        insured_amount="1000",
        posted_on=date(2024, 2, 29),
        today=date(2025, 2, 28),
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法49.1-art203-year-ends-in-national-day-rolls-to-8-october",
        insured=True,
        insured_amount="1000",
        posted_on=date(2025, 10, 1),
        today=date(2026, 10, 9),
        steps=[
            (
                "用户未在交寄之日起一年内（至2026年10月8日）查询或提出赔偿要求，邮政企业不再承担赔偿责任",
                P49_3,
                "0.00",
            ),
        ],
        basis="statute",
        applied=None,
    ),
    row(
        "邮政法49.1-art203-claims-on-8-october",
        insured=True,
        insured_amount="1000",
        posted_on=date(2025, 10, 1),
        today=date(2026, 10, 8),
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法49.1-queried-in-time-claims-later",
        insured=True,
        insured_amount="1000",
        posted_on=date(2025, 3, 3),
        queried_on=date(2026, 3, 3),
        today=date(2026, 6, 1),
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法49.3-queried-a-day-late",
        insured=True,
        insured_amount="1000",
        posted_on=date(2025, 3, 3),
        queried_on=date(2026, 3, 4),
        today=date(2026, 6, 1),
        steps=[
            (
                "用户未在交寄之日起一年内（至2026年3月3日）查询或提出赔偿要求，邮政企业不再承担赔偿责任",
                P49_3,
                "0.00",
            ),
        ],
        basis="statute",
        applied=None,
    ),
    row(
        "邮政法49.1-international-180-days-rolled-to-monday",
        insured=True,
        insured_amount="1000",
        posted_on=date(2026, 1, 5),
        international=True,
        today=date(2026, 7, 6),
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    # Value evidence, and each threshold at its edge.
    row(
        "邮政法47-insured-partial-without-value-evidence-flags",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        value_evidence=False,
        steps=[
            (
                "部分损毁按比例赔偿：实际损失¥500.00 × 保价额¥1,000.00 ÷ 物品全部价值¥2,000.00",
                P47,
                "250.00",
            ),
        ],
        reasons=[
            "客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实",
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法47-insured-loss-amount-rests-on-no-stated-value",
        insured=True,
        insured_amount="1000",
        full_value="3000",
        value_evidence=False,
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "快递条例27-insured-proven-value-without-evidence-flags",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        actual_loss="800",
        value_evidence=False,
        preset="proven_value_5x",
        steps=[
            ("保价快件丢失：按实际损失¥800.00赔偿", INSURED_BY_VALUE_5X, "800.00"),
        ],
        reasons=[
            "客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实",
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "民法典833-uninsured-express-full-value-without-evidence-flags",
        service=EXPRESS,
        full_value="300",
        value_evidence=False,
        preset="proven_value_no_cap",
        steps=[
            ("未填写实际损失：按物品全部价值¥300.00计", TOTAL_VALUE, "0.00"),
            (
                "未保价快件丢失：按实际损失¥300.00赔偿（按目的地市场价格计算）",
                EXPRESS_833,
                "300.00",
            ),
            (
                "承运人规则「实际价值不超过保价额 + 未保价不设上限（按实际损失）」"
                "对未保价快件不设赔偿上限",
                "承运人服务条款",
                "300.00",
            ),
        ],
        reasons=[
            "客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实",
        ],
        basis="civil_law",
        applied="loss",
    ),
    row(
        "邮政法46-ordinary-mail-gross-negligence-without-evidence-flags",
        service=ORDINARY,
        actual_loss="300",
        carrier_gross_negligence=True,
        value_evidence=False,
        steps=[
            ("平常邮件因邮政企业故意或重大过失丢失：按实际损失¥300.00赔偿", P46, "300.00"),
        ],
        reasons=[
            "客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-uninsured-cap-equal-to-loss-is-not-a-cut",
        actual_loss="60",
        steps=[
            ("未保价给据邮件丢失：按实际损失¥60.00赔偿", P47, "60.00"),
            ("实际损失未超过3倍运费（资费）限额¥60.00", P47, "60.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-uninsured-cap-cutting-exactly-half-is-not-flagged",
        actual_loss="120",
        steps=[
            ("未保价给据邮件丢失：按实际损失¥120.00赔偿", P47, "120.00"),
            ("适用3倍运费（资费）限额¥60.00（已提示限额条款）", P47, "60.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47-uninsured-cap-cutting-just-over-half-is-flagged",
        actual_loss="120.02",
        steps=[
            ("未保价给据邮件丢失：按实际损失¥120.02赔偿", P47, "120.02"),
            ("适用3倍运费（资费）限额¥60.00（已提示限额条款）", P47, "60.00"),
        ],
        reasons=[
            "限额将赔付从¥120.02削减至¥60.00，削减超过实际损失的50%，需人工复核",
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "快递条例27-insured-loss-equal-to-insured-amount-is-not-capped",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        actual_loss="1000",
        preset="proven_value_5x",
        steps=[
            ("保价快件丢失：按实际损失¥1,000.00赔偿", INSURED_BY_VALUE_5X, "1000.00"),
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "保险法55-proportion-of-exactly-one-pays-the-loss",
        incident=PARTIAL,
        insured=True,
        insured_amount="2000",
        full_value="2000",
        actual_loss="500",
        steps=[
            (
                "部分损毁按比例赔偿：实际损失¥500.00 × 保价额¥2,000.00 ÷ 物品全部价值¥2,000.00",
                P47,
                "500.00",
            ),
        ],
        basis="statute",
        applied="partial_damage",
    ),
    row(
        "邮政法47.2-loss-equal-to-insured-amount-keeps-it",
        insured=True,
        insured_amount="1000",
        full_value="1000",
        actual_loss="1000",
        carrier_gross_negligence=True,
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
            (
                "承运人存在故意或重大过失，不得援用保价额¥1,000.00限制赔偿；实际损失¥1,000.00未超过第一款金额，按第一款金额赔偿",
                P47_2,
                "1000.00",
            ),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法47.2-registered-letter-loss-equal-to-3x-keeps-3x",
        service=LETTER,
        freight="5",
        actual_loss="15",
        carrier_gross_negligence=True,
        steps=[
            ("挂号信件丢失、损毁：按所收资费¥5.00的三倍赔偿", P47, "15.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "民法典506-insured-express-loss-equal-to-payout-not-flagged",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="1000",
        actual_loss="1000",
        carrier_gross_negligence=True,
        steps=[
            ("保价快件丢失：按保价额¥1,000.00赔偿", INSURED_BY_AMOUNT, "1000.00"),
        ],
        basis="carrier_policy",
        applied="loss",
    ),
    row(
        "行业标准-delay-gross-negligence-loss-equal-to-freight-not-flagged",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        actual_loss="20",
        carrier_gross_negligence=True,
        steps=[
            ("延误2天：退还本次服务费¥20.00（不含保价费等附加费用¥0.00）", INDUSTRY, "20.00"),
        ],
        basis="carrier_policy",
        applied="delay",
    ),
    row(
        "行业标准-insured-equal-to-value-is-not-over-declared",
        insured=True,
        insured_amount="1000",
        full_value="1000",
        steps=[
            ("保价给据邮件丢失：按保价额¥1,000.00赔偿", P47, "1000.00"),
        ],
        basis="statute",
        applied="loss",
    ),
    row(
        "邮政法46-ordinary-mail-gross-negligence-lost-without-actual-loss-uses-full-value",
        service=ORDINARY,
        full_value="300",
        carrier_gross_negligence=True,
        steps=[
            ("未填写实际损失：按物品全部价值¥300.00计", TOTAL_VALUE, "0.00"),
            ("平常邮件因邮政企业故意或重大过失丢失：按实际损失¥300.00赔偿", P46, "300.00"),
        ],
        basis="statute",
        applied="loss",
    ),
]


@pytest.mark.parametrize(("claim", "preset", "today", "expected", "applied"), WORKSHEETS)
def test_the_worksheet_reads_word_for_word(claim, preset, today, expected, applied):
    result = quote(claim, PRESETS[preset], today=today)  # the official calendar by default

    assert result.to_dict() == expected
    assert result.applied_incident == (Incident(applied) if applied else None)
    assert result.amount == Decimal(expected["amount"])
