"""Every write to an appeal goes through here.

Each service checks the actor may do it, locks the appeal row, runs the FSM transition,
recomputes the deadlines, saves, writes the AppealEvent row and sends `appeal_changed` — all
in one transaction, so nothing is half-stored and the audit trail always matches the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from complaints import services as complaint_services
from complaints.attachments import attachment_add
from complaints.models import Category, Channel, Complaint, Party
from kernel import privacy, workflow
from kernel.actors import Actor, is_user
from kernel.errors import Conflict, InvalidInput, NotAllowed

from . import appeal_deadlines, outcomes
from .calendar import work_calendar
from .models import (
    Appeal,
    AppealEvent,
    AppealOutcome,
    AppealState,
    Province,
)
from .signals import appeal_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Words for "cannot be … now" refusals (their own context: the buttons say it differently).
ACTION_LABELS = {
    "investigate": pgettext_lazy("refused action", "开始调查核实"),
    "report": pgettext_lazy("refused action", "报送处理情况报告"),
    "propose_mediation": pgettext_lazy("refused action", "登记调解方案"),
    "close": pgettext_lazy("refused action", "办结"),
}

CASE_NO_PATTERN = re.compile(r"^[A-Za-z0-9\-_/]{4,40}$")
# A forwarded appeal may be registered a little late, but not for a date in the future.
RECEIVED_CLOCK_SKEW = timedelta(minutes=5)


def _conf(key: str):
    return settings.REGULATORS[key]


def authorize(by: Actor | None, perm: str) -> User:
    """Refuse unless `by` is an active user holding regulators.<perm> (supervisors do)."""
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    if not by.has_perm(f"regulators.{perm}"):
        raise NotAllowed(_("只有质量监控主管可以处理监管申诉。"))
    return by


def _event(
    appeal: Appeal,
    by: User,
    action: str,
    from_state: str,
    *,
    now: datetime,
    reason: str = "",
    **details: Any,
) -> AppealEvent:
    row = AppealEvent.objects.create(
        appeal=appeal,
        at=now,
        actor=by,
        action=action,
        from_state=from_state,
        to_state=appeal.state,
        reason=reason,
        details=details,
    )
    appeal_changed.send(sender=Appeal, appeal=appeal, event=action, actor=by, details=details)
    return row


def _lock(appeal: Appeal) -> Appeal:
    """Lock the appeal row; refuse when it changed state since the caller read it."""
    locked = workflow.lock(Appeal.objects, appeal.pk, not_found=_("申诉不存在。"))
    if locked.state != appeal.state:
        raise Conflict(
            _("申诉已被他人处理，当前状态为“%(state)s”，请刷新后再操作。")
            % {"state": locked.get_state_display()}
        )
    return locked


def _run(locked: Appeal, name: str) -> str:
    return workflow.run_transition(
        locked,
        name,
        refused=_("申诉当前状态为“%(state)s”，不能%(action)s。"),
        labels=ACTION_LABELS,
        field="state",
    )


def _save(locked: Appeal) -> None:
    workflow.save(locked, conflict=_("申诉已被他人处理，请刷新后再操作。"))


def _text(value, field: str, label: str, errors: dict[str, str], *, max_len: int) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        errors[field] = _("请填写%(label)s。") % {"label": label}
    elif len(text) > max_len:
        errors[field] = _("%(label)s不能超过%(max_len)s个字。") % {
            "label": label,
            "max_len": max_len,
        }
    return text


# --- Registering a forwarded appeal -------------------------------------------------------


@dataclass(frozen=True)
class NewAppeal:
    """What a supervisor registers from the regulator's forwarding notice."""

    case_no: str
    received_at: datetime | None  # the company's receipt of the forwarded case; None: now
    province: str
    appellant_name: str
    appellant_phone: str
    facts: str
    request: str
    tracking_no: str = ""
    ticket_no: str = ""  # The complaint it concerns, when the supervisor knows it.
    # Used only when no earlier complaint is found and a new one is created.
    category: str = Category.OTHER
    party: str = Party.SENDER
    report_days: int | None = None
    # The regulator's receipt of the user's appeal (邮政法 art. 65: its 30 days count from it).
    # None only from callers that do not ask yet: the reply due then counts from the company's
    # receipt, a later day than the law's.
    regulator_received_on: date | None = None


