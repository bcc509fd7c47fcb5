"""The journey read as facts, routing by it, and the pull's breaker: tables of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracking import journey_rules
from tracking.journey_rules import (
    ARRIVE,
    COLLECT,
    DELIVER,
    DEPART,
    PROBLEM,
    SIGN,
    Scan,
)

T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)


def scan(hours: float, type_: str, unit: str = "", key: str = "") -> Scan:
    return Scan(
        at=T0 + timedelta(hours=hours),
        type=type_,
        unit_code=unit,
        unit_name=f"{unit}名" if unit else "",
        key=key or f"{type_}-{hours}-{unit}",
    )


DELIVERED = [
    scan(0, COLLECT, "O"),
    scan(3, DEPART, "O"),
    scan(8, ARRIVE, "HUB"),
    scan(30, ARRIVE, "D"),
    scan(31, DELIVER, "D"),
    scan(34, SIGN, "D"),
]
SIGNED_WITHOUT_DELIVERY = [s for s in DELIVERED if s.type != DELIVER]
DELIVERED_BY_ANOTHER = [*DELIVERED[:4], scan(31, DELIVER, "X"), scan(34, SIGN, "D")]
STUCK_AT_HUB = DELIVERED[:3]


@pytest.mark.parametrize(
    ("case", "scans", "disputed", "reason", "rests_on"),
    [
        ("delivered then signed, not disputed: nothing to verify", DELIVERED, False, None, ()),
        (
            "签收 with no 派件 at all (seed 003 §4)",
            SIGNED_WITHOUT_DELIVERY,
            False,
            journey_rules.NO_DELIVERY_SCAN,
            (SIGN,),
        ),
        (
            "派件 by another unit than the signer",
            DELIVERED_BY_ANOTHER,
            False,
            journey_rules.NO_DELIVERY_SCAN,
            (DELIVER, SIGN),
        ),
        (
            "customer denies receipt of a delivered parcel",
            DELIVERED,
            True,
            journey_rules.CUSTOMER_DISPUTES,
            (DELIVER, SIGN),
        ),
        ("no 签收 yet: nothing to dispute", STUCK_AT_HUB, True, None, ()),
    ],
)
def test_it_flags_a_suspect_signature(case, scans, disputed, reason, rests_on):
    fact = journey_rules.suspected_false_sign(scans, disputed=disputed)
    if reason is None:
        assert fact is None, case
        return
    assert fact.reason == reason, case
    assert tuple(s.type for s in fact.scans) == rests_on, case
    assert fact.unit_code == "D"


@pytest.mark.parametrize(
    ("case", "scans", "now_hours", "threshold", "stuck_at", "hours"),
    [
        ("last scan 16 h ago, threshold 24 h", STUCK_AT_HUB, 24, 24, None, 0),
        ("exactly at the threshold is not yet stuck", STUCK_AT_HUB, 32, 24, None, 0),
        ("an hour past the threshold, at the hub", STUCK_AT_HUB, 33, 24, "HUB", 25),
        ("signed parcels are never stuck", DELIVERED, 500, 24, None, 0),
        ("a slower service's threshold", STUCK_AT_HUB, 50, 48, None, 0),
        ("no scans, nothing to say", [], 100, 24, None, 0),
    ],
)
def test_it_finds_where_a_parcel_is_stuck(case, scans, now_hours, threshold, stuck_at, hours):
    fact = journey_rules.stuck(scans, now=T0 + timedelta(hours=now_hours), hours=threshold)
    if stuck_at is None:
        assert fact is None, case
    else:
        assert (fact.unit_code, fact.hours, fact.scans[-1].type) == (stuck_at, hours, ARRIVE)


@pytest.mark.parametrize(
    ("case", "scans", "promised_hours", "now_hours", "late_hours"),
    [
        ("no promised time: no finding", DELIVERED, None, 100, None),
        ("signed before the promise", DELIVERED, 48, 100, None),
        ("signed 4 h after the promise", DELIVERED, 30, 100, 4),
        ("not signed, promise passed 10 h ago", STUCK_AT_HUB, 48, 58, 10),
        ("not signed, promise not yet passed", STUCK_AT_HUB, 48, 40, None),
    ],
)
def test_it_measures_delay_against_the_promise(case, scans, promised_hours, now_hours, late_hours):
    promised = None if promised_hours is None else T0 + timedelta(hours=promised_hours)
    fact = journey_rules.late(scans, now=T0 + timedelta(hours=now_hours), promised_at=promised)
    assert (fact.hours if fact else None) == late_hours, case


def test_the_last_holder_is_the_last_unit_that_scanned_it_whatever_the_arrival_order():
    shuffled = [DELIVERED[3], DELIVERED[0], DELIVERED[2], DELIVERED[1]]
    assert journey_rules.last_holder(shuffled).unit_code == "D"
    assert journey_rules.last_holder([]) is None


RULES = [
    journey_rules.RoutingRule(
        "虚假签收 → 签收网点", journey_rules.DELIVERY_UNIT, frozenset({"misdelivery"})
    ),
    journey_rules.RoutingRule("延误 → 派件网点", journey_rules.DELIVERY_UNIT, frozenset({"delay"})),
    journey_rules.RoutingRule(
        "丢失 → 最后扫描单位", journey_rules.LAST_UNIT, frozenset({"loss", "damage"})
    ),
    journey_rules.RoutingRule(
        "揽收态度 → 收件网点",
        journey_rules.ORIGIN_UNIT,
        frozenset({"attitude"}),
        frozenset({"sender"}),
    ),
    journey_rules.RoutingRule(
        "收费 → 指定单位", journey_rules.FIXED_UNIT, frozenset({"fee"}), fixed_unit_code="F"
    ),
]
KNOWN = {"O", "D", "X", "F"}


@pytest.mark.parametrize(
    ("case", "category", "party", "scans", "unit", "scan_type"),
    [
        (
            "虚假签收 goes to the signing branch",
            "misdelivery",
            "recipient",
            SIGNED_WITHOUT_DELIVERY,
            "D",
            SIGN,
        ),
        ("delay at destination: the 派件 unit", "delay", "recipient", DELIVERED, "D", SIGN),
        (
            "delay in transit: no 派件 yet, unmatched",
            "delay",
            "recipient",
            STUCK_AT_HUB,
            None,
            None,
        ),
        (
            "loss: the last unit, here a hub unknown to complaints: unmatched",
            "loss",
            "sender",
            STUCK_AT_HUB,
            None,
            None,
        ),
        ("damage: the last unit that scanned it", "damage", "recipient", DELIVERED, "D", SIGN),
        ("pickup attitude: the origin branch", "attitude", "sender", DELIVERED, "O", COLLECT),
        ("delivery attitude matches no rule here", "attitude", "recipient", DELIVERED, None, None),
        ("fee: a fixed unit, no scan needed", "fee", "sender", DELIVERED, "F", None),
        ("other: no rule, the agents' 待下发 list", "other", "sender", DELIVERED, None, None),
    ],
)
def test_it_routes_by_category_and_journey(case, category, party, scans, unit, scan_type):
    found = journey_rules.route(
        RULES, category=category, party=party, scans=scans, facts=[], known_units=KNOWN
    )
    assert found.unit_code == (unit or ""), case
    assert (found.scan.type if found.scan else None) == scan_type, case


def test_a_rule_can_require_a_fact_of_the_journey():
    only_suspect = [
        journey_rules.RoutingRule(
            "核实签收",
            journey_rules.DELIVERY_UNIT,
            requires_fact=journey_rules.SUSPECTED_FALSE_SIGN,
        )
    ]
    facts = journey_rules.journey_facts(
        SIGNED_WITHOUT_DELIVERY, now=T0 + timedelta(hours=40), facts=journey_rules.JourneyFacts()
    )
    assert (
        journey_rules.route(
            only_suspect,
            category="other",
            party="sender",
            scans=SIGNED_WITHOUT_DELIVERY,
            facts=facts,
            known_units=KNOWN,
        ).unit_code
        == "D"
    )
    assert (
        journey_rules.route(
            only_suspect,
            category="other",
            party="sender",
            scans=DELIVERED,
            facts=[],
            known_units=KNOWN,
        ).rule
        is None
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("签收", SIGN),
        ("妥投", SIGN),
        ("SIGN", SIGN),
        (" 派件 ", DELIVER),
        ("揽收", COLLECT),
        ("问题件", PROBLEM),
        ("装车", journey_rules.OTHER),
        ("", journey_rules.OTHER),
        ("ＳＩＧＮ", SIGN),
    ],
)
def test_it_maps_the_tms_codes_to_the_fixed_list(code, expected):
    assert journey_rules.scan_type_of(code) == expected


def test_a_tms_may_add_its_own_codes():
    assert journey_rules.scan_type_of("40", {"40": "sign"}) == SIGN
    assert journey_rules.scan_type_of("40", {"40": "not-a-type"}) == journey_rules.OTHER


def test_an_event_without_an_id_gets_the_same_key_each_time():
    args = {
        "event_id": "",
        "waybill": "W1",
        "at": T0,
        "code": "签收",
        "unit_code": "D",
        "operator": "",
    }
    assert journey_rules.event_key(**args) == journey_rules.event_key(**args)
    assert journey_rules.event_key(**{**args, "unit_code": "E"}) != journey_rules.event_key(**args)
    assert journey_rules.event_key(**{**args, "event_id": "E-1"}) == "E-1"


def test_the_breaker_opens_after_repeated_failures_and_probes_once_after_the_cooldown():
    cool = timedelta(seconds=60)
    b = journey_rules.Breaker()
    for _ in range(2):
        b = journey_rules.breaker_failure(b, now=T0, threshold=3, cooldown=cool)
    assert b.state == journey_rules.CLOSED and journey_rules.breaker_allows(b, now=T0)
    b = journey_rules.breaker_failure(b, now=T0, threshold=3, cooldown=cool)
    assert b.state == journey_rules.OPEN and not journey_rules.breaker_allows(
        b, now=T0 + timedelta(seconds=59)
    )
    assert journey_rules.breaker_allows(b, now=T0 + cool)
    probing = journey_rules.breaker_probe(b, now=T0 + cool, timeout=timedelta(seconds=30))
    assert probing.state == journey_rules.HALF_OPEN
    assert not journey_rules.breaker_allows(
        probing, now=T0 + cool + timedelta(seconds=1)
    )  # one probe
    reopened = journey_rules.breaker_failure(probing, now=T0 + cool, threshold=3, cooldown=cool)
    assert reopened.state == journey_rules.OPEN and reopened.open_until == T0 + 2 * cool


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (10, 3600)])
def test_pulls_back_off_exponentially_up_to_a_cap(attempts, seconds):
    delay = journey_rules.pull_backoff(attempts, base=timedelta(seconds=30), cap=timedelta(hours=1))
    assert delay == timedelta(seconds=seconds)
