"""The company's report to the regulator on a forwarded appeal: drafted, edited, exported.

The structure is the one postal administrations ask for in a 申诉处理情况报告:
被申诉企业、申诉人诉求、调查核实情况、处理经过、处理结果、整改措施. The draft is built from the
complaint's record (facts, contacts, replies, follow-ups and, when the compensation app records
them, compensation claims); supervisors edit the stored text before it is sent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from kernel.privacy import mask_phone

from .eligibility import format_chinese_date

SECTION_TITLES: dict[str, str] = {
    "respondent": "一、被申诉企业",
    "request": "二、申诉人诉求",
    "investigation": "三、调查核实情况",
    "handling": "四、处理经过",
    "result": "五、处理结果",
    "rectification": "六、整改措施",
}


def _local(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{format_chinese_date(local.date())}{local:%H:%M}"


@dataclass(frozen=True)
class ReportFacts:
    """A snapshot of what the report is drafted from; plain values, no database access."""

    company_name: str
    unit_name: str
    case_no: str
    province: str
    received_at: datetime
    appellant_name: str
    appellant_phone: str
    tracking_no: str
    ticket_no: str
    category: str
    facts: str
    request: str
    complaint_accepted_at: datetime
    contacts: tuple[tuple[datetime, str, str, str], ...] = ()  # at, who, method, summary
    replies: tuple[
        tuple[datetime, str, str, str, str], ...
    ] = ()  # at, unit, facts, handling, result
    follow_ups: tuple[tuple[datetime, str, str], ...] = ()  # at, outcome, customer's words
    justified: bool | None = None
    our_fault: bool | None = None
    regulator_received_on: date | None = None  # the regulator's receipt of the appeal
    compensation: tuple[tuple[str, Decimal], ...] = field(default=())  # state label, amount


def draft_from_facts(facts: ReportFacts) -> dict[str, str]:
    """Return the six sections of the report, drafted from the record."""
    respondent = (
        f"{facts.company_name}（责任单位：{facts.unit_name or '待确定'}）。"
        f"申诉案件编号：{facts.case_no}，由{facts.province}邮政管理部门转办"
        + (
            f"（监管部门于{format_chinese_date(facts.regulator_received_on)}收到用户申诉）"
            if facts.regulator_received_on
            else ""
        )
        + f"，我司于{_local(facts.received_at)}收到。"
    )
    request = (
        f"申诉人{facts.appellant_name}（电话{mask_phone(facts.appellant_phone)}），"
        f"运单号{facts.tracking_no or '未提供'}，反映：{facts.facts}\n申诉请求：{facts.request}"
    )

    investigation_lines = [
        f"我司于{_local(facts.complaint_accepted_at)}受理该用户投诉（工单号{facts.ticket_no}，"
        f"类别：{facts.category}）。"
    ]
    for at, unit, basic_facts, _handling, _result in facts.replies:
        investigation_lines.append(f"{_local(at)}，{unit}核实：{basic_facts}")
    if facts.justified is not None:
        verdict = "属于有理由投诉" if facts.justified else "不属于有理由投诉"
        investigation_lines.append(f"经核实，该投诉{verdict}。")
    elif facts.our_fault is not None:
        investigation_lines.append(
            "经核实，" + ("属我方责任。" if facts.our_fault else "非我方责任。")
        )
    if len(investigation_lines) == 1:
        investigation_lines.append("（调查核实情况待补充）")

    handling_lines = [
        f"{_local(at)}，{who}通过{method}联系用户：{summary}"
        for at, who, method, summary in facts.contacts
    ]
    handling_lines += [
        f"{_local(at)}，{unit}处理：{handling}" for at, unit, _f, handling, _r in facts.replies
    ]
    handling_lines += [
        f"{_local(at)}回访用户，结果：{outcome}。{words}".rstrip()
        for at, outcome, words in facts.follow_ups
    ]
    if not handling_lines:
        handling_lines.append("（处理经过待补充）")

    result_lines = [f"{unit}答复结果：{result}" for _at, unit, _f, _h, result in facts.replies]
    result_lines += [f"赔偿（{state}）：{amount:.2f}元" for state, amount in facts.compensation]
    if not result_lines:
        result_lines.append("（处理结果待补充）")

    rectification = (
        "针对本次申诉暴露的问题，责任单位已组织相关人员学习服务规范，加强作业环节管控，"
        "防止同类问题再次发生。（请根据实际情况修改）"
    )
    return {
        "respondent": respondent,
        "request": request,
        "investigation": "\n".join(investigation_lines),
        "handling": "\n".join(handling_lines),
        "result": "\n".join(result_lines),
        "rectification": rectification,
    }


def company_name(complaint) -> str:
    """The company the appeal is against: the setting, else the top unit above the complaint."""
    configured = settings.REGULATORS.get("COMPANY_NAME")
    if configured:
        return configured
    from complaints.models import Unit

    unit = complaint.unit
    seen = 0
    while unit is not None and unit.parent_id is not None and seen < 10:
        unit, seen = unit.parent, seen + 1
    if unit is None:
        unit = Unit.objects.filter(kind=Unit.Kind.COMPANY).order_by("pk").first()
    return unit.name if unit else "本公司"


def compensation_lines(complaint) -> tuple[tuple[str, Decimal], ...]:
    """Return the compensation claims on the complaint, when the compensation app has them.

    That app is built separately: any of its models with a foreign key to Complaint and an
    `amount` field is read; a `status`/`state` field, when present, is shown as the label.
    """
    if not apps.is_installed("compensation"):
        return ()
    lines: list[tuple[str, Decimal]] = []
    for model in apps.get_app_config("compensation").get_models():
        names = {f.name: f for f in model._meta.get_fields()}
        link = next(
            (
                f.name
                for f in names.values()
                if getattr(f, "related_model", None) is type(complaint) and f.many_to_one
            ),
            None,
        )
        if link is None or "amount" not in names:
            continue
        label_field = next((n for n in ("status", "state") if n in names), None)
        rows = model._default_manager.filter(**{link: complaint})
        if label_field:  # a rejected claim paid nothing and is no part of the result
            rows = rows.exclude(**{label_field: "rejected"})
        for row in rows.order_by("pk")[:20]:
            label = getattr(row, f"get_{label_field}_display")() if label_field else "赔偿"
            if row.amount is not None:
                lines.append((str(label), Decimal(row.amount)))
    return tuple(lines)


def collect_facts(appeal) -> ReportFacts:
    """Read what the report needs from the appeal and its complaint (a fixed number of queries)."""
    complaint = appeal.complaint
    replies = list(complaint.replies.select_related("unit").order_by("at", "id"))
    contacts = list(complaint.contacts.select_related("by").order_by("at", "id"))
    follow_ups = list(complaint.follow_ups.order_by("at", "id"))
    our_fault = any(r.our_fault for r in replies) if replies else None
    return ReportFacts(
        company_name=company_name(complaint),
        unit_name=complaint.unit.name if complaint.unit_id else "",
        case_no=appeal.case_no,
        province=appeal.get_province_display(),
        received_at=appeal.received_at,
        regulator_received_on=appeal.regulator_received_on,
        appellant_name=appeal.appellant_name,
        appellant_phone=appeal.appellant_phone,
        tracking_no=appeal.tracking_no,
        ticket_no=complaint.ticket_no,
        category=complaint.get_category_display(),
        facts=appeal.facts,
        request=appeal.request,
        complaint_accepted_at=complaint.accepted_at,
        contacts=tuple(
            (c.at, c.by.get_full_name() or c.by.get_username(), c.get_method_display(), c.summary)
            for c in contacts
        ),
        replies=tuple((r.at, r.unit.name, r.basic_facts, r.handling, r.result) for r in replies),
        follow_ups=tuple((f.at, f.get_outcome_display(), f.customer_words) for f in follow_ups),
        justified=complaint.justified,
        our_fault=our_fault,
        compensation=compensation_lines(complaint),
    )


def draft_sections(appeal) -> dict[str, str]:
    return draft_from_facts(collect_facts(appeal))


def render_docx(appeal) -> bytes:
    """Return the report as a Word document: title, case line, the six sections, signature."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    sections = appeal.report_sections or draft_sections(appeal)
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    # Word picks the East Asian font from w:eastAsia, not from the font name.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    title = document.add_heading("关于用户申诉处理情况的报告", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(
        f"{appeal.get_province_display()}邮政管理局：\n"
        f"贵局转办的申诉（案件编号：{appeal.case_no}）已收悉，现将处理情况报告如下："
    )
    for key, heading in SECTION_TITLES.items():
        document.add_heading(heading, level=2)
        for line in (sections.get(key) or "").splitlines() or [""]:
            document.add_paragraph(line)
    sent = appeal.report_sent_at or timezone.now()
    closing = document.add_paragraph(
        f"{company_name(appeal.complaint)}\n{format_chinese_date(timezone.localtime(sent).date())}"
    )
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
