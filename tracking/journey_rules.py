"""The waybill's journey read as facts, and routing by it (智能分单). Pure Python, no Django.

Each fact carries the scans it rests on, so a branch clerk can check it (seed 001 §(五)1, seed
003 §4; seed 000 sends delivery problems to the 派件网点). The pulls' breaker and retry pace are
here too, with the clock passed in. See docs/tracking.md, "Facts".
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# --- Scans --------------------------------------------------------------------------------

COLLECT = "collect"  # 收件（揽收）
DEPART = "depart"  # 发往
ARRIVE = "arrive"  # 到达
DELIVER = "deliver"  # 派件
SIGN = "sign"  # 签收
REFUSE = "refuse"  # 拒签
PROBLEM = "problem"  # 问题件
OTHER = "other"  # 其他 (the TMS's own code is kept beside it)
SCAN_TYPES = (COLLECT, DEPART, ARRIVE, DELIVER, SIGN, REFUSE, PROBLEM, OTHER)
# A parcel whose last scan is one of these has left the network: it cannot be stuck.
FINAL_TYPES = frozenset({SIGN})

# What TMSs and aggregators call the scans, besides our own codes (case-insensitive).
SCAN_ALIASES: dict[str, str] = {
    "收件": COLLECT,
    "揽收": COLLECT,
    "揽件": COLLECT,
    "收寄": COLLECT,
    "pickup": COLLECT,
    "picked_up": COLLECT,
    "发往": DEPART,
    "发出": DEPART,
    "发件": DEPART,
    "departed": DEPART,
    "到达": ARRIVE,
    "到件": ARRIVE,
    "arrived": ARRIVE,
    "派件": DELIVER,
    "派送": DELIVER,
    "投递": DELIVER,
    "out_for_delivery": DELIVER,
    "签收": SIGN,
    "妥投": SIGN,
    "代签收": SIGN,
    "signed": SIGN,
    "delivered": SIGN,
    "拒签": REFUSE,
    "拒收": REFUSE,
    "refused": REFUSE,
    "问题件": PROBLEM,
    "异常": PROBLEM,
    "exception": PROBLEM,
    "其他": OTHER,
}


def scan_type_of(code: str, extra_aliases: Mapping[str, str] | None = None) -> str:
    """Return our scan type for a TMS's code; an unknown code is OTHER (its code is kept)."""
    key = unicodedata.normalize("NFKC", code or "").strip().lower()
    if key in SCAN_TYPES:
        return key
    for aliases in (extra_aliases or {}, SCAN_ALIASES):
        for alias, scan_type in aliases.items():
            if alias.lower() == key and scan_type in SCAN_TYPES:
                return scan_type
    return OTHER


def event_key(
    *, event_id: str, waybill: str, at: datetime, code: str, unit_code: str, operator: str
) -> str:
    """The key that makes an event idempotent: the TMS's own id, else a digest of what it says.

    A pull endpoint may give no ids; the same scan pulled twice then has the same digest.
    """
    if event_id:
        return event_id[:64]
    text = "|".join((waybill, at.isoformat(), code, unit_code, operator))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:56]


@dataclass(frozen=True)
class Scan:
    """One event of a waybill's journey, as stored."""

    at: datetime
    type: str
    unit_code: str = ""
    unit_name: str = ""
    operator: str = ""
    detail: str = ""
    code: str = ""  # the TMS's own scan code
    key: str = ""


def _ordered(scans: Iterable[Scan]) -> list[Scan]:
    return sorted(scans, key=lambda s: (s.at, SCAN_TYPES.index(s.type), s.key))


# --- Facts --------------------------------------------------------------------------------

SUSPECTED_FALSE_SIGN = "suspected_false_sign"  # 疑似虚假签收
STUCK = "stuck"  # 滞留
LATE = "late"  # 延误
LAST_HOLDER = "last_holder"  # 最后经手单位
FACT_KINDS = (SUSPECTED_FALSE_SIGN, STUCK, LATE, LAST_HOLDER)
# The facts that check a complaint (a flag for the branch to verify); the last holder only says
# where the parcel is and changes with every scan.
FLAGS = (SUSPECTED_FALSE_SIGN, STUCK, LATE)

# Why a 签收 is suspect.
NO_DELIVERY_SCAN = "no_delivery_scan"  # no 派件 by the signing unit before the 签收
CUSTOMER_DISPUTES = "customer_disputes"  # the complaint says it was not received


