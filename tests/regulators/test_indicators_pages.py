"""The 监管指标 page, its Excel, the volume import (a bad row stores nothing) and the volume API."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from complaints.models import Unit
from regulators.models import ParcelVolume

pytestmark = pytest.mark.django_db

PAGE = reverse("regulators:indicators")
XLSX = reverse("regulators:indicators_xlsx")
IMPORT = reverse("regulators:volume_import")
API = "/api/v1/parcel-volumes/"


@pytest.fixture
def page(client, sam):
    client.force_login(sam)
    return client


def _csv(text: str, name="业务量.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def _xlsx(rows) -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("业务量.xlsx", buffer.getvalue())


def stored():
    rows = ParcelVolume.objects.values_list("month", "unit__code", "province", "parcels", "source")
    return sorted(rows, key=lambda r: (r[0], r[1] or "", r[2]))


# --- Import ------------------------------------------------------------------------------------


def test_a_csv_import_stores_every_row(page, org):
    body = (
        "月份,单位编码,省份,业务量\n"
        "2026-11,,,40000000\n"
        '2026-11,,广东省,"25,000,000"\n'  # a province by name, thousands separators
        "2026-11,A,,1200000\n"
    )

    response = page.post(IMPORT, {"file": _csv(body), "period": "2026-11"}, follow=True)

    assert response.redirect_chain[-1][0] == f"{PAGE}?period=2026-11"
    assert "已导入 3 条业务量" in response.content.decode()
    assert stored() == [
        (date(2026, 11, 1), None, "", 40_000_000, "import"),
        (date(2026, 11, 1), None, "GD", 25_000_000, "import"),
        (date(2026, 11, 1), "A", "", 1_200_000, "import"),
    ]


def test_a_bad_row_is_reported_with_its_line_and_nothing_is_stored(page, org):
    ParcelVolume.objects.create(month=date(2026, 10, 1), parcels=1, source="admin")
    body = (
        "月份,单位编码,省份,业务量\n"
        "2026-11,,,40000000\n"
        "2026-11,NOPE,,100\n"  # line 3: no such unit
        "2026-13,,,100\n"  # line 4: no such month
        "2026-11,,GD,-5\n"  # line 5: negative
        "2026-11,,,1\n"  # line 6: the same month and scope as line 2
    )

    response = page.post(IMPORT, {"file": _csv(body)}, follow=True)

    text = response.content.decode()
    assert "4 行错误，未导入任何数据" in text
    for line, reason in (
        (3, "单位编码“NOPE”不存在"),
        (4, "月份格式须为 YYYY-MM"),
        (5, "业务量须为非负整数"),
        (6, "与第2行重复"),
    ):
        assert f"第{line}行：{reason}" in text
    assert stored() == [(date(2026, 10, 1), None, "", 1, "admin")]


def test_an_excel_import_reads_months_typed_as_dates(page, org):
    from datetime import datetime

    upload = _xlsx([["月份", "省份", "业务量"], [datetime(2026, 11, 1), "浙江", 3_000_000], []])

    page.post(IMPORT, {"file": upload})

    assert stored() == [(date(2026, 11, 1), None, "ZJ", 3_000_000, "import")]


def test_importing_a_month_again_replaces_its_figure(page, org):
    page.post(IMPORT, {"file": _csv("月份,业务量\n2026-11,100\n")})
    page.post(IMPORT, {"file": _csv("月份,业务量\n2026-11,200\n")})

    assert stored() == [(date(2026, 11, 1), None, "", 200, "import")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", b"x", "只支持 .csv 或 .xlsx 文件"),
        ("a.csv", b"", "文件为空"),
        ("a.csv", "单位,数量\nA,1\n".encode(), "至少包含“月份”和“业务量”两列"),
        ("a.xlsx", b"not a workbook", "无法读取该 Excel 文件"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_chinese(page, org, name, content, message):
    response = page.post(IMPORT, {"file": SimpleUploadedFile(name, content)}, follow=True)

    assert message in response.content.decode()
    assert not ParcelVolume.objects.exists()


def test_an_agent_cannot_import_volumes(client, alice):
    client.force_login(alice)

    response = client.post(IMPORT, {"file": _csv("月份,业务量\n2026-11,100\n")})

    assert response.status_code == 403
    assert not ParcelVolume.objects.exists()


# --- API ---------------------------------------------------------------------------------------


def test_the_operations_system_sends_volumes_over_the_api(client, sam, org):
    client.force_login(sam)

    response = client.post(
        API,
        [
            {"month": "2026-11", "parcels": 40_000_000},
            {"month": "2026-11", "unit": "B", "parcels": 900_000},
        ],
        content_type="application/json",
    )

    assert (response.status_code, response.json()) == (200, {"stored": 2})
    assert stored() == [
        (date(2026, 11, 1), None, "", 40_000_000, "api"),
        (date(2026, 11, 1), "B", "", 900_000, "api"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"month": "2026-11", "parcels": "很多"},
        {"month": "2026-11", "parcels": True},
        {"month": "2026-11", "unit": "A", "province": "GD", "parcels": 1},
        [{"month": "2026-11", "parcels": 1}, "not an object"],
        [],
    ],
)
def test_the_api_refuses_a_bad_volume_in_the_one_error_shape(client, sam, org, body):
    client.force_login(sam)

    response = client.post(API, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not ParcelVolume.objects.exists()


def test_the_api_refuses_a_user_without_the_permission(client, alice, org):
    client.force_login(alice)

    response = client.post(API, {"month": "2026-11", "parcels": 1}, content_type="application/json")

    assert response.status_code == 403
    assert not ParcelVolume.objects.exists()


# --- The page and its Excel --------------------------------------------------------------------


@pytest.fixture
def november(register, org):
    from complaints.models import Complaint
    from regulators.models import Appeal

    ParcelVolume.objects.create(month=date(2026, 11, 1), parcels=40_000_000, source="admin")
    made = [
        register(
            case_no=f"SG-{i}",
            tracking_no=f"TEST{i:06d}",
            appellant_phone=f"139000{i:05d}",
        )
        for i in range(66)
    ]
    Complaint.objects.filter(pk__in=[a.complaint_id for a in made[:4]]).update(justified=True)
    Appeal.objects.filter(pk__in=[a.pk for a in made[:3]]).update(outcome="mediated")
    Unit.objects.filter(code="C").update(name='=HYPERLINK("http://x")')  # formula-like name
    return made


@time_machine.travel("2026-12-10 10:00 +0800", tick=False)
def test_the_page_shows_the_worked_example(page, november):
    response = page.get(PAGE, {"period": "2026-11"})

    text = response.content.decode()
    assert response.status_code == 200
    for metric, value in (
        ("appeal_rate", "1.65"),
        ("effective_rate", "0.10"),
        ("satisfaction", "75.0"),
    ):
        row = text.split(f'data-metric="{metric}"')[1].split("</tr>")[0]
        assert f'<td class="text-end fw-semibold" data-value>{value}</td>' in row
    assert "缺少" not in text
    assert "vendor/echarts/echarts.min.js" in text and "cdn" not in text.lower()


@time_machine.travel("2026-12-10 10:00 +0800", tick=False)
def test_without_volume_the_page_shows_a_dash_and_a_note(page, org):
    response = page.get(PAGE)  # the previous month by default

    text = response.content.decode()
    assert "缺少 2026-11 的业务量" in text
    row = text.split('data-metric="appeal_rate"')[1].split("</tr>")[0]
    assert "data-value>—</td>" in row


@pytest.mark.parametrize(
    "query",
    [{"period": "2026-13"}, {"period": "x"}, {"scope": "unit:999999"}, {"scope": "province:ZZ"}],
)
def test_a_bad_query_gets_a_chinese_message_not_a_500(page, org, query):
    response = page.get(PAGE, query)

    assert response.status_code == 400
    assert "无效" in response.content.decode() or "格式" in response.content.decode()


def test_an_agent_cannot_see_the_page(client, alice):
    client.force_login(alice)

    assert client.get(PAGE).status_code == 403
    assert client.get(XLSX).status_code == 403


@time_machine.travel("2026-12-10 10:00 +0800", tick=False)
def test_the_excel_has_the_quality_report_layout_and_is_formula_safe(page, november, org):
    from complaints.models import Complaint

    Complaint.objects.filter(pk=november[0].complaint_id).update(unit=org["a"])

    response = page.get(XLSX, {"period": "2026-11"})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["指标汇总", "按问题类型", "按省份", "逾期件数", "说明"]
    summary = [[c.value for c in row] for row in book["指标汇总"].iter_rows(min_row=3, max_row=5)]
    assert [r[0] for r in summary] == ["申诉率", "有效申诉率", "有效申诉处理满意率"]
    assert [r[2] for r in summary] == [1.65, 0.1, 75.0]
    names = [row[0].value for row in book["逾期件数"].iter_rows(min_row=3)]
    assert '\'=HYPERLINK("http://x")' in names
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


@time_machine.travel("2026-12-10 10:00 +0800", tick=False)
def test_the_page_runs_the_same_queries_whatever_the_number_of_appeals(page, register, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(PAGE, {"period": "2026-Q4"}).status_code == 200
        return len(ctx.captured_queries)

    register(case_no="SG-A", tracking_no="TESTA0000001", appellant_phone="13900000101")
    few = count()
    for i in range(12):
        register(
            case_no=f"SG-B{i}",
            tracking_no=f"TESTB{i:07d}",
            appellant_phone=f"139000002{i:02d}",
            province=("GD", "ZJ", "SH")[i % 3],
            category=("delay", "loss", "fee")[i % 3],
        )
    assert count() == few


def test_the_demo_data_has_a_volume_for_13_months_and_a_second_run_adds_nothing(db):
    from regulators.volumes import seed_demo_volumes

    with time_machine.travel("2026-12-10 10:00 +0800", tick=False):
        assert seed_demo_volumes() == 39
        assert seed_demo_volumes() == 0
    months = set(ParcelVolume.objects.values_list("month", flat=True))
    assert (min(months), max(months)) == (date(2025, 12, 1), date(2026, 12, 1))
