"""Table-driven tests for compensation.amounts and .carrier_policies; ids name the legal basis."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from compensation.amounts import (
    Basis,
    ClaimFacts,
    Incident,
    InvalidFacts,
    Quote,
    Service,
    quote,
    validate_facts,
)
from compensation.carrier_policies import (
    DEFAULT_POLICY,
    DEFAULT_PRESET_CODE,
    PRESET_DATA,
    PRESETS,
    CarrierPolicy,
    InsuredPayout,
    InvalidPolicy,
    PartialDamage,
)

D = Decimal
EXPRESS = Service.EXPRESS
POSTAL = Service.POSTAL_REGISTERED
LETTER = Service.REGISTERED_LETTER
ORDINARY = Service.POSTAL_ORDINARY
LOSS = Incident.LOSS
TOTAL = Incident.TOTAL_DAMAGE
PARTIAL = Incident.PARTIAL_DAMAGE
SHORT = Incident.SHORT
DELAY = Incident.DELAY


def facts(**overrides: Any) -> ClaimFacts:
    """Build claim facts: uninsured postal registered mail lost, ¥20 postage, clause shown."""
    base: dict[str, Any] = {
        "service": POSTAL,
        "incident": LOSS,
        "insured": False,
        "freight": D("20"),
        "limit_clause_shown": True,
    }
    base.update(overrides)
    for name in ("insured_amount", "full_value", "actual_loss", "freight", "addon_fees"):
        if isinstance(base.get(name), str):
            base[name] = D(base[name])
    return ClaimFacts(**base)


def case(
    case_id: str,
    expected: str,
    *,
    cites: str,
    preset: str = DEFAULT_PRESET_CODE,
    review: bool = False,
    basis: Basis | None = None,
    **overrides: Any,
) -> Any:
    """One table row: the facts, the preset, the amount, the review flag and a cited source."""
    return pytest.param(facts(**overrides), preset, expected, review, cites, basis, id=case_id)


CASES = [
    # --- 邮政法 art. 47: registered mail (给据邮件), insured -------------------------------------
    case(
        "邮政法47-insured-loss-pays-insured-amount",
        "1000.00",
        insured=True,
        insured_amount="1000",
        cites="邮政法第四十七条",
        basis=Basis.STATUTE,
    ),
    case(
        "邮政法47-insured-total-damage-pays-insured-amount",
        "1000.00",
        incident=TOTAL,
        insured=True,
        insured_amount="1000",
        full_value="1500",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-insured-partial-damage-pays-loss-times-insured-over-full-value",
        "250.00",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-insured-short-contents-pays-proportionally",
        "250.00",
        incident=SHORT,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-insured-fully-insured-partial-pays-actual-loss",
        "500.00",
        incident=PARTIAL,
        insured=True,
        insured_amount="2000",
        full_value="2000",
        actual_loss="500",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-rounding-half-up-50.005-to-50.01",
        "50.01",
        incident=PARTIAL,
        insured=True,
        insured_amount="500",
        full_value="1000",
        actual_loss="100.01",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-rounding-half-up-0.005-to-0.01",
        "0.01",
        incident=PARTIAL,
        insured=True,
        insured_amount="1",
        full_value="2",
        actual_loss="0.01",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-rounding-a-third-rounds-down",
        "0.33",
        incident=PARTIAL,
        insured=True,
        insured_amount="1",
        full_value="3",
        actual_loss="1",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-rounding-two-thirds-rounds-up",
        "0.67",
        incident=PARTIAL,
        insured=True,
        insured_amount="2",
        full_value="3",
        actual_loss="1",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-insured-over-declared-loss-pays-insured-amount-and-flags",
        "3000.00",
        insured=True,
        insured_amount="3000",
        full_value="2000",
        review=True,
        cites="邮政法第四十七条",
    ),
    case(
        "保险法55-insured-over-declared-partial-capped-at-actual-loss-and-flags",
        "500.00",
        incident=PARTIAL,
        insured=True,
        insured_amount="3000",
        full_value="2000",
        actual_loss="500",
        review=True,
        cites="保险法第五十五条",
    ),
    case(
        "邮政法47-insured-partial-without-full-value-flags-missing",
        "0.00",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        actual_loss="500",
        review=True,
        cites="事实不全",
    ),
    # Issue 18: art. 47 para. 2 sets aside the insured amount and the proportion too.
    case(
        "邮政法47.2-insured-gross-negligence-loss-above-insured-pays-actual-loss",
        "2000.00",
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="2000",
        carrier_gross_negligence=True,
        cites="邮政法第四十七条第二款",
    ),
    case(
        "邮政法47.2-insured-clause-not-shown-partial-pays-actual-loss",
        "500.00",
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        limit_clause_shown=False,
        cites="邮政法第四十七条第二款",
    ),
    # --- 邮政法 art. 47: registered mail, uninsured -------------------------------------------
    case(
        "邮政法47-uninsured-capped-at-3x-postage-and-flags-deep-cut",
        "60.00",
        actual_loss="500",
        review=True,
        cites="邮政法第四十七条",
        basis=Basis.STATUTE,
    ),
    case(
        "邮政法47-uninsured-below-cap-pays-actual-loss",
        "50.00",
        actual_loss="50",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-uninsured-cap-cutting-40pct-is-not-flagged",
        "60.00",
        actual_loss="100",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-uninsured-partial-damage-capped",
        "60.00",
        incident=PARTIAL,
        full_value="800",
        actual_loss="300",
        review=True,
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47.2-uninsured-gross-negligence-pays-actual-loss",
        "500.00",
        actual_loss="500",
        carrier_gross_negligence=True,
        cites="邮政法第四十七条第二款",
    ),
    case(
        "邮政法47.2-uninsured-clause-not-shown-pays-actual-loss",
        "500.00",
        actual_loss="500",
        limit_clause_shown=False,
        cites="邮政法第四十七条第二款",
    ),
    case(
        "邮政法47-uninsured-loss-without-actual-loss-uses-full-value",
        "60.00",
        full_value="300",
        review=True,
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-uninsured-partial-without-actual-loss-flags-missing",
        "0.00",
        incident=PARTIAL,
        full_value="300",
        review=True,
        cites="事实不全",
    ),
    case(
        "邮政法47-uninsured-without-value-evidence-flags",
        "50.00",
        actual_loss="50",
        value_evidence=False,
        review=True,
        cites="邮政法第四十七条",
    ),
    # --- 邮政法 art. 47: registered letter (挂号信件) ------------------------------------------
    case(
        "邮政法47-registered-letter-lost-pays-3x-postage",
        "15.00",
        service=LETTER,
        freight="5",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-registered-letter-total-damage-pays-3x-postage",
        "15.00",
        service=LETTER,
        incident=TOTAL,
        freight="5",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-registered-letter-partial-damage-pays-3x-postage",
        "15.00",
        service=LETTER,
        incident=PARTIAL,
        freight="5",
        actual_loss="2",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-registered-letter-pays-3x-even-above-stated-loss",
        "15.00",
        service=LETTER,
        freight="5",
        actual_loss="100",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47.2-registered-letter-gross-negligence-pays-larger-actual-loss",
        "100.00",
        service=LETTER,
        freight="5",
        actual_loss="100",
        carrier_gross_negligence=True,
        cites="邮政法第四十七条第二款",
    ),
    case(
        "邮政法47.2-registered-letter-gross-negligence-keeps-3x-floor",
        "15.00",
        service=LETTER,
        freight="5",
        actual_loss="10",
        carrier_gross_negligence=True,
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47.2-registered-letter-clause-not-shown-pays-larger-actual-loss",
        "100.00",
        service=LETTER,
        freight="5",
        actual_loss="100",
        limit_clause_shown=False,
        cites="邮政法第四十七条第二款",
    ),
    case(
        "邮政法47-registered-letter-short-contents-uses-general-uninsured-rule",
        "10.00",
        service=LETTER,
        incident=SHORT,
        freight="5",
        actual_loss="10",
        cites="邮政法第四十七条",
    ),
    case(
        "邮政法47-registered-letter-insured-lost-pays-insured-amount",
        "200.00",
        service=LETTER,
        freight="5",
        insured=True,
        insured_amount="200",
        cites="邮政法第四十七条",
    ),
    # --- 邮政法 art. 46: ordinary mail (平常邮件) ----------------------------------------------
    case(
        "邮政法46-ordinary-mail-loss-pays-nothing",
        "0.00",
        service=ORDINARY,
        actual_loss="300",
        cites="邮政法第四十六条",
        basis=Basis.STATUTE,
    ),
    case(
        "邮政法46-ordinary-mail-damage-pays-nothing",
        "0.00",
        service=ORDINARY,
        incident=PARTIAL,
        actual_loss="300",
        cites="邮政法第四十六条",
    ),
    case(
        "邮政法46-ordinary-mail-delay-pays-nothing",
        "0.00",
        service=ORDINARY,
        incident=DELAY,
        delay_days=3,
        cites="邮政法第四十六条",
    ),
    case(
        "邮政法46-ordinary-mail-gross-negligence-pays-actual-loss-uncapped",
        "300.00",
        service=ORDINARY,
        actual_loss="300",
        carrier_gross_negligence=True,
        cites="邮政法第四十六条",
    ),
    case(
        "邮政法46-ordinary-mail-gross-negligence-delay-refunds-postage",
        "20.00",
        service=ORDINARY,
        incident=DELAY,
        delay_days=3,
        carrier_gross_negligence=True,
        cites="二级来源",
    ),
    case(
        "邮政法46-ordinary-mail-gross-negligence-missing-loss-flags",
        "0.00",
        service=ORDINARY,
        incident=PARTIAL,
        carrier_gross_negligence=True,
        review=True,
        cites="事实不全",
    ),
    case(
        "邮政法48-ordinary-mail-gross-negligence-and-force-majeure-flags-mixed-fault",
        "0.00",
        service=ORDINARY,
        actual_loss="300",
        carrier_gross_negligence=True,
        force_majeure=True,
        review=True,
        cites="邮政法第四十八条",
    ),
    # --- 邮政法 art. 48: exemptions -------------------------------------------------------------
    case(
        "邮政法48-force-majeure-uninsured-pays-nothing",
        "0.00",
        actual_loss="500",
        force_majeure=True,
        cites="邮政法第四十八条",
    ),
    case(
        "邮政法48-force-majeure-insured-still-pays-insured-amount",
        "1000.00",
        insured=True,
        insured_amount="1000",
        force_majeure=True,
        cites="邮政法第四十八条",
    ),
    case(
        "邮政法48-force-majeure-uninsured-registered-letter-pays-nothing",
        "0.00",
        service=LETTER,
        freight="5",
        force_majeure=True,
        cites="邮政法第四十八条",
    ),
    case(
        "邮政法48-goods-nature-or-sender-fault-pays-nothing-even-insured",
        "0.00",
        insured=True,
        insured_amount="1000",
        goods_nature_or_sender_fault=True,
        cites="邮政法第四十八条",
    ),
    case(
        "邮政法48-goods-nature-or-sender-fault-uninsured-pays-nothing",
        "0.00",
        actual_loss="50",
        goods_nature_or_sender_fault=True,
        cites="邮政法第四十八条",
    ),
    case(
        "邮政法48-sender-fault-with-gross-negligence-flags-mixed-fault",
        "0.00",
        actual_loss="50",
        goods_nature_or_sender_fault=True,
        carrier_gross_negligence=True,
        review=True,
        cites="邮政法第四十八条",
    ),
    # --- 快递暂行条例 art. 27 + 民法典: express, uninsured ---------------------------------------
    case(
        "民法典833-express-uninsured-clause-shown-3x-cap",
        "60.00",
        service=EXPRESS,
        actual_loss="500",
        preset="insured_amount_3x",
        review=True,
        cites="民法典第四百九十六条",
        basis=Basis.CIVIL_LAW,
    ),
    case(
        "民法典833-express-uninsured-clause-shown-proven-3x-cap",
        "60.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_3x",
        review=True,
        cites="民法典第四百九十六条",
    ),
    case(
        "民法典833-express-uninsured-clause-shown-5x-cap",
        "100.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_5x",
        review=True,
        cites="民法典第四百九十六条",
    ),
    case(
        "民法典833-express-uninsured-clause-shown-7x-cap",
        "140.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_7x",
        review=True,
        cites="民法典第四百九十六条",
    ),
    case(
        "民法典833-express-uninsured-7x-cap-cutting-30pct-is-not-flagged",
        "140.00",
        service=EXPRESS,
        actual_loss="200",
        preset="proven_value_7x",
        cites="民法典第四百九十六条",
    ),
    case(
        "民法典833-express-uninsured-no-cap-preset-pays-actual-loss",
        "500.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_no_cap",
        cites="民法典第八百三十三条",
        basis=Basis.CIVIL_LAW,
    ),
    case(
        "民法典833-express-uninsured-below-cap-pays-actual-loss",
        "45.50",
        service=EXPRESS,
        actual_loss="45.5",
        preset="proven_value_5x",
        cites="民法典第八百三十三条",
    ),
    case(
        "民法典496-express-uninsured-clause-not-shown-pays-actual-loss",
        "500.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_5x",
        limit_clause_shown=False,
        cites="民法典第四百九十六条",
    ),
    case(
        "民法典506-express-uninsured-gross-negligence-pays-actual-loss",
        "500.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_3x",
        carrier_gross_negligence=True,
        cites="民法典第五百零六条",
    ),
    case(
        "民法典833-express-uninsured-loss-without-actual-loss-uses-full-value",
        "300.00",
        service=EXPRESS,
        full_value="300",
        preset="proven_value_no_cap",
        cites="民法典第八百三十三条",
    ),
    case(
        "民法典833-express-uninsured-partial-without-actual-loss-flags",
        "0.00",
        service=EXPRESS,
        incident=PARTIAL,
        full_value="300",
        review=True,
        cites="事实不全",
    ),
    case(
        "民法典833-express-uninsured-without-value-evidence-flags",
        "500.00",
        service=EXPRESS,
        actual_loss="500",
        preset="proven_value_no_cap",
        value_evidence=False,
        review=True,
        cites="民法典第八百三十三条",
    ),
    case(
        "民法典832-express-force-majeure-uninsured-pays-nothing",
        "0.00",
        service=EXPRESS,
        actual_loss="500",
        force_majeure=True,
        cites="民法典第八百三十二条",
    ),
    case(
        "民法典832-express-goods-nature-or-sender-fault-pays-nothing",
        "0.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        goods_nature_or_sender_fault=True,
        cites="民法典第八百三十二条",
        basis=Basis.CIVIL_LAW,
    ),
    # --- 快递暂行条例 art. 27: express, insured, by the carrier's 保价 policy --------------------
    case(
        "快递条例27-insured-amount-preset-loss-pays-insured-amount",
        "1000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        preset="insured_amount_3x",
        cites="快递暂行条例第二十七条",
        basis=Basis.CARRIER_POLICY,
    ),
    case(
        "快递条例27-insured-amount-preset-over-declared-pays-insured-and-flags",
        "3000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="3000",
        full_value="2000",
        preset="insured_amount_3x",
        review=True,
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-proven-value-preset-loss-pays-proven-loss-below-insured",
        "800.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        actual_loss="800",
        preset="proven_value_5x",
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-proven-value-preset-loss-capped-at-insured-amount",
        "1000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="1500",
        actual_loss="1500",
        preset="proven_value_5x",
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-proven-value-preset-over-declared-pays-value-and-flags",
        "2000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="3000",
        full_value="2000",
        preset="proven_value_5x",
        review=True,
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-proven-value-preset-without-value-flags-missing",
        "0.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        preset="proven_value_5x",
        review=True,
        cites="事实不全",
    ),
    case(
        "快递条例27-proportional-preset-partial-damage",
        "250.00",
        service=EXPRESS,
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        preset="insured_amount_3x",
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-actual-loss-capped-preset-partial-damage",
        "500.00",
        service=EXPRESS,
        incident=PARTIAL,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="500",
        preset="proven_value_5x",
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-actual-loss-capped-preset-short-capped-at-insured",
        "1000.00",
        service=EXPRESS,
        incident=SHORT,
        insured=True,
        insured_amount="1000",
        full_value="2000",
        actual_loss="1500",
        preset="proven_value_7x",
        cites="快递暂行条例第二十七条",
    ),
    case(
        "快递条例27-insured-express-ignores-uninsured-cap-and-clause",
        "1000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        limit_clause_shown=False,
        preset="insured_amount_3x",
        cites="快递暂行条例第二十七条",
    ),
    case(
        "民法典832-express-force-majeure-insured-per-policy-and-flags",
        "1000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        force_majeure=True,
        preset="insured_amount_3x",
        review=True,
        cites="民法典第八百三十二条",
    ),
    case(
        "民法典506-express-insured-gross-negligence-loss-above-payout-flags",
        "1000.00",
        service=EXPRESS,
        insured=True,
        insured_amount="1000",
        full_value="3000",
        actual_loss="3000",
        carrier_gross_negligence=True,
        preset="proven_value_5x",
        review=True,
        cites="快递暂行条例第二十七条",
    ),
    # --- Delay: industry standard / carrier terms (secondary source) --------------------------
    case(
        "行业标准-express-delay-refunds-freight-not-add-ons",
        "20.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        addon_fees="10",
        cites="二级来源",
        basis=Basis.CARRIER_POLICY,
    ),
    case(
        "行业标准-express-delay-of-exactly-7-days-is-still-a-delay",
        "20.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=7,
        actual_loss="500",
        cites="二级来源",
    ),
    case(
        "行业标准-insured-express-delay-refunds-freight-not-insured-amount",
        "20.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=1,
        insured=True,
        insured_amount="1000",
        addon_fees="5",
        cites="二级来源",
    ),
    case(
        "行业标准-postal-registered-delay-refunds-postage",
        "20.00",
        incident=DELAY,
        delay_days=3,
        cites="二级来源",
    ),
    case(
        "行业标准-express-delay-past-7-days-is-a-loss-no-cap",
        "500.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=8,
        actual_loss="500",
        preset="proven_value_no_cap",
        cites="民法典第八百三十三条",
    ),
    case(
        "行业标准-express-delay-past-7-days-is-a-loss-3x-cap",
        "60.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=8,
        actual_loss="500",
        preset="proven_value_3x",
        review=True,
        cites="二级来源",
    ),
    # Issue 18: postal mail is not lost by the express industry's 7 days (邮政法 art. 49).
    case(
        "邮政法49-postal-insured-delay-10-days-unqueried-is-no-loss-refunds-postage",
        "20.00",
        incident=DELAY,
        delay_days=10,
        insured=True,
        insured_amount="1000",
        cites="邮政法第四十九条",
    ),
    case(
        "邮政法49-registered-letter-delay-10-days-unqueried-is-no-loss-refunds-postage",
        "5.00",
        service=LETTER,
        incident=DELAY,
        delay_days=10,
        freight="5",
        cites="邮政法第四十九条",
    ),
    case(
        "邮政法46-ordinary-mail-delay-past-7-days-pays-nothing",
        "0.00",
        service=ORDINARY,
        incident=DELAY,
        delay_days=10,
        actual_loss="100",
        cites="邮政法第四十六条",
    ),
    case(
        "民法典590-delay-by-force-majeure-refunds-nothing",
        "0.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        force_majeure=True,
        cites="民法典第五百九十条",
    ),
    case(
        "民法典592-delay-by-sender-fault-refunds-nothing",
        "0.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        goods_nature_or_sender_fault=True,
        cites="民法典第五百九十二条",
    ),
    case(
        "行业标准-delay-with-gross-negligence-and-larger-loss-flags",
        "20.00",
        service=EXPRESS,
        incident=DELAY,
        delay_days=2,
        actual_loss="300",
        carrier_gross_negligence=True,
        review=True,
        cites="二级来源",
    ),
]


@pytest.mark.parametrize(("claim", "preset", "expected", "review", "cites", "basis"), CASES)
def test_it_quotes(
    claim: ClaimFacts,
    preset: str,
    expected: str,
    review: bool,
    cites: str,
    basis: Basis | None,
) -> None:
    result = quote(claim, PRESETS[preset])

    assert str(result.amount) == expected
    assert result.needs_review is review, result.review_reasons
    assert any(cites in step.source for step in result.steps), result.steps
    if basis is not None:
        assert result.basis is basis
    assert result.steps[-1].amount == result.amount


def test_it_shows_each_step_with_the_running_amount() -> None:
    result = quote(facts(actual_loss=D("500")), DEFAULT_POLICY)

    assert [step.amount for step in result.steps] == [D("500.00"), D("60.00")]
    assert result.steps[0].source == "邮政法第四十七条"
    assert "3倍" in result.steps[1].rule


def test_it_shows_the_reclassification_of_a_long_delay() -> None:
    claim = facts(service=EXPRESS, incident=DELAY, delay_days=8, actual_loss=D("500"))

    result = quote(claim, PRESETS["proven_value_no_cap"])

    assert "按丢失处理" in result.steps[0].rule
    assert "二级来源" in result.steps[0].source
    assert "8天" in result.steps[0].rule


def test_it_uses_the_policy_deemed_lost_threshold() -> None:
    policy = CarrierPolicy.from_dict(
        {**PRESETS["proven_value_no_cap"].to_dict(), "deemed_lost_after_days": 3}
    )
    claim = facts(service=EXPRESS, incident=DELAY, delay_days=4, actual_loss=D("500"))

    assert quote(claim, policy).amount == D("500.00")
    assert quote(claim, PRESETS["proven_value_no_cap"]).amount == D("20.00")


def test_it_uses_the_policy_review_share() -> None:
    strict = CarrierPolicy.from_dict({**DEFAULT_POLICY.to_dict(), "review_cap_cut_share": "0.2"})
    claim = facts(actual_loss=D("100"))  # the 3 × ¥20 cap cuts 40 %

    assert quote(claim, DEFAULT_POLICY).needs_review is False
    result = quote(claim, strict)
    assert result.needs_review is True
    assert "20%" in result.review_reasons[0]


@pytest.mark.parametrize(
    ("share", "reason"),
    [
        pytest.param(
            "0", "限额将赔付从¥100.00削减至¥60.00，削减超过实际损失的0%，需人工复核", id="0"
        ),
        pytest.param(
            "0.25", "限额将赔付从¥100.00削减至¥60.00，削减超过实际损失的25%，需人工复核", id="25"
        ),
        pytest.param(
            "0.125",
            "限额将赔付从¥100.00削减至¥60.00，削减超过实际损失的12.5%，需人工复核",
            id="12.5",
        ),
    ],
)
def test_it_writes_the_review_share_as_a_percentage(share: str, reason: str) -> None:
    policy = CarrierPolicy.from_dict({**DEFAULT_POLICY.to_dict(), "review_cap_cut_share": share})

    result = quote(facts(actual_loss=D("100")), policy)  # the 3 × ¥20 cap cuts 40 %

    assert result.review_reasons == (reason,)


def test_it_names_the_over_declared_value_in_the_reason() -> None:
    claim = facts(insured=True, insured_amount=D("3000"), full_value=D("2000"))

    result = quote(claim, DEFAULT_POLICY)

    assert result.review_reasons == (
        "保价金额¥3,000.00高于物品实际价值¥2,000.00（超额保价），需人工复核",
    )


def test_it_accepts_plain_strings_for_service_and_incident() -> None:
    claim = ClaimFacts(
        service="express",  # type: ignore[arg-type]
        incident="loss",  # type: ignore[arg-type]
        insured=False,
        actual_loss=D("80"),
        freight=D("20"),
        limit_clause_shown=True,
    )

    assert claim.service is Service.EXPRESS
    assert quote(claim, PRESETS["proven_value_5x"]).amount == D("80.00")


def test_it_serialises_a_quote_to_json() -> None:
    result = quote(facts(actual_loss=D("500")), DEFAULT_POLICY)

    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))

    assert data["amount"] == "60.00"
    assert data["basis"] == "statute"
    assert data["needs_review"] is True
    assert data["steps"][-1] == {
        "rule": result.steps[-1].rule,
        "source": "邮政法第四十七条",
        "amount": "60.00",
    }


def test_quote_is_a_frozen_value() -> None:
    result = quote(facts(actual_loss=D("50")), DEFAULT_POLICY)

    assert isinstance(result, Quote)
    with pytest.raises(AttributeError):
        result.amount = D("1")  # type: ignore[misc]


# --- validation ---------------------------------------------------------------------------

INVALID = [
    pytest.param({"freight": D("-1")}, {"freight"}, id="negative-freight"),
    pytest.param({"addon_fees": D("-0.01")}, {"addon_fees"}, id="negative-add-on-fees"),
    pytest.param({"actual_loss": D("-5")}, {"actual_loss"}, id="negative-actual-loss"),
    pytest.param({"full_value": D("-5")}, {"full_value"}, id="negative-full-value"),
    pytest.param(
        {"insured": True, "insured_amount": D("-5")}, {"insured_amount"}, id="negative-insured"
    ),
    pytest.param(
        {"incident": PARTIAL, "full_value": D("100"), "actual_loss": D("150")},
        {"actual_loss"},
        id="partial-damage-larger-than-full-value",
    ),
    pytest.param(
        {"full_value": D("100"), "actual_loss": D("100.01")},
        {"actual_loss"},
        id="loss-larger-than-full-value",
    ),
    pytest.param({"insured": True}, {"insured_amount"}, id="insured-without-insured-amount"),
    pytest.param(
        {"insured": True, "insured_amount": D("0")}, {"insured_amount"}, id="insured-amount-zero"
    ),
    pytest.param(
        {"insured_amount": D("500")}, {"insured_amount"}, id="insured-amount-without-insurance"
    ),
    pytest.param({"incident": DELAY}, {"delay_days"}, id="delay-without-delay-days"),
    pytest.param({"delay_days": -1}, {"delay_days"}, id="negative-delay-days"),
    pytest.param({"delay_days": 1.5}, {"delay_days"}, id="fractional-delay-days"),
    pytest.param({"delay_days": True}, {"delay_days"}, id="boolean-delay-days"),
    pytest.param({"freight": 20.0}, {"freight"}, id="float-money"),
    pytest.param({"freight": None}, {"freight"}, id="missing-freight"),
    pytest.param({"actual_loss": D("NaN")}, {"actual_loss"}, id="nan-money"),
    pytest.param({"actual_loss": D("Infinity")}, {"actual_loss"}, id="infinite-money"),
    pytest.param({"actual_loss": D("1.005")}, {"actual_loss"}, id="money-below-one-fen"),
    pytest.param({"actual_loss": D("1e10")}, {"actual_loss"}, id="money-out-of-range"),
    pytest.param({"full_value": D("0")}, {"full_value"}, id="zero-full-value"),
    pytest.param(
        {"service": ORDINARY, "insured": True, "insured_amount": D("100")},
        {"insured"},
        id="insured-ordinary-mail",
    ),
    pytest.param({"service": "parcel"}, {"service"}, id="unknown-service"),
    pytest.param({"incident": "stolen"}, {"incident"}, id="unknown-incident"),
    pytest.param(
        {"freight": D("-1"), "actual_loss": D("-1"), "incident": DELAY},
        {"freight", "actual_loss", "delay_days"},
        id="every-bad-field-is-reported",
    ),
]


@pytest.mark.parametrize(("overrides", "fields"), INVALID)
def test_it_rejects_bad_facts(overrides: dict[str, Any], fields: set[str]) -> None:
    claim = facts(**overrides)

    errors = validate_facts(claim)

    assert set(errors) == fields
    assert all(errors.values())
    with pytest.raises(InvalidFacts) as raised:
        quote(claim, DEFAULT_POLICY)
    assert raised.value.errors == errors


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="minimal"),
        pytest.param({"freight": D("0")}, id="free-shipping"),
        pytest.param({"full_value": D("100"), "actual_loss": D("100")}, id="loss-equals-value"),
        pytest.param({"delay_days": 3}, id="delay-days-on-a-loss"),
        pytest.param({"actual_loss": D("0")}, id="zero-loss"),
        pytest.param({"actual_loss": D("1.50")}, id="trailing-zero-fen"),
        pytest.param({"incident": DELAY, "delay_days": 1}, id="one-day-delay"),
    ],
)
def test_it_accepts_valid_facts(overrides: dict[str, Any]) -> None:
    assert validate_facts(facts(**overrides)) == {}


def test_it_explains_bad_facts_in_chinese() -> None:
    errors = validate_facts(facts(full_value=D("100"), actual_loss=D("150")))

    assert errors == {"actual_loss": "实际损失不能大于物品全部价值"}


# Every message a clerk reads for bad facts, word for word; `today` judges dates in the future.
TODAY = date(2026, 3, 10)
MESSAGES = [
    pytest.param({"service": "parcel"}, {"service": "未知的业务类型"}, id="unknown-service"),
    pytest.param({"incident": "stolen"}, {"incident": "未知的事件类型"}, id="unknown-incident"),
    pytest.param({"freight": None}, {"freight": "必填"}, id="freight-required"),
    pytest.param({"addon_fees": None}, {"addon_fees": "必填"}, id="add-on-fees-required"),
    pytest.param(
        {"freight": 20.0}, {"freight": "应为有效金额（Decimal，不接受浮点数）"}, id="float-money"
    ),
    pytest.param(
        {"full_value": D("NaN")},
        {"full_value": "应为有效金额（Decimal，不接受浮点数）"},
        id="nan-money",
    ),
    pytest.param({"actual_loss": D("-0.01")}, {"actual_loss": "金额不能为负数"}, id="negative"),
    pytest.param(
        {"actual_loss": D("1000000000.01")},
        {"actual_loss": "金额超出合理范围"},
        id="one-fen-above-one-billion",
    ),
    pytest.param({"actual_loss": D("1000000000")}, {}, id="one-billion-is-accepted"),
    pytest.param(
        {"actual_loss": D("1.005")}, {"actual_loss": "金额最多两位小数（精确到分）"}, id="below-fen"
    ),
    pytest.param({"delay_days": 1.5}, {"delay_days": "延误天数应为整数"}, id="fractional-days"),
    pytest.param({"delay_days": True}, {"delay_days": "延误天数应为整数"}, id="boolean-days"),
    pytest.param({"delay_days": -1}, {"delay_days": "延误天数不能为负数"}, id="negative-days"),
    pytest.param(
        {"incident": DELAY, "delay_days": 0},
        {"delay_days": "延误事件必须填写延误天数（大于0）"},
        id="delay-of-zero-days",
    ),
    pytest.param(
        {"insured": True}, {"insured_amount": "已保价但未填写保价金额"}, id="insured-no-amount"
    ),
    pytest.param(
        {"insured": True, "insured_amount": D("0")},
        {"insured_amount": "保价金额必须大于0"},
        id="insured-amount-zero",
    ),
    pytest.param(
        {"insured_amount": D("500")},
        {"insured_amount": "未保价时不应填写保价金额"},
        id="insured-amount-uninsured",
    ),
    pytest.param(
        {"service": ORDINARY, "insured": True, "insured_amount": D("100")},
        {"insured": "平常邮件不办理保价，请改为给据邮件或取消保价"},
        id="insured-ordinary-mail",
    ),
    pytest.param(
        {"full_value": D("0")}, {"full_value": "物品价值必须大于0；价值不明请留空"}, id="zero-value"
    ),
    pytest.param(
        {"full_value": D("100"), "actual_loss": D("100.01")},
        {"actual_loss": "实际损失不能大于物品全部价值"},
        id="loss-above-value",
    ),
    pytest.param(
        {"posted_on": "2026-03-01"}, {"posted_on": "应为日期（YYYY-MM-DD）"}, id="posted-on-text"
    ),
    pytest.param(
        {"queried_on": datetime(2026, 3, 1, 9)},
        {"queried_on": "应为日期（YYYY-MM-DD）"},
        id="queried-on-a-datetime",
    ),
    pytest.param(
        {"posted_on": datetime(2026, 3, 2, 9), "queried_on": date(2026, 3, 1)},
        {"posted_on": "应为日期（YYYY-MM-DD）"},
        id="bad-posting-date-is-not-compared",
    ),
    pytest.param(
        {"posted_on": date(2026, 3, 2), "queried_on": "2026-03-01"},
        {"queried_on": "应为日期（YYYY-MM-DD）"},
        id="bad-query-date-is-not-compared",
    ),
    pytest.param(
        {"posted_on": date(2026, 3, 2), "queried_on": date(2026, 3, 1)},
        {"queried_on": "查询日期不能早于交寄日期"},
        id="queried-the-day-before-posting",
    ),
    pytest.param(
        {"posted_on": date(2026, 3, 2), "queried_on": date(2026, 3, 2)},
        {},
        id="queried-on-the-day-of-posting",
    ),
    pytest.param({"posted_on": date(2026, 3, 2)}, {}, id="posted-and-not-queried"),
    pytest.param({"queried_on": date(2026, 3, 2)}, {}, id="queried-posting-date-unknown"),
    pytest.param({"posted_on": TODAY, "queried_on": TODAY}, {}, id="posted-and-queried-today"),
    pytest.param(
        {"posted_on": date(2026, 3, 11)},
        {"posted_on": "交寄日期不能晚于今天"},
        id="posted-tomorrow",
    ),
    pytest.param(
        {"queried_on": date(2026, 3, 11)},
        {"queried_on": "查询日期不能晚于今天"},
        id="queried-tomorrow",
    ),
    pytest.param(
        {"posted_on": date(2026, 3, 11), "queried_on": date(2026, 3, 12)},
        {"posted_on": "交寄日期不能晚于今天", "queried_on": "查询日期不能晚于今天"},
        id="both-in-the-future",
    ),
]


@pytest.mark.parametrize(("overrides", "errors"), MESSAGES)
def test_it_explains_each_bad_fact_word_for_word(
    overrides: dict[str, Any], errors: dict[str, str]
) -> None:
    claim = facts(**overrides)

    if errors:
        with pytest.raises(InvalidFacts) as raised:
            quote(claim, DEFAULT_POLICY, today=TODAY)
        assert raised.value.errors == errors
    else:
        quote(claim, DEFAULT_POLICY, today=TODAY)


def test_it_accepts_dates_in_the_future_without_today() -> None:
    claim = facts(posted_on=date(2026, 3, 11), queried_on=date(2026, 3, 12))

    assert quote(claim, DEFAULT_POLICY).amount == D("0.00")  # no actual loss: for review


def test_its_error_names_every_bad_field_with_its_message() -> None:
    claim = facts(freight=D("-1"), actual_loss=D("-1"), incident=DELAY)

    with pytest.raises(InvalidFacts) as raised:
        quote(claim, DEFAULT_POLICY)

    assert str(raised.value) == (
        "actual_loss: 金额不能为负数; freight: 金额不能为负数; "
        "delay_days: 延误事件必须填写延误天数（大于0）"
    )


# --- policies -----------------------------------------------------------------------------


def test_presets_have_unique_codes_chinese_names_and_a_default() -> None:
    assert len(PRESETS) == len(PRESET_DATA) == 5
    assert DEFAULT_POLICY is PRESETS[DEFAULT_PRESET_CODE]
    assert len({p.name for p in PRESETS.values()}) == len(PRESETS)
    for code, policy in PRESETS.items():
        assert policy.code == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in policy.name)


def test_presets_cover_both_insured_payouts_and_every_cap() -> None:
    payouts = {p.insured_payout for p in PRESETS.values()}
    caps = {p.uninsured_cap_multiple for p in PRESETS.values()}

    assert payouts == set(InsuredPayout)
    assert caps == {D("3"), D("5"), D("7"), None}
    assert {p.partial_damage for p in PRESETS.values()} == set(PartialDamage)


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_policy_round_trips_through_a_json_dict(code: str) -> None:
    policy = PRESETS[code]

    data = json.loads(json.dumps(policy.to_dict(), ensure_ascii=False))

    assert CarrierPolicy.from_dict(data) == policy


def test_policy_from_dict_applies_defaults_and_converts_numbers() -> None:
    policy = CarrierPolicy.from_dict(
        {
            "code": "custom",
            "name": "自定义：保价额赔付 + 未保价4倍运费",
            "insured_payout": "insured_amount",
            "partial_damage": "actual_loss_capped",
            "uninsured_cap_multiple": 4,
            "review_cap_cut_share": 0.3,
        }
    )

    assert policy.insured_payout is InsuredPayout.INSURED_AMOUNT
    assert policy.partial_damage is PartialDamage.ACTUAL_LOSS_CAPPED
    assert policy.uninsured_cap_multiple == D("4")
    assert policy.review_cap_cut_share == D("0.3")
    assert policy.deemed_lost_after_days == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"surprise": 1}, "未知字段", id="unknown-key"),
        pytest.param({"insured_payout": "everything"}, "insured_payout", id="bad-payout"),
        pytest.param({"partial_damage": "half"}, "partial_damage", id="bad-partial-damage"),
        pytest.param({"uninsured_cap_multiple": "0"}, "uninsured_cap_multiple", id="zero-cap"),
        pytest.param({"uninsured_cap_multiple": "-3"}, "uninsured_cap_multiple", id="neg-cap"),
        pytest.param({"uninsured_cap_multiple": "abc"}, "uninsured_cap_multiple", id="text-cap"),
        pytest.param({"uninsured_cap_multiple": True}, "uninsured_cap_multiple", id="bool-cap"),
        pytest.param({"review_cap_cut_share": "1.5"}, "review_cap_cut_share", id="share-above-1"),
        pytest.param({"review_cap_cut_share": "NaN"}, "review_cap_cut_share", id="share-nan"),
        pytest.param({"deemed_lost_after_days": 0}, "deemed_lost_after_days", id="zero-days"),
        pytest.param({"deemed_lost_after_days": "7"}, "deemed_lost_after_days", id="text-days"),
        pytest.param({"code": " "}, "code", id="blank-code"),
        pytest.param({"name": ""}, "name", id="blank-name"),
    ],
)
def test_policy_rejects_bad_settings(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPolicy, match=message):
        CarrierPolicy.from_dict({**DEFAULT_POLICY.to_dict(), **change})


def test_policy_from_dict_reports_a_missing_key() -> None:
    data = DEFAULT_POLICY.to_dict()
    del data["insured_payout"]

    with pytest.raises(InvalidPolicy, match="缺少必填字段"):
        CarrierPolicy.from_dict(data)
