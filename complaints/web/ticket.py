"""The ticket page: details, deadlines, timeline and the one-click actions.

Each action is an htmx POST to one service from complaints/actions.py's registry (the API reads
the same), answered with the refreshed panel; domain errors come back inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms as djforms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints import actions as registry
from complaints import rules, services
from complaints.models import (
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
from .clock_display import TIMER_LABELS, appeal_risk, nearest_clock
from .timeline import build_timeline


def _complaint_for(request, ticket_no: str) -> Complaint:
    """The complaint if this user may see it; another unit's is answered 404, like a missing one."""
    try:
        return services.get_for_staff(ticket_no=ticket_no, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc


# --- Actions: the registry's (complaints/actions.py), as buttons and forms ------------------


def _rows(n: int) -> djforms.Textarea:
    return djforms.Textarea(attrs={"rows": n})


def _yes_no(unknown, yes, no) -> djforms.Select:
    return djforms.Select(choices=[("", unknown), ("true", yes), ("false", no)])


# How a field looks, by (action, field) or field name; the rest take their kind's default.
_WIDGETS = {
    "summary": lambda: _rows(2),
    "basic_facts": lambda: _rows(3),
    "handling": lambda: _rows(3),
    "result": lambda: _rows(2),
    "customer_words": lambda: _rows(2),
    "text": lambda: _rows(2),
    "outcome": djforms.RadioSelect,
    "customer_accepts": lambda: _yes_no(
        gettext_lazy("未知"), gettext_lazy("认可"), gettext_lazy("不认可")
    ),
    "reply_truthful": lambda: _yes_no(
        gettext_lazy("未核对"), gettext_lazy("属实"), gettext_lazy("不属实")
    ),
    # Branch staff reply from the floor: the phone's camera opens straight away (`capture`).
    ("reply", "file"): lambda: djforms.FileInput(
        attrs={"accept": "image/*", "capture": "environment"}
    ),
    ("evidence", "file"): lambda: djforms.FileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
    ),
}


def _field(action: registry.Action, f: registry.Field):
    """The page's form field for one registry field."""
    kw: dict = {"label": f.label, "help_text": f.help}
    widget = _WIDGETS.get((action.name, f.name)) or _WIDGETS.get(f.name)
    if widget is not None:
        kw["widget"] = widget()
    if f.kind == "bool":
        return djforms.BooleanField(required=False, initial=f.default, **kw)
    if f.kind == "maybe":
        return djforms.NullBooleanField(required=False, **kw)
    if f.kind == "choice":
        return djforms.ChoiceField(choices=list(f.choices), required=f.required, **kw)
    if f.kind == "file":
        return djforms.FileField(required=f.required, **kw)
    if f.kind == "unit":  # a unit's id from the grouped select (forms.DispatchForm fills it)
        return djforms.TypedChoiceField(coerce=int, required=f.required, **kw)
    if f.kind == "handler":  # a user id from the select; empty: nobody
        kw.setdefault("widget", djforms.Select)
        return djforms.CharField(required=False, **kw)
    return djforms.CharField(max_length=f.max_length, required=f.required, **kw)


def _form(action: registry.Action, base: type[forms.StyledForm]):
    """The action's form: its fields from the registry, its helpers from `base`."""
    fields = [f for f in action.fields if f.page]
    if not fields:
        return None
    attrs = {f.name: _field(action, f) for f in fields}
    attrs.update({name: None for name in base.base_fields if name not in attrs})
    return type(f"{action.name.title().replace('_', '')}Form", (base,), attrs)


def _unit(pk) -> Unit | None:
    return Unit.objects.filter(pk=pk).first()


def _handler(value: str):
    if not value:
        return None
    handler = None
    if value.isdigit() and len(value) <= 10:  # a user id from the select, nothing else
        handler = get_user_model().objects.filter(pk=int(value)).first()
    if handler is None:
        message = _("处理人须为本单位在职的网点人员。")
        raise InvalidInput(message, field_errors={"handler": message})
    return handler


_RESOLVE = {"unit": _unit, "handler": _handler}


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


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


@dataclass(frozen=True)
class PageAction:
    action: registry.Action
    form: type[forms.StyledForm] | None
    style: str = "outline-primary"
    # A callable words the message from the fresh ticket.
    success: str | Promise | Callable[[Complaint], str] = ""

    @property
    def label(self):
        return self.action.label

    def run(self, request, complaint: Complaint, data: dict):
        inputs = {}
        for f in self.action.fields:  # a field the page does not offer: its default
            value = data[f.name] if f.page else f.default
            inputs[f.name] = _RESOLVE[f.kind](value) if f.kind in _RESOLVE else value
        return self.action.run(complaint, request.user, inputs)


# How the page shows each action, in the order of its buttons: (style, success message).
# Every action of the registry's page has a row.
_LOOKS: dict[str, tuple[str, str | Promise | Callable]] = {
    "dispatch": ("primary", gettext_lazy("已下发至责任单位。")),
    "reassign": ("outline-primary", gettext_lazy("已改派。")),
    "take": ("primary", gettext_lazy("您已是该工单的处理人。")),
    "assign": ("outline-primary", gettext_lazy("处理人已更新。")),
    "contact": ("outline-primary", gettext_lazy("联系记录已保存。")),
    "reply": ("primary", gettext_lazy("答复已提交，等待客服回访。")),
    "start_follow_up": ("outline-primary", gettext_lazy("已开始回访。")),
    "follow_up": ("primary", _follow_up_message),
    "reopen": ("outline-primary", gettext_lazy("已重新下发给责任单位。")),
    "pause": ("outline-secondary", gettext_lazy("已暂停计时。")),
    "resume": ("outline-secondary", gettext_lazy("已恢复计时。")),
    "chase": ("outline-warning", gettext_lazy("已登记催促。")),
    "escalate": ("outline-danger", gettext_lazy("已标记为投诉升级。")),
    "priority": ("outline-secondary", gettext_lazy("优先级已调整。")),
    "category": ("outline-secondary", gettext_lazy("投诉类别已调整。")),
    "justified": ("outline-secondary", gettext_lazy("判定已保存。")),
    "reject": ("outline-danger", gettext_lazy("已不予受理。")),
    "withdraw": ("outline-danger", gettext_lazy("已登记撤诉。")),
    "note": ("outline-secondary", gettext_lazy("备注已保存（仅员工可见）。")),
    "evidence": ("outline-secondary", gettext_lazy("证据已上传。")),
}
# The form classes that lend their helpers: the unit's select, the handler's, the radio buttons.
_HELPERS = {
    "dispatch": forms.DispatchForm,
    "reassign": forms.DispatchForm,
    "assign": forms.AssignForm,
    "follow_up": forms.FollowUpForm,
}

ACTIONS: dict[str, PageAction] = {
    name: PageAction(action, _form(action, _HELPERS.get(name, forms.StyledForm)), style, ok)
    for name, (style, ok) in _LOOKS.items()
    for action in [registry.PAGE_ACTIONS[name]]
}
_ORDERED = {name: registry.PAGE_ACTIONS[name] for name in ACTIONS}

# The order of the buttons, the main step of each state first.
PRIMARY = ("dispatch", "reply", "follow_up", "start_follow_up", "reopen")


def allowed_actions(complaint: Complaint, user) -> list[str]:
    """The actions to show: the FSM allows the step and the user may (the registry decides)."""
    names = registry.available(_ORDERED, complaint, user)
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
