"""The ticket page: details, deadlines, timeline and the one-click actions.

Every action is an htmx POST that calls one service and answers with the refreshed panel.
A button is shown only when the FSM allows the step and the user has the permission; the
services still check both. Domain errors come back inline: field errors next to their fields,
a Conflict as "someone else acted first" over a panel showing the current state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from complaints import attachments, rules, services
from complaints.models import (
    PAUSABLE_STATES,
    Attachment,
    Complaint,
    Phrase,
    Role,
    Status,
    Unit,
)
from complaints.roles import role_of
from kernel import privacy, refdata
from kernel.clock import WorkCalendar, deadline_text, to_shanghai
from kernel.errors import Conflict, DomainError, InvalidInput, NotFound

from . import forms
from .deadlines import TIMER_LABELS, appeal_risk, nearest_clock
from .timeline import build_timeline


def _complaint_for(request, ticket_no: str) -> Complaint:
    """The complaint if this user may see it; another unit's is answered 404, like a missing one."""
    try:
        return services.get_for_staff(ticket_no=ticket_no, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc


# --- Actions ------------------------------------------------------------------------------


def _unit(pk) -> Unit | None:
    return Unit.objects.filter(pk=pk).first()


def _merged_into(request, ticket_no: str) -> Complaint | None:
    ticket_no = (ticket_no or "").strip().upper()
    if not ticket_no:
        return None
    target = Complaint.objects.visible_to(request.user).filter(ticket_no=ticket_no).first()
    if target is None:
        raise InvalidInput(
            _("要合并的工单不存在。"), field_errors={"merged_into": _("要合并的工单不存在。")}
        )
    return target


@dataclass(frozen=True)
class Action:
    label: str
    perm: str
    allowed: Callable[[Complaint], bool]
    form: type[forms.StyledForm] | None
    run: Callable  # (request, complaint, cleaned_data) -> None
    style: str = "outline-primary"
    success: str | Callable[[Complaint], str] = ""  # a callable words it from the fresh ticket
    # Who may, beyond the permission, when it depends on the person (the unit's head or staff):
    # (complaint, user) -> bool. The service checks the same again.
    allowed_for: Callable | None = None


@transaction.atomic
def _reply(request, complaint: Complaint, data: dict) -> None:
    """The reply and the photo taken with it: both kept, or neither."""
    services.complaint_reply(
        complaint=complaint,
        by=request.user,
        reply=services.ReplyInput(
            basic_facts=data["basic_facts"],
            handling=data["handling"],
            result=data["result"],
            customer_accepts=data["customer_accepts"],
            facts_confirmed=data["facts_confirmed"],
            our_fault=data["our_fault"],
        ),
    )
    if data.get("file"):
        attachments.attachment_add(complaint=complaint, by=request.user, upload=data["file"])


def _assign(request, complaint: Complaint, data: dict) -> None:
    handler = None
    if data["handler"]:
        from django.contrib.auth import get_user_model

        value = data["handler"]  # a user id from the select; anything else is not a person
        if value.isdigit() and len(value) <= 10:
            handler = get_user_model().objects.filter(pk=int(value)).first()
        if handler is None:
            message = _("处理人须为本单位在职的网点人员。")
            raise InvalidInput(message, field_errors={"handler": message})
    services.complaint_assign_handler(
        complaint=complaint, handler=handler, by=request.user, reason=data["reason"]
    )


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def _assignable(c: Complaint) -> bool:
    return c.is_open and c.unit_id is not None


def _follow_up_message(complaint: Complaint) -> str:
    """Say what the follow-up did: closed, or sent back to the unit with its new deadline."""
    if complaint.status == Status.CLOSED:
        return _("回访结果已记录，工单已闭环。")
    if complaint.status == Status.VERIFYING and complaint.unit_id:
        due = complaint.resolution_due
        return _("客户不满意，已重新下发至%(unit)s，处理时限 %(due)s。") % {
            "unit": complaint.unit.name,
            "due": deadline_text(due) if due else "—",
        }
    return _("回访结果已记录。")


ACTIONS: dict[str, Action] = {
    "dispatch": Action(
        gettext_lazy("下发"),
        "dispatch_complaint",
        lambda c: can_proceed(c.dispatch),
        forms.DispatchForm,
        lambda r, c, d: services.complaint_dispatch(
            complaint=c, unit=_unit(d["unit"]), by=r.user, reason=d["reason"]
        ),
        "primary",
        gettext_lazy("已下发至责任单位。"),
    ),
    "reassign": Action(
        gettext_lazy("改派"),
        "dispatch_complaint",
        lambda c: can_proceed(c.reassign),
        forms.ReassignForm,
        lambda r, c, d: services.complaint_reassign(
            complaint=c, unit=_unit(d["unit"]), by=r.user, reason=d["reason"]
        ),
        success=gettext_lazy("已改派。"),
    ),
    "take": Action(
        gettext_lazy("我来处理"),
        "view_complaint",
        lambda c: _assignable(c) and c.handler_id is None,
        None,
        lambda r, c, d: services.complaint_take(complaint=c, by=r.user),
        "primary",
        gettext_lazy("您已是该工单的处理人。"),
        allowed_for=lambda c, user: services.may_take(user, c),
    ),
    "assign": Action(
        gettext_lazy("指派处理人"),
        "view_complaint",
        _assignable,
        forms.AssignForm,
        _assign,
        success=gettext_lazy("处理人已更新。"),
        allowed_for=lambda c, user: services.may_assign(user, c),
    ),
    "contact": Action(
        gettext_lazy("记录联系客户"),
        "contact_customer",
        lambda c: c.is_open,
        forms.ContactForm,
        lambda r, c, d: services.complaint_log_contact(
            complaint=c, by=r.user, method=d["method"], summary=d["summary"], reached=d["reached"]
        ),
        success=gettext_lazy("联系记录已保存。"),
    ),
    "reply": Action(
        gettext_lazy("提交处理答复"),
        "reply_complaint",
        lambda c: can_proceed(c.reply),
        forms.ReplyForm,
        _reply,
        "primary",
        gettext_lazy("答复已提交，等待客服回访。"),
    ),
    "start_follow_up": Action(
        gettext_lazy("开始回访"),
        "follow_up_complaint",
        lambda c: can_proceed(c.start_follow_up),
        None,
        lambda r, c, d: services.complaint_start_follow_up(complaint=c, by=r.user),
        success=gettext_lazy("已开始回访。"),
    ),
    "follow_up": Action(
        gettext_lazy("记录回访结果"),
        "follow_up_complaint",
        lambda c: c.status in (Status.ANSWERED, Status.FOLLOW_UP),
        forms.FollowUpForm,
        lambda r, c, d: services.complaint_record_follow_up(
            complaint=c,
            by=r.user,
            outcome=d["outcome"],
            customer_words=d["customer_words"],
            reply_truthful=d["reply_truthful"],
        ),
        "primary",
        _follow_up_message,
    ),
    "reopen": Action(
        gettext_lazy("重新下发"),
        "follow_up_complaint",
        lambda c: c.status == Status.CLOSED,
        forms.ReasonForm,
        lambda r, c, d: services.complaint_reopen(complaint=c, by=r.user, reason=d["reason"]),
        success=gettext_lazy("已重新下发给责任单位。"),
    ),
    "pause": Action(
        gettext_lazy("暂停计时"),
        "pause_complaint",
        lambda c: c.status in PAUSABLE_STATES and not c.is_paused,
        forms.ReasonForm,
        lambda r, c, d: services.complaint_pause(complaint=c, by=r.user, reason=d["reason"]),
        "outline-secondary",
        gettext_lazy("已暂停计时。"),
    ),
    "resume": Action(
        gettext_lazy("恢复计时"),
        "pause_complaint",
        lambda c: c.is_paused,
        forms.OptionalReasonForm,
        lambda r, c, d: services.complaint_resume(complaint=c, by=r.user, reason=d["reason"]),
        "outline-secondary",
        gettext_lazy("已恢复计时。"),
    ),
    "chase": Action(
        gettext_lazy("登记客户催促"),
        "follow_up_complaint",
        lambda c: c.is_open,
        forms.ChaseForm,
        lambda r, c, d: services.complaint_chase(complaint=c, by=r.user, note=d["note"]),
        "outline-warning",
        gettext_lazy("已登记催促。"),
    ),
    "escalate": Action(
        gettext_lazy("标记投诉升级"),
        "escalate_complaint",
        lambda c: c.is_open and not c.is_escalated,
        forms.ReasonForm,
        lambda r, c, d: services.complaint_mark_escalated(
            complaint=c, by=r.user, reason=d["reason"]
        ),
        "outline-danger",
        gettext_lazy("已标记为投诉升级。"),
    ),
    "priority": Action(
        gettext_lazy("调整优先级"),
        "set_priority",
        lambda c: c.is_open,
        forms.PriorityForm,
        lambda r, c, d: services.complaint_set_priority(
            complaint=c, by=r.user, priority=d["priority"], reason=d["reason"]
        ),
        "outline-secondary",
        gettext_lazy("优先级已调整。"),
    ),
    "category": Action(
        gettext_lazy("调整投诉类别"),
        "dispatch_complaint",  # triage: agents and supervisors (services/category.py)
        lambda c: c.is_open,
        forms.CategoryForm,
        lambda r, c, d: services.complaint_set_category(
            complaint=c, by=r.user, category=d["category"], reason=d["reason"]
        ),
        "outline-secondary",
        gettext_lazy("投诉类别已调整。"),
    ),
    "justified": Action(
        gettext_lazy("有理由判定"),
        "set_priority",
        # After a fault ruling, 有理由投诉 follows the ruling (the ruling panel changes it).
        lambda c: (
            c.status not in (Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN)
            and not services.complaint_is_ruled(c)
        ),
        forms.JustifiedForm,
        lambda r, c, d: services.complaint_set_justified(
            complaint=c,
            by=r.user,
            facts_confirmed=d["facts_confirmed"],
            our_fault=d["our_fault"],
            obstructed=d["obstructed"],
            reason=d["reason"],
        ),
        "outline-secondary",
        gettext_lazy("判定已保存。"),
    ),
    "reject": Action(
        gettext_lazy("不予受理"),
        "reject_complaint",
        lambda c: can_proceed(c.reject),
        forms.RejectForm,
        lambda r, c, d: services.complaint_reject(
            complaint=c,
            by=r.user,
            reason=d["reason"],
            merged_into=_merged_into(r, d["merged_into"]),
        ),
        "outline-danger",
        gettext_lazy("已不予受理。"),
    ),
    "withdraw": Action(
        gettext_lazy("登记撤诉"),
        "withdraw_complaint",
        lambda c: can_proceed(c.withdraw),
        forms.ReasonForm,
        lambda r, c, d: services.complaint_withdraw(complaint=c, by=r.user, reason=d["reason"]),
        "outline-danger",
        gettext_lazy("已登记撤诉。"),
    ),
    "note": Action(
        gettext_lazy("添加内部备注"),
        "note_complaint",
        lambda c: True,
        forms.NoteForm,
        lambda r, c, d: services.complaint_add_note(complaint=c, by=r.user, text=d["text"]),
        "outline-secondary",
        gettext_lazy("备注已保存（仅员工可见）。"),
    ),
    "evidence": Action(
        gettext_lazy("上传证据"),
        "contact_customer",
        lambda c: c.status not in (Status.REJECTED, Status.WITHDRAWN),
        forms.EvidenceForm,
        lambda r, c, d: attachments.attachment_add(complaint=c, by=r.user, upload=d["file"]),
        "outline-secondary",
        gettext_lazy("证据已上传。"),
    ),
}

# The order of the buttons, the main step of each state first.
PRIMARY = ("dispatch", "reply", "follow_up", "start_follow_up", "reopen")


def allowed_actions(complaint: Complaint, user) -> list[str]:
    """The actions to show: the FSM allows the step and the user holds the permission."""
    names = [
        name
        for name, action in ACTIONS.items()
        if user.has_perm(f"complaints.{action.perm}")
        and action.allowed(complaint)
        and (action.allowed_for is None or action.allowed_for(complaint, user))
    ]
    return sorted(names, key=lambda n: (n not in PRIMARY, list(ACTIONS).index(n)))


def _panel_context(request, complaint: Complaint, *, bound: dict | None = None, **extra):
    now = timezone.now()
    names = allowed_actions(complaint, request.user)
    bound = bound or {}
    action_forms = []
    for name in names:
        action = ACTIONS[name]
        if name in bound:
            form = bound[name]
        elif action.form is not None:
            form = action.form(prefix=name)
            if name == "dispatch":
                form.suggest_for(complaint)
        else:
            form = None
        if name == "assign" and form is not None:
            form.for_complaint(complaint)  # the unit's staff, bound or not
        action_forms.append({"name": name, "action": action, "form": form})
    # Branch staff come to a ticket to reply: their reply form starts open.
    open_action = extra.pop("open_action", None) or (
        "reply" if "reply" in names and role_of(request.user) == Role.BRANCH else None
    )
    reference = refdata.current()  # SLA policies and calendar, for the clock and the 12305 line
    return {
        "complaint": complaint,
        "actions": action_forms,
        "open_action": open_action,
        "timeline": build_timeline(complaint),
        "clock": nearest_clock(complaint, now=now, reference=reference),
        "appeal": appeal_risk(complaint, now=now, reference=reference),
        "deadlines": _deadlines(complaint, now, calendar=reference["calendar"]),
        "masked_name": privacy.mask_name(complaint.complainant_name),
        "can_reveal": request.user.has_perm("complaints.view_personal_data"),
        "links": _links(request.user, complaint),
        "now": now,
        "handler_name": _person(complaint.handler) if complaint.handler_id else "",
        **extra,
    }


def _deadlines(complaint: Complaint, now, *, calendar: WorkCalendar):
    """Each timer of the complaint: due, done (this round), running, breached, paused, and
    estimated: its day lies in a year whose 调休 the State Council has not announced yet."""
    follow_up_done = complaint.follow_up_at
    if follow_up_done and complaint.answered_at and follow_up_done < complaint.answered_at:
        follow_up_done = None  # that call was about the previous round's reply
    rows = [
        ("first_response", complaint.first_response_due, complaint.first_response_at),
        ("resolution", complaint.resolution_due, complaint.answered_at),
        ("statutory", complaint.statutory_due, complaint.first_answered_at),
        ("follow_up", complaint.follow_up_due, follow_up_done),
    ]
    out = []
    for timer, due, done in rows:
        if due is None:
            continue
        paused = timer == "resolution" and complaint.is_paused
        running = complaint.is_open and done is None and not paused
        out.append(
            {
                "label": TIMER_LABELS[timer],
                "due": due,
                "done": done,
                "running": running,
                "breached": running and due <= now,
                "paused": paused,
                # The last instant counted (24:00 of a day is that day's).
                "estimated": calendar.is_estimated(
                    to_shanghai(due - timedelta(microseconds=1)).date()
                ),
            }
        )
    return out


def _links(user, complaint: Complaint):
    visible = Complaint.objects.visible_to(user)
    ids = {
        "repeat_of": [complaint.repeat_of_id] if complaint.repeat_of_id else [],
        "merged_into": [complaint.merged_into_id] if complaint.merged_into_id else [],
    }
    found = {
        c.pk: c
        for c in visible.filter(pk__in=ids["repeat_of"] + ids["merged_into"]).only(
            "ticket_no", "status", "accepted_at", "category"
        )
    }
    return {
        "repeat_of": [found[i] for i in ids["repeat_of"] if i in found],
        "merged_into": [found[i] for i in ids["merged_into"] if i in found],
        "repeats": list(
            visible.filter(repeat_of=complaint).only(
                "ticket_no", "status", "accepted_at", "category"
            )[:20]
        ),
        "merged": list(
            visible.filter(merged_into=complaint).only(
                "ticket_no", "status", "accepted_at", "category"
            )[:20]
        ),
    }


@login_required
def ticket_detail(request, ticket_no: str):
    complaint = _complaint_for(request, ticket_no)
    template = (
        "complaints/_ticket_panel.html"
        if request.headers.get("HX-Request")
        else "complaints/ticket.html"
    )
    return render(request, template, _panel_context(request, complaint))


@login_required
@require_POST
def ticket_action(request, ticket_no: str, name: str):
    """Run one action through its service and answer with the refreshed ticket panel."""
    complaint = _complaint_for(request, ticket_no)
    action = ACTIONS.get(name)
    if action is None:
        raise Http404(_("没有这个操作。"))
    form = action.form(request.POST, request.FILES, prefix=name) if action.form else None
    status = 200
    extra: dict = {}
    succeeded = False
    seen = request.POST.get("seen_status")
    if seen and seen != complaint.status:
        # The page was read before someone else moved the ticket on: do not act on stale facts.
        extra = {
            "alert": (
                "warning",
                _("有人先您一步处理了该工单：当前状态为“%(status)s”，请确认后再操作。")
                % {"status": complaint.get_status_display()},
            )
        }
        status = 409
    elif form is not None and not form.is_valid():
        extra = {"bound": {name: form}, "open_action": name}
        status = 400
    else:
        try:
            action.run(request, complaint, form.cleaned_data if form else {})
        except Conflict as exc:
            extra = {"alert": ("warning", _("有人先您一步处理了该工单：") + exc.message)}
            status = 409
        except DomainError as exc:
            if form is not None:
                form.add_error(None, exc.message)
                for field, message in exc.field_errors.items():
                    form.add_error(field, message)
                extra = {"bound": {name: form}, "open_action": name}
            else:
                extra = {"alert": ("danger", exc.message)}
            status = exc.status_code if exc.status_code != 404 else 400
        else:
            succeeded = True
    fresh = _complaint_for(request, ticket_no)
    if succeeded:
        message = action.success(fresh) if callable(action.success) else action.success
        extra = {"alert": ("success", str(message))}
    htmx = bool(request.headers.get("HX-Request"))
    # Without script the form posts normally and gets the whole page back.
    template = "complaints/_ticket_panel.html" if htmx else "complaints/ticket.html"
    response = render(request, template, _panel_context(request, fresh, **extra))
    # htmx swaps only 2xx answers by default; the panel carries the message, so keep it 200
    # for htmx and tell the real outcome in a header.
    if htmx:
        response["X-Action-Status"] = str(status)
    else:
        response.status_code = status
    return response


@login_required
@require_POST
def reply_check(request, ticket_no: str):
    """htmx: check the three 回复要素 while the user types, one message per part."""
    complaint = _complaint_for(request, ticket_no)
    if not request.user.has_perm("complaints.reply_complaint"):
        raise PermissionDenied(_("您没有权限提交答复。"))
    parts = {f: request.POST.get(f"reply-{f}", "") for f in rules.REPLY_PARTS}
    problems = rules.reply_problems(
        parts, Phrase.active(Phrase.Kind.VAGUE_REPLY), Phrase.active(Phrase.Kind.EVASIVE_REPLY)
    )
    trigger = (request.headers.get("HX-Trigger-Name") or "").removeprefix("reply-")
    # While typing, speak only about the parts already written or being written.
    shown = {f: m for f, m in problems.items() if parts[f].strip() or f == trigger}
    return render(
        request,
        "complaints/_reply_check.html",
        {"complaint": complaint, "fields": list(rules.REPLY_PARTS), "problems": shown},
    )


@login_required
@require_POST
def reveal_personal_data(request, ticket_no: str):
    """Show the full name and phone after a click; the service records who looked."""
    complaint = _complaint_for(request, ticket_no)
    try:
        data = services.complaint_reveal_personal_data(
            complaint=complaint, by=request.user, purpose=_("工单页查看")
        )
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(request, "complaints/_personal_data.html", {"data": data})


@login_required
def attachment_download(request, ticket_no: str, token: str):
    """Serve evidence as a download with its detected type: never rendered as a page.

    Named with the detected type's extension (`照片.bat` that is a PDF saves as `照片.pdf`),
    `attachment` disposition, `nosniff`, and a CSP that sandboxes it should a browser open
    it anyway (issue 19 §3).
    """
    complaint = _complaint_for(request, ticket_no)
    attachment = get_object_or_404(Attachment, complaint=complaint, token=token)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachments.download_name(attachment),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