def validate_new_appeal(data: NewAppeal, *, now: datetime) -> tuple[dict, dict[str, str]]:
    """Check a new appeal; return its cleaned fields and the Chinese error per field."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    case_no = _text(data.case_no, "case_no", _("申诉案件编号"), errors, max_len=40)
    if case_no and not CASE_NO_PATTERN.match(case_no):
        errors["case_no"] = _("申诉案件编号只能包含字母、数字和 - _ /，长度4至40位。")
    cleaned["case_no"] = case_no
    received_at = now if data.received_at is None else data.received_at
    if not isinstance(received_at, datetime) or received_at.tzinfo is None:
        errors["received_at"] = _("请填写接收时间（含日期和时刻）。")
    elif received_at > now + RECEIVED_CLOCK_SKEW:
        errors["received_at"] = _("接收时间不能晚于当前时间。")
    elif received_at.year < 2000:
        errors["received_at"] = _("接收时间有误，请核对。")
    cleaned["received_at"] = received_at
    regulator_day = data.regulator_received_on
    if regulator_day is not None:
        if not isinstance(regulator_day, date) or isinstance(regulator_day, datetime):
            errors["regulator_received_on"] = _("请填写监管部门收到申诉的日期。")
        elif (
            isinstance(received_at, datetime)
            and received_at.tzinfo is not None
            and (regulator_day > timezone.localtime(received_at).date())
        ):
            errors["regulator_received_on"] = _(
                "监管部门收到申诉的日期不能晚于我司接收转办的时间。"
            )
        elif regulator_day.year < 2000:
            errors["regulator_received_on"] = _("监管部门收到申诉的日期有误，请核对。")
    cleaned["regulator_received_on"] = regulator_day
    if data.province not in Province.values:
        errors["province"] = _("转办省份无效。")
    cleaned["province"] = data.province
    cleaned["appellant_name"] = _text(
        data.appellant_name, "appellant_name", _("申诉人姓名"), errors, max_len=50
    )
    phone = privacy.normalize_phone(data.appellant_phone or "")
    if not privacy.is_valid_phone(phone):
        errors["appellant_phone"] = _("请填写正确的申诉人手机号或带区号的固定电话。")
    cleaned["appellant_phone"] = phone
    cleaned["facts"] = _text(data.facts, "facts", _("申诉事实"), errors, max_len=5000)
    cleaned["request"] = _text(data.request, "request", _("申诉请求"), errors, max_len=2000)
    # The complaint's own normalisation (issue 19 §10), so the appeal finds it by waybill.
    tracking = complaint_services.normalize_tracking_no(data.tracking_no or "")
    if tracking and not complaint_services.is_valid_tracking_no(tracking):
        errors["tracking_no"] = _("运单号只能包含字母和数字，最长40位。")
    cleaned["tracking_no"] = tracking
    cleaned["ticket_no"] = (data.ticket_no or "").strip().upper()
    if data.category not in Category.values:
        errors["category"] = _("投诉类别无效。")
    cleaned["category"] = data.category
    if data.party not in Party.values:
        errors["party"] = _("申诉人身份无效。")
    cleaned["party"] = data.party
    report_days = data.report_days if data.report_days is not None else _conf("COMPANY_REPORT_DAYS")
    if not isinstance(report_days, int) or not 1 <= report_days <= 60:
        errors["report_days"] = _("报告期限须为1至60日。")
    cleaned["report_days"] = report_days
    return cleaned, errors


def find_appealed_complaint(*, ticket_no: str, tracking_no: str, phone: str) -> Complaint | None:
    """Return the complaint an appeal is about: by ticket, else tracking number, else phone.

    The latest complaint wins: an appeal follows the answer the user was unhappy with. The
    phone is only used when the appeal names no tracking number: with one that we have no
    complaint about, the user's other complaints concern other shipments.
    """
    if ticket_no:
        return Complaint.objects.filter(ticket_no=ticket_no).first()
    if tracking_no:
        return Complaint.objects.same_waybill(tracking_no).first()
    return Complaint.objects.filter(phone=phone).order_by("-accepted_at").first()


@transaction.atomic
def appeal_register(*, data: NewAppeal, by: Actor, now: datetime | None = None) -> Appeal:
    """Register an appeal the regulator forwarded, link its complaint and set its deadlines.

    The complaint is the one named by ticket number, else the latest on the tracking number,
    else the latest from the appellant's phone; with none, a complaint is created on the
    `regulator` channel. Either way the complaint becomes external and urgent (2 h follow-up).
    """
    now = workflow.now_or(now)
    by = authorize(by, "register_appeal")
    cleaned, errors = validate_new_appeal(data, now=now)
    if errors:
        raise InvalidInput(_("登记的申诉信息有误，请修改后重试。"), field_errors=errors)
    if Appeal.objects.filter(case_no=cleaned["case_no"]).exists():
        raise Conflict(
            _("申诉案件编号 %(case_no)s 已登记。") % {"case_no": cleaned["case_no"]},
            field_errors={"case_no": _("该申诉案件编号已登记。")},
        )

    complaint = find_appealed_complaint(
        ticket_no=cleaned["ticket_no"],
        tracking_no=cleaned["tracking_no"],
        phone=cleaned["appellant_phone"],
    )
    created = complaint is None
    if cleaned["ticket_no"] and complaint is None:
        raise InvalidInput(
            _("未找到该投诉工单。"),
            field_errors={"ticket_no": _("未找到该投诉工单，请核对工单号。")},
        )
    reason = f"监管部门转办申诉（案件编号 {cleaned['case_no']}）"
    if complaint is None:  # created
        if not cleaned["tracking_no"]:
            raise InvalidInput(
                _("未找到原投诉，新建工单需要运单号。"),
                field_errors={"tracking_no": _("未找到原投诉，请填写运单号以新建工单。")},
            )
        complaint, _code = complaint_services.complaint_create(
            data=complaint_services.NewComplaint(
                tracking_no=cleaned["tracking_no"],
                complainant_name=cleaned["appellant_name"],
                phone=cleaned["appellant_phone"],
                party=cleaned["party"],
                category=cleaned["category"],
                description=cleaned["facts"],
                demand_detail=cleaned["request"],
                channel=Channel.REGULATOR,
            ),
            by=by,
            now=now,
        )
    else:
        # Open: marked external; closed, rejected or withdrawn: back into handling (issue 18).
        complaint = complaint_services.complaint_reinstate_for_appeal(
            complaint=complaint, by=by, reason=reason, now=now
        )

    calendar = work_calendar()
    received_at = cleaned["received_at"]
    appeal = Appeal(
        case_no=cleaned["case_no"],
        received_at=received_at,
        regulator_received_on=cleaned["regulator_received_on"],
        province=cleaned["province"],
        complaint=complaint,
        complaint_created=created,
        appellant_name=cleaned["appellant_name"],
        appellant_phone=cleaned["appellant_phone"],
        tracking_no=cleaned["tracking_no"] or complaint.tracking_no,
        facts=cleaned["facts"],
        request=cleaned["request"],
        report_days=cleaned["report_days"],
        company_report_due=appeal_deadlines.company_report_due(
            received_at, days=cleaned["report_days"], calendar=calendar
        ),
        regulator_reply_due=appeal_deadlines.regulator_reply_due(
            cleaned["regulator_received_on"] or received_at, calendar=calendar
        ),
        registered_by=by,
        created_at=now,
    )
    try:
        # A savepoint: a concurrent registration of the same case number loses cleanly.
        with transaction.atomic():
            appeal.save()
    except IntegrityError as exc:
        raise Conflict(
            _("申诉案件编号 %(case_no)s 已登记。") % {"case_no": cleaned["case_no"]},
            field_errors={"case_no": _("该申诉案件编号已登记。")},
        ) from exc
    _event(
        appeal,
        by,
        "register",
        "",
        now=now,
        reason=reason,
        complaint=complaint.ticket_no,
        complaint_created=created,
        report_days=appeal.report_days,
    )
    return appeal


@transaction.atomic
def appeal_register_with_documents(
    *, data: NewAppeal, documents=(), by: Actor, now: datetime | None = None
) -> Appeal:
    """Register an appeal (appeal_register) and keep the regulator's forwarded documents.

    The documents become evidence of the appeal's complaint, each checked and audited as any
    evidence upload (complaints.attachments); a refused one registers nothing.
    """
    appeal = appeal_register(data=data, by=by, now=now)
    for upload in documents:
        attachment_add(complaint=appeal.complaint, by=by, upload=upload, now=now)
    return appeal


# --- Handling -----------------------------------------------------------------------------


@transaction.atomic
def appeal_investigate(
    *, appeal: Appeal, by: Actor, note: str = "", now: datetime | None = None
) -> Appeal:
    """已接收 → 调查核实中."""
    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    locked = _lock(appeal)
    from_state = _run(locked, "investigate")
    _save(locked)
    _event(locked, by, "investigate", from_state, now=now, reason=(note or "").strip()[:2000])
    return locked


@transaction.atomic
def appeal_draft_report(*, appeal: Appeal, by: Actor, now: datetime | None = None) -> Appeal:
    """(Re)draft the report to the regulator from the complaint's record; replaces the text."""
    from .report import draft_sections

    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    locked = _lock(appeal)
    if locked.report_sent_at is not None:
        raise Conflict(_("报告已报送，不能重新起草。"))
    locked.report_sections = draft_sections(locked)
    locked.report_drafted_at = now
    _save(locked)
    _event(locked, by, "draft_report", locked.state, now=now)
    return locked


