"""The company's report to the regulator: drafted from the record, edited, exported, sent."""

from __future__ import annotations

import io

import pytest
from docx import Document

from complaints import services as complaint_services
from kernel.errors import Conflict, InvalidInput
from regulators import services
from regulators.report import SECTION_TITLES, render_docx
from tests.complaints.helpers import bring_to


@pytest.fixture
def handled_appeal(make_complaint, register, alice, bob, sam, org, now):
    """An appeal on a complaint that was dispatched, contacted, answered and followed up."""
    complaint = make_complaint(tracking_no="SF1234567890")
    complaint_services.complaint_log_contact(
        complaint=complaint, by=alice, method="phone", summary="已致电客户说明情况", now=now
    )
    bring_to("closed", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)
    return register()


def test_it_drafts_the_six_sections_from_the_complaint_record(handled_appeal, sam, now):
    appeal = services.appeal_draft_report(appeal=handled_appeal, by=sam, now=now)

    sections = appeal.report_sections
    assert list(sections) == list(SECTION_TITLES)
    assert "测试公司" in sections["respondent"] and "网点甲" in sections["respondent"]
    assert appeal.case_no in sections["respondent"] and "广东" in sections["respondent"]
    assert "138****0000" in sections["request"] and "13800000000" not in sections["request"]
    assert appeal.request in sections["request"]
    assert appeal.complaint.ticket_no in sections["investigation"]
    assert "分拣错误滞留一天" in sections["investigation"]  # the reply's 基本情况
    assert "已致电客户说明情况" in sections["handling"]  # the logged contact
    assert "安排专人派送" in sections["handling"]  # the reply's 处理经过
    assert "满意/无异议" in sections["handling"]  # the follow-up
    assert "客户本人签收" in sections["result"]  # the reply's 处理结果
    assert sections["rectification"]
    assert appeal.report_drafted_at == now
    assert appeal.events.filter(action="draft_report").exists()


def test_it_keeps_the_supervisors_edits_and_refuses_unknown_sections(handled_appeal, sam, now):
    appeal = services.appeal_draft_report(appeal=handled_appeal, by=sam, now=now)
    appeal = services.appeal_edit_report(
        appeal=appeal, by=sam, sections={"rectification": "对网点甲分拣员开展专项培训。"}, now=now
    )
    assert appeal.report_sections["rectification"] == "对网点甲分拣员开展专项培训。"
    assert "分拣错误" in appeal.report_sections["investigation"]  # untouched
    with pytest.raises(InvalidInput) as error:
        services.appeal_edit_report(
            appeal=appeal, by=sam, sections={"summary": "x", "result": " "}, now=now
        )
    assert set(error.value.field_errors) == {"summary", "result"}


def test_it_exports_a_docx_that_opens_and_holds_every_section(handled_appeal, sam, now):
    appeal = services.appeal_draft_report(appeal=handled_appeal, by=sam, now=now)
    appeal = services.appeal_edit_report(
        appeal=appeal, by=sam, sections={"rectification": "开展分拣专项培训。"}, now=now
    )

    document = Document(io.BytesIO(render_docx(appeal)))
    text = [p.text for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]

    assert headings == ["关于用户申诉处理情况的报告", *SECTION_TITLES.values()]
    assert any(appeal.case_no in line for line in text)
    assert "开展分拣专项培训。" in text
    assert any("分拣错误滞留一天" in line for line in text)
    assert text[-1].startswith("测试公司")


def test_it_records_the_sending_and_then_freezes_the_report(handled_appeal, sam, now):
    appeal = services.appeal_send_report(appeal=handled_appeal, by=sam, via="监管申诉系统", now=now)
    assert appeal.state == "reported"
    assert appeal.report_sent_at == now and appeal.report_sent_via == "监管申诉系统"
    assert all(appeal.report_sections.get(key) for key in SECTION_TITLES)  # drafted on send
    event = appeal.events.get(action="report")
    assert event.details == {"via": "监管申诉系统", "on_time": True}
    with pytest.raises(Conflict):
        services.appeal_edit_report(appeal=appeal, by=sam, sections={"result": "改"}, now=now)
    with pytest.raises(Conflict):
        services.appeal_send_report(appeal=appeal, by=sam, via="传真", now=now)


def test_it_drafts_placeholders_for_a_complaint_with_no_record_yet(register, sam, now):
    appeal = services.appeal_draft_report(appeal=register(), by=sam, now=now)
    assert "待补充" in appeal.report_sections["handling"]
    assert "待补充" in appeal.report_sections["result"]
