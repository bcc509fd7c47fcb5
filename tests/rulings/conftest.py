"""Fixtures for rulings: the east branch B-EAST-1 and a hub, a rule version with known figures,
answered complaints, API clients per persona.

The rule version (valid from 2026-01-01): 有责 at 派送 ¥50 / 2 points (any category), 中转
¥80 / 3 points, 派送 for a loss ¥200 / 5 points; 部分有责 × 0.5; repeat × 1.5, appeal × 2,
missed deadline × 1.2; caps ¥300 and 8 points a complaint; disputes within 3 working days,
decided within 2.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Role, Unit
from rulings import services as rulings
from rulings.models import AssessmentRule, AssessmentRuleLine
from tests.conftest import GOOD_REPLY, _user

D = Decimal


@pytest.fixture
def east(org):
    return Unit.objects.create(
        code="B-EAST-1", name="东区第一营业部", kind=Unit.Kind.BRANCH, parent=org["region"]
    )


@pytest.fixture
def hub(org):
    return Unit.objects.create(
        code="HUB-1", name="华东分拨中心", kind=Unit.Kind.BRANCH, parent=org["region"]
    )


@pytest.fixture
def erin(east):
    """Branch staff of B-EAST-1."""
    return _user("erin", Role.BRANCH, east)


@pytest.fixture
def eddie(east):
    """A courier of B-EAST-1 (a person at fault)."""
    return _user("eddie", Role.BRANCH, east)


@pytest.fixture
def hank(hub):
    """Branch staff of the hub."""
    return _user("hank", Role.BRANCH, hub)


@pytest.fixture
def rule(db):
    # The migrate's example version (valid from 2020) ends before this one starts.
    AssessmentRule.objects.filter(name="示例考核规则").update(valid_to=date(2025, 12, 31))
    version = AssessmentRule.objects.create(
        name="2026年考核规则",
        valid_from=date(2026, 1, 1),
        partial_share=D("0.50"),
        repeat_multiplier=D("1.50"),
        appeal_multiplier=D("2.00"),
        overdue_multiplier=D("1.20"),
        amount_cap=D("300.00"),
        points_cap=D("8.0"),
        dispute_days=3,
        decision_days=2,
    )
    AssessmentRuleLine.objects.bulk_create(
        [
            AssessmentRuleLine(rule=version, stage="delivery", amount=D("50"), points=D("2")),
            AssessmentRuleLine(rule=version, stage="hub", amount=D("80"), points=D("3")),
            AssessmentRuleLine(
                rule=version, stage="delivery", category="loss", amount=D("200"), points=D("5")
            ),
        ]
    )
    return version


@pytest.fixture
def answered(make_complaint, alice, erin, east, now, rule):
    """answered(**fields) → a complaint dispatched to B-EAST-1 and answered by erin in time."""

    def make(at=None, **fields):
        at = at or now
        complaint = make_complaint(at=at, **fields)
        complaint = services.complaint_dispatch(
            complaint=complaint, unit=east, by=alice, now=at + timedelta(minutes=5)
        )
        services.complaint_reply(
            complaint=complaint, by=erin, reply=GOOD_REPLY, now=at + timedelta(hours=2)
        )
        complaint.refresh_from_db()
        return complaint

    return make


def ruling_input(complaint, **fields) -> rulings.RulingInput:
    """At fault at 派送 of the complaint's unit, resting on its reply, unless told otherwise."""
    base = {
        "verdict": "at_fault",
        "stage": "delivery",
        "unit_id": complaint.unit_id,
        "reason": "派送员未按约定时间派送，轨迹显示滞留网点一天。",
        "reply_ids": tuple(complaint.replies.values_list("pk", flat=True)),
    }
    base.update(fields)
    return rulings.RulingInput(**base)


@pytest.fixture
def rule_it(sam, now):
    """rule_it(complaint, by=sam, at=now, **fields) → a ruling through the service."""

    def run(complaint, by=None, at=None, **fields):
        return rulings.ruling_record(
            complaint=complaint,
            by=by or sam,
            data=ruling_input(complaint, **fields),
            now=at or now + timedelta(hours=3),
        )

    return run


@pytest.fixture
def api(db):
    """api(user) → an APIClient authenticated with that user's token."""

    def client(user=None) -> APIClient:
        c = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return c

    return client


def photo(name: str = "签收底单.jpg"):
    """A real JPEG (decodes with Pillow) as an uploaded file."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