@transaction.atomic
def appeal_edit_report(
    *, appeal: Appeal, by: Actor, sections: dict, now: datetime | None = None
) -> Appeal:
    """Store the supervisor's edited report; sections not given keep their text."""
    from .report import SECTION_TITLES

    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    errors: dict[str, str] = {}
    if not isinstance(sections, dict) or not sections:
        raise InvalidInput(_("请提交报告内容。"), field_errors={"sections": _("请提交报告内容。")})
    for key, text in sections.items():
        if key not in SECTION_TITLES:
            errors[str(key)[:40]] = _("报告没有这一部分。")
        elif not isinstance(text, str) or not text.strip():
            errors[key] = _("请填写“%(section)s”。") % {"section": SECTION_TITLES[key]}
        elif len(text) > 10000:
            errors[key] = _("“%(section)s”不能超过10000字。") % {"section": SECTION_TITLES[key]}
    if errors:
        raise InvalidInput(_("报告内容有误，请修改后重试。"), field_errors=errors)
    locked = _lock(appeal)
    if locked.report_sent_at is not None:
        raise Conflict(_("报告已报送，不能再修改。"))
    locked.report_sections = {
        **locked.report_sections,
        **{k: v.strip() for k, v in sections.items()},
    }
    locked.report_edited_at = now
    _save(locked)
    _event(locked, by, "edit_report", locked.state, now=now, sections=sorted(sections))
    return locked