@dataclass(frozen=True)
class Fact:
    """A fact read off the journey, with the scans it rests on."""

    kind: str
    scans: tuple[Scan, ...]
    unit_code: str = ""
    unit_name: str = ""
    reason: str = ""  # SUSPECTED_FALSE_SIGN: NO_DELIVERY_SCAN or CUSTOMER_DISPUTES
    hours: int = 0  # STUCK: hours without a scan; LATE: hours past the promised time
    since: datetime | None = None  # STUCK: the last scan; LATE: the promised time

    @property
    def evidence(self) -> tuple[str, ...]:
        """What the fact rests on, to tell a changed fact from the same one read again."""
        return (self.reason, self.unit_code, *(s.key for s in self.scans))


@dataclass(frozen=True)
class JourneyFacts:
    """What a complaint's check needs to know of it."""

    signs_disputed: bool = False  # the customer says the parcel never reached them
    stuck_hours: int = 24  # 滞留: no scan for more than this (per service, from settings)
    promised_at: datetime | None = None  # the TMS's promised delivery time, if it gives one


def last_holder(scans: Sequence[Scan]) -> Fact | None:
    """The last unit that scanned the parcel (最后经手单位)."""
    held = [s for s in _ordered(scans) if s.unit_code]
    if not held:
        return None
    last = held[-1]
    return Fact(LAST_HOLDER, (last,), last.unit_code, last.unit_name)


def suspected_false_sign(scans: Sequence[Scan], *, disputed: bool) -> Fact | None:
    """疑似虚假签收: the last 签收 with no 派件 by the signing unit before it, or one the customer
    disputes (seed 003 §4: the branch verifies who signed and whether the customer was told).

    A flag for the branch to verify, not a finding: a parcel handed over at the counter is
    signed without a 派件 scan.
    """
    ordered = _ordered(scans)
    signs = [s for s in ordered if s.type == SIGN]
    if not signs:
        return None
    sign = signs[-1]
    before = ordered[: ordered.index(sign)]
    deliveries = [s for s in before if s.type == DELIVER]
    by_signer = [s for s in deliveries if s.unit_code == sign.unit_code]
    if not by_signer:
        # The scans it rests on: the 签收, and any 派件 there was (by another unit).
        return Fact(
            SUSPECTED_FALSE_SIGN,
            (*deliveries[-1:], sign),
            sign.unit_code,
            sign.unit_name,
            reason=NO_DELIVERY_SCAN,
        )
    if disputed:
        return Fact(
            SUSPECTED_FALSE_SIGN,
            (by_signer[-1], sign),
            sign.unit_code,
            sign.unit_name,
            reason=CUSTOMER_DISPUTES,
        )
    return None


