"""Role access, the page, the JSON endpoints, the exports and the monthly e-mail."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from openpyxl import load_workbook

from dashboard.monthly import monthly_report_send
from dashboard.rollup import rollup_rebuild

Q = "?period=custom&start=2026-11-10&end=2026-11-16"
ENDPOINTS = ("kpis", "trend", "categories", "ranking", "heatmap", "lists")


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def built(history, time_machine):
    time_machine.move_to("2026-11-20T02:00:00Z", tick=False)
    rollup_rebuild()
    return history


@pytest.mark.parametrize("who", ["alice", "pat", "nobody"])
def test_it_refuses_agents_partners_and_strangers(who, request, built):
    c = client_for(request.getfixturevalue(who))
    assert c.get("/dashboard/" + Q).status_code == 403
    for name in ENDPOINTS:
        resp = c.get(f"/dashboard/api/{name}.json{Q}")
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "forbidden"
    assert c.get("/dashboard/export.xlsx" + Q).status_code == 403


def test_it_asks_anonymous_users_to_log_in(built):
    assert Client().get("/dashboard/").status_code == 302
    assert Client().get("/dashboard/api/kpis.json").status_code == 401


def test_it_shows_branch_staff_only_their_unit(built, bob, org):
    c = client_for(bob)
    kpis = {k["key"]: k for k in c.get("/dashboard/api/kpis.json" + Q).json()["kpis"]}
    assert kpis["received"]["value"] == 3  # branch A: c1, c2, c6
    other = c.get(f"/dashboard/api/kpis.json{Q}&unit={org['b'].pk}")
    assert other.status_code == 403
    lists = c.get("/dashboard/api/lists.json" + Q).json()["lists"]
    # Branch A has breached complaints (so this is not a check on an empty list), and only
    # branch A's show.
    assert {r["unit"] for r in lists["breached"]["rows"]} == {"网点甲"}
    page = c.get("/dashboard/" + Q)
    assert page.status_code == 200
    assert "本单位统计" in page.content.decode()


def test_it_lets_supervisors_drill_down(built, sam, org):
    c = client_for(sam)
    whole = c.get("/dashboard/api/kpis.json" + Q).json()
    assert {k["key"]: k["value"] for k in whole["kpis"]}["received"] == 7
    region = c.get(f"/dashboard/api/ranking.json{Q}&unit={org['region'].pk}").json()
    assert {r["unit"] for r in region["ranking"]} == {"网点甲", "网点乙"}
    page = c.get(f"/dashboard/{Q}&unit={org['a'].pk}").content.decode()
    assert "测试公司 / 测试区域 / 网点甲" in page or "网点甲" in page
    assert 'id="chart-trend"' in page


@pytest.mark.parametrize(
    "query",
    ["?period=nope", "?period=custom&start=2026-13-01&end=x", "?unit=abc", "?unit=999999",
     "?category=<script>", "?period=month&month=2026-99", "?period=month&month=0001-01",
     "?period=custom&start=9999-12-31&end=9999-12-31", "?unit=99999999999999999999999",
     "?period=month&month=2026", "?period=custom&start=&end="],
)  # fmt: skip
def test_it_answers_bad_filters_with_a_clear_error(built, sam, query):
    c = client_for(sam)
    resp = c.get("/dashboard/api/kpis.json" + query)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"]
    assert c.get("/dashboard/" + query).status_code == 200  # the page falls back, with a notice


def test_it_links_each_live_row_to_its_ticket(built, sam, time_machine):
    time_machine.move_to("2026-11-12T02:00:00Z", tick=False)
    lists = client_for(sam).get("/dashboard/api/lists.json").json()["lists"]
    # On the 12th, c6 (urgent: came via the regulator) is overdue; c7 was never dispatched.
    tickets = {r["ticket_no"] for r in lists["breached"]["rows"]}
    assert built["c6"].ticket_no in tickets
    assert all(r["url"] == f"/tickets/{r['ticket_no']}/" for r in lists["breached"]["rows"])
    try:
        apps.get_model("regulators", "Appeal")
    except LookupError:
        assert lists["appeals"] is None  # no appeals model on this branch: the hook says so
    else:
        assert lists["appeals"] == {"count": 0, "rows": []}


def test_it_exports_excel_with_the_figures_and_filters(built, sam):
    resp = client_for(sam).get("/dashboard/export.xlsx" + Q)
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["指标", "单位排名", "投诉类别", "每日趋势"]
    ws = wb["指标"]
    cells = {row[0]: row[1:] for row in ws.iter_rows(values_only=True) if row and row[0]}
    assert cells["统计周期"][0] == "2026-11-10 至 2026-11-16"
    assert cells["单位"][0] == "全公司"
    assert cells["受理量"][0] == 7
    assert cells["处理及时率"][0] == pytest.approx(2 / 3)
    assert cells["答复有效率"][0] == pytest.approx(0.5)
    assert cells["已赔付金额（元）"][0] == 60
    days = {r[0]: r for r in wb["每日趋势"].iter_rows(values_only=True) if r and r[0]}
    assert days["2026-11-10"][1:] == (7, 1, 0)


def test_it_exports_csv_with_the_filters(built, sam, org):
    resp = client_for(sam).get(f"/dashboard/export.csv{Q}&unit={org['b'].pk}&category=loss")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    as_dict: dict = {}
    for r in rows:
        if r:
            as_dict.setdefault(r[0], r[1:])  # the filters come first
    assert as_dict["单位"] == ["测试公司 / 测试区域 / 网点乙"]
    assert as_dict["投诉类别"][0] == "丢失"
    assert as_dict["受理量"][0] == "2"
    assert as_dict["有理由投诉率"][0] == "0.0%"


def test_it_mails_the_monthly_report_to_supervisors(built, sam, bob, time_machine):
    sam.email = "sam@example.invalid"
    sam.save()
    bob.email = "bob@example.invalid"
    bob.save()
    assert monthly_report_send(today=date(2026, 12, 1)) == 1
    (message,) = mail.outbox
    assert message.to == ["sam@example.invalid"]
    assert "2026年11月" in message.subject
    assert "受理量：7" in message.body
    _name, content, _mime = message.attachments[0]
    ws = load_workbook(io.BytesIO(content))["指标"]
    assert {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}["受理量"] == 7


def test_it_schedules_the_refresh_and_the_monthly_report(settings):
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "dashboard.tasks.refresh_rollup",
        "dashboard.tasks.send_monthly_report",
    ):
        assert name in tasks
        assert name in app.tasks


def test_it_speaks_english_when_asked(built, sam):
    c = client_for(sam)
    c.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    page = c.get("/dashboard/" + Q).content.decode()
    assert "Quality dashboard" in page and "Resolution on time" in page