@transaction.atomic
def appeal_send_report(
    *, appeal: Appeal, by: Actor, via: str, now: datetime | None = None
) -> Appeal:
    """Record that the report went to the regulator (→ 已报告); drafts it first if empty.

    Late reports are accepted and recorded as late: the regulator still needs them.
    """
    from .report import SECTION_TITLES, draft_sections

    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    via = (via or "").strip()
    if not via or len(via) > 100:
        raise InvalidInput(
            _("请填写报送方式。"),
            field_errors={"via": _("请填写报送方式（如：监管申诉系统、传真）。")},
        )
    locked = _lock(appeal)
    from_state = _run(locked, "report")
    if not all((locked.report_sections or {}).get(key) for key in SECTION_TITLES):
        locked.report_sections = {**draft_sections(locked), **(locked.report_sections or {})}
        locked.report_drafted_at = locked.report_drafted_at or now
    locked.report_sent_at = now
    locked.report_sent_via = via
    _save(locked)
    _event(
        locked,
        by,
        "report",
        from_state,
        now=now,
        via=via,
        on_time=outcomes.is_on_time(now, locked.company_report_due),
    )
    return locked


@transaction.atomic
def appeal_record_mediation_proposal(
    *,
    appeal: Appeal,
    by: Actor,
    proposal: str,
    proposed_at: datetime | None = None,
    now: datetime | None = None,
) -> Appeal:
    """已报告 → 调解中: the regulator proposed a mediation; feedback is due in 3 working days."""
    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    proposal = (proposal or "").strip()
    if not proposal or len(proposal) > 5000:
        raise InvalidInput(
            _("请填写调解方案。"), field_errors={"proposal": _("请填写调解方案（5000字以内）。")}
        )
    proposed_at = proposed_at or now
    if proposed_at.tzinfo is None or proposed_at > now + RECEIVED_CLOCK_SKEW:
        raise InvalidInput(
            _("调解方案收到时间有误。"),
            field_errors={"proposed_at": _("收到时间不能晚于当前时间。")},
        )
    locked = _lock(appeal)
    if proposed_at < locked.received_at:
        raise InvalidInput(
            _("调解方案收到时间有误。"),
            field_errors={"proposed_at": _("收到时间不能早于申诉接收时间。")},
        )
    from_state = _run(locked, "propose_mediation")
    locked.mediation_proposal = proposal
    locked.mediation_proposed_at = proposed_at
    locked.mediation_feedback_due = appeal_deadlines.mediation_feedback_due(
        proposed_at, calendar=work_calendar()
    )
    locked.mediation_answer = ""
    locked.mediation_answered_at = None
    _save(locked)
    _event(
        locked,
        by,
        "propose_mediation",
        from_state,
        now=now,
        proposed_at=proposed_at.isoformat(),
        feedback_due=locked.mediation_feedback_due.isoformat(),
    )
    return locked