def stuck(scans: Sequence[Scan], *, now: datetime, hours: int) -> Fact | None:
    """滞留: no scan for more than `hours` while the parcel is still in the network, and where."""
    ordered = _ordered(scans)
    if not ordered or ordered[-1].type in FINAL_TYPES:
        return None
    last = ordered[-1]
    waited = now - last.at
    if waited <= timedelta(hours=hours):
        return None
    return Fact(
        STUCK,
        (last,),
        last.unit_code,
        last.unit_name,
        hours=int(waited.total_seconds() // 3600),
        since=last.at,
    )


def late(scans: Sequence[Scan], *, now: datetime, promised_at: datetime | None) -> Fact | None:
    """延误 against the promised time when the TMS gives one: signed after it, or not yet signed
    when it has passed. Without a promised time there is no finding (the customer's word stays)."""
    if promised_at is None:
        return None
    ordered = _ordered(scans)
    signs = [s for s in ordered if s.type == SIGN]
    if signs:
        done = signs[-1]
        if done.at <= promised_at:
            return None
        over, rests_on = done.at - promised_at, (done,)
    else:
        if now <= promised_at:
            return None
        over, rests_on = now - promised_at, tuple(ordered[-1:])
    where = rests_on[0] if rests_on else None
    return Fact(
        LATE,
        rests_on,
        where.unit_code if where else "",
        where.unit_name if where else "",
        hours=max(int(over.total_seconds() // 3600), 0),
        since=promised_at,
    )


def journey_facts(scans: Sequence[Scan], *, now: datetime, facts: JourneyFacts) -> list[Fact]:
    """Every fact the journey supports today, flags first, then the last holder."""
    found = [
        suspected_false_sign(scans, disputed=facts.signs_disputed),
        stuck(scans, now=now, hours=facts.stuck_hours),
        late(scans, now=now, promised_at=facts.promised_at),
        last_holder(scans),
    ]
    return [f for f in found if f is not None]


# --- Routing (智能分单) ---------------------------------------------------------------------

# Where a rule sends the complaint.
DELIVERY_UNIT = "delivery_unit"  # the unit of the last 派件/签收 scan
LAST_UNIT = "last_unit"  # the last unit that scanned it
ORIGIN_UNIT = "origin_unit"  # the unit of the 收件 scan
FIXED_UNIT = "fixed_unit"  # a unit named in the rule
TARGETS = (DELIVERY_UNIT, LAST_UNIT, ORIGIN_UNIT, FIXED_UNIT)

AUTO = "auto"  # dispatch at once, as a system action
SUGGEST = "suggest"  # show the agent, who accepts with one click


@dataclass(frozen=True)
class RoutingRule:
    """One ordered rule: which complaints it takes, and where it sends them."""

    name: str
    target: str
    categories: frozenset[str] = frozenset()  # empty: any category
    parties: frozenset[str] = frozenset()  # empty: anyone
    requires_fact: str = ""  # a flag the journey must show (e.g. SUSPECTED_FALSE_SIGN)
    fixed_unit_code: str = ""
    action: str = AUTO
    rule_id: int | None = None


@dataclass(frozen=True)
class Route:
    """The outcome: the rule that matched, the unit, and the scan it used (None: unmatched)."""

    rule: RoutingRule | None
    unit_code: str = ""
    scan: Scan | None = None
    tried: tuple[str, ...] = field(default=())  # why earlier rules did not send it anywhere


def _target_scan(rule: RoutingRule, ordered: list[Scan]) -> Scan | None:
    if rule.target == DELIVERY_UNIT:
        candidates = [s for s in ordered if s.type in (DELIVER, SIGN) and s.unit_code]
    elif rule.target == LAST_UNIT:
        candidates = [s for s in ordered if s.unit_code]
    elif rule.target == ORIGIN_UNIT:
        candidates = [s for s in ordered if s.type == COLLECT and s.unit_code][:1]
    else:
        return None
    return candidates[-1] if candidates else None


def route(
    rules: Sequence[RoutingRule],
    *,
    category: str,
    party: str,
    scans: Sequence[Scan],
    facts: Sequence[Fact],
    known_units: frozenset[str] | set[str],
) -> Route:
    """The first rule (in order) that takes this complaint and finds a known unit for it.

    A rule whose scan names a unit the complaint system does not know (a hub with no staff in
    it, say) sends nothing: the next rule is tried, and with none left the complaint waits in
    the agents' 待下发 list as before.
    """
    ordered = _ordered(scans)
    present = {f.kind for f in facts}
    tried: list[str] = []
    for rule in rules:
        if rule.categories and category not in rule.categories:
            continue
        if rule.parties and party not in rule.parties:
            continue
        if rule.requires_fact and rule.requires_fact not in present:
            tried.append(f"{rule.name}: no_fact")
            continue
        if rule.target == FIXED_UNIT:
            unit, scan = rule.fixed_unit_code, None
        else:
            scan = _target_scan(rule, ordered)
            unit = scan.unit_code if scan else ""
        if not unit:
            tried.append(f"{rule.name}: no_scan")
            continue
        if unit not in known_units:
            tried.append(f"{rule.name}: unknown_unit {unit}")
            continue
        return Route(rule, unit, scan, tuple(tried))
    return Route(None, tried=tuple(tried))


# --- Pulling from the TMS: the retry pace and the circuit breaker --------------------------

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Breaker:
    """The circuit breaker in front of the TMS: after `threshold` failures in a row it opens for
    `cooldown`; then one probe is let through (half open): its success closes it, its failure
    opens it again. While open no pull waits on a TMS that is down or slow."""

    state: str = CLOSED
    failures: int = 0
    open_until: datetime | None = None
    probe_until: datetime | None = None  # a probe is out until then (half open)


def breaker_allows(b: Breaker, *, now: datetime) -> bool:
    """May a pull go out now? (Taking the half-open probe is breaker_probe's job; a success
    closes the breaker: a fresh Breaker().)"""
    if b.state == CLOSED:
        return True
    if b.open_until is not None and now < b.open_until:
        return False
    return b.probe_until is None or now >= b.probe_until


def breaker_probe(b: Breaker, *, now: datetime, timeout: timedelta) -> Breaker:
    """Take the one probe of an open breaker whose cooldown is over."""
    if b.state == CLOSED:
        return b
    return Breaker(HALF_OPEN, b.failures, b.open_until, now + timeout)


def breaker_failure(b: Breaker, *, now: datetime, threshold: int, cooldown: timedelta) -> Breaker:
    failures = b.failures + 1
    if b.state == HALF_OPEN or failures >= threshold:
        return Breaker(OPEN, failures, now + cooldown, None)
    return Breaker(CLOSED, failures)


def pull_backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """base, 2×base, 4×base … capped, after the n-th failed attempt (as the outbox retries)."""
    return min(base * (2 ** max(attempts - 1, 0)), cap)