@transaction.atomic
def appeal_answer_mediation(
    *, appeal: Appeal, by: Actor, answer: str, now: datetime | None = None
) -> Appeal:
    """Record the company's feedback on the mediation proposal (stops that timer)."""
    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    answer = (answer or "").strip()
    if not answer or len(answer) > 5000:
        raise InvalidInput(
            _("请填写反馈意见。"), field_errors={"answer": _("请填写反馈意见（5000字以内）。")}
        )
    locked = _lock(appeal)
    if locked.state != AppealState.MEDIATION:
        raise Conflict(_("监管部门尚未提出调解方案。"))
    if locked.mediation_answered_at is not None:
        raise Conflict(_("已反馈过本次调解方案。"))
    locked.mediation_answer = answer
    locked.mediation_answered_at = now
    _save(locked)
    _event(
        locked,
        by,
        "answer_mediation",
        locked.state,
        now=now,
        on_time=outcomes.is_on_time(now, locked.mediation_feedback_due),
    )
    return locked


@transaction.atomic
def appeal_close(
    *, appeal: Appeal, by: Actor, outcome: str, reason: str = "", now: datetime | None = None
) -> Appeal:
    """→ 已办结 with its outcome; the outcome must fit the state (regulators.outcomes)."""
    now = workflow.now_or(now)
    by = authorize(by, "handle_appeal")
    if outcome not in AppealOutcome.values:
        raise InvalidInput(_("办结结果无效。"), field_errors={"outcome": _("办结结果无效。")})
    locked = _lock(appeal)
    if not locked.is_open:
        raise Conflict(_("申诉已办结。"))
    refusal = outcomes.outcome_refusal(state=locked.state, outcome=outcome)
    if refusal:
        raise Conflict(refusal, field_errors={"outcome": refusal})
    from_state = _run(locked, "close")
    locked.outcome = outcome
    locked.closed_at = now
    _save(locked)
    _event(
        locked,
        by,
        "close",
        from_state,
        now=now,
        reason=(reason or "").strip()[:2000],
        outcome=outcome,
    )
    return locked
