"""Staff actions on a complaint over the API: what each needs, who may, and when.

`available_actions` is the one answer to "what may this user do to this complaint now", from
the FSM state and the user's permissions; every staff response carries it, and the action
endpoint runs exactly these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django_fsm import can_proceed
from rest_framework import serializers

from complaints import services
from complaints.models import (
    OPEN_STATES,
    PAUSABLE_STATES,
    Category,
    Complaint,
    ContactMethod,
    FollowUpOutcome,
    Status,
    Unit,
)
from kernel.errors import InvalidInput


@dataclass(frozen=True)
class Action:
    perm: str
    allowed_in: Callable[[Complaint], bool]
    run: Callable
    body: type[serializers.Serializer] | None = None
    summary: str = ""
    # Who may, beyond the permission, when it depends on the person (the unit's head, its
    # staff): (complaint, user) -> bool. The service checks the same again.
    allowed_for: Callable[[Complaint, object], bool] | None = None


def _transition(name: str) -> Callable[[Complaint], bool]:
    return lambda c: can_proceed(getattr(c, name))


def _unit(code: str) -> Unit:
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise InvalidInput("责任单位不存在。", field_errors={"unit": "责任单位不存在。"})
    return unit


# --- Bodies -------------------------------------------------------------------------------


class ReasonBody(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="原因（必填）")


class OptionalReasonBody(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DispatchBody(serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="责任单位编码")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CategoryBody(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices, help_text="新的投诉类别")
    reason = serializers.CharField(max_length=500, help_text="调整原因（必填）")


class ReassignBody(serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="改派到的单位编码")
    reason = serializers.CharField(max_length=1000, help_text="改派原因")


class ContactBody(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ContactMethod.choices, help_text="联系方式")
    note = serializers.CharField(max_length=2000, help_text="联系内容")
    reached = serializers.BooleanField(default=True, help_text="是否联系上客户")


class ReplyBody(serializers.Serializer):
    facts = serializers.CharField(max_length=5000, help_text="基本情况")
    process = serializers.CharField(max_length=5000, help_text="处理经过")
    result = serializers.CharField(max_length=5000, help_text="处理结果")
    customer_accepts = serializers.BooleanField(required=False, allow_null=True, default=None)
    facts_confirmed = serializers.BooleanField(default=False, help_text="投诉属实")
    our_fault = serializers.BooleanField(default=False, help_text="属我方责任")


class CloseBody(serializers.Serializer):
    satisfied = serializers.BooleanField(
        default=True,
        help_text="客户满意/无异议为 true；false 表示未能回访（须在 note 中注明原因）后闭环",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AssignBody(serializers.Serializer):
    handler = serializers.CharField(
        max_length=150, allow_null=True, help_text="处理人的用户名（本单位网点人员）；null 取消指派"
    )
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


# --- Runners (map the API's field names to the services' inputs) --------------------------


def _assign(c, by, d):
    handler = None
    if d["handler"] is not None:
        from django.contrib.auth import get_user_model

        handler = get_user_model().objects.filter(username=d["handler"]).first()
        if handler is None:
            message = "处理人须为本单位在职的网点人员。"
            raise InvalidInput(message, field_errors={"handler": message})
    return services.complaint_assign_handler(
        complaint=c, handler=handler, by=by, reason=d["reason"]
    )


def _assignable(c: Complaint) -> bool:
    return c.status in OPEN_STATES and c.unit_id is not None


def _dispatch(c, by, d):
    return services.complaint_dispatch(
        complaint=c, unit=_unit(d["unit"]), by=by, reason=d["reason"]
    )


def _reassign(c, by, d):
    return services.complaint_reassign(
        complaint=c, unit=_unit(d["unit"]), by=by, reason=d["reason"]
    )


def _contact(c, by, d):
    try:
        services.complaint_log_contact(
            complaint=c, by=by, method=d["channel"], summary=d["note"], reached=d["reached"]
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"method": "channel", "summary": "note"}) from exc


def _reply(c, by, d):
    reply = services.ReplyInput(
        basic_facts=d["facts"],
        handling=d["process"],
        result=d["result"],
        customer_accepts=d["customer_accepts"],
        facts_confirmed=d["facts_confirmed"],
        our_fault=d["our_fault"],
    )
    try:
        services.complaint_reply(complaint=c, by=by, reply=reply)
    except InvalidInput as exc:
        raise _renamed(
            exc, {"basic_facts": "facts", "handling": "process", "result": "result"}
        ) from exc


def _close(c, by, d):
    outcome = FollowUpOutcome.SATISFIED if d["satisfied"] else FollowUpOutcome.NOT_CALLED
    try:
        services.complaint_record_follow_up(
            complaint=c, by=by, outcome=outcome, customer_words=d["note"]
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"customer_words": "note"}) from exc


def _renamed(exc: InvalidInput, names: dict[str, str]) -> InvalidInput:
    fields = {names.get(k, k): v for k, v in exc.field_errors.items()}
    return InvalidInput(exc.message, field_errors=fields)


ACTIONS: dict[str, Action] = {
    "dispatch": Action(
        "dispatch_complaint", _transition("dispatch"), _dispatch, DispatchBody, "下发到责任单位"
    ),
    "contact": Action(
        "contact_customer", lambda c: c.status in OPEN_STATES, _contact, ContactBody, "记录联系客户"
    ),
    "reply": Action(
        "reply_complaint", _transition("reply"), _reply, ReplyBody, "提交回复要素（核实→反馈）"
    ),
    "start_follow_up": Action(
        "follow_up_complaint",
        _transition("start_follow_up"),
        lambda c, by, d: services.complaint_start_follow_up(complaint=c, by=by),
        None,
        "开始回访",
    ),
    "close": Action(
        "follow_up_complaint",
        lambda c: c.status in (Status.ANSWERED, Status.FOLLOW_UP),
        _close,
        CloseBody,
        "回访后闭环",
    ),
    "reopen": Action(
        "follow_up_complaint",
        _transition("reopen"),
        lambda c, by, d: services.complaint_reopen(complaint=c, by=by, reason=d["reason"]),
        ReasonBody,
        "重新下发（客户不满意）",
    ),
    "reassign": Action(
        "dispatch_complaint", _transition("reassign"), _reassign, ReassignBody, "改派"
    ),
    "reject": Action(
        "reject_complaint",
        _transition("reject"),
        lambda c, by, d: services.complaint_reject(complaint=c, by=by, reason=d["reason"]),
        ReasonBody,
        "不予受理",
    ),
    "withdraw": Action(
        "withdraw_complaint",
        _transition("withdraw"),
        lambda c, by, d: services.complaint_withdraw(complaint=c, by=by, reason=d["reason"]),
        ReasonBody,
        "登记撤诉",
    ),
    "pause": Action(
        "pause_complaint",
        lambda c: c.status in PAUSABLE_STATES and not c.is_paused,
        lambda c, by, d: services.complaint_pause(complaint=c, by=by, reason=d["reason"]),
        ReasonBody,
        "暂停计时（等待客户）",
    ),
    "resume": Action(
        "pause_complaint",
        lambda c: c.is_paused,
        lambda c, by, d: services.complaint_resume(complaint=c, by=by, reason=d["reason"]),
        OptionalReasonBody,
        "恢复计时",
    ),
    "take": Action(
        "view_complaint",
        lambda c: _assignable(c) and c.handler_id is None,
        lambda c, by, d: services.complaint_take(complaint=c, by=by),
        None,
        "我来处理：本单位网点人员接单成为处理人（仅限尚无处理人的工单）",
        allowed_for=lambda c, user: services.may_take(user, c),
    ),
    "assign": Action(
        "view_complaint",
        _assignable,
        _assign,
        AssignBody,
        "指派处理人（单位负责人、客服坐席、质量监控主管；handler 为 null 取消指派）",
        allowed_for=lambda c, user: services.may_assign(user, c),
    ),
    "category": Action(
        "dispatch_complaint",  # triage: agents and supervisors (services/category.py)
        lambda c: c.status in OPEN_STATES,
        lambda c, by, d: services.complaint_set_category(
            complaint=c, by=by, category=d["category"], reason=d["reason"]
        ),
        CategoryBody,
        "调整投诉类别（原因必填；随之重新判断重复、聚集与时限）",
    ),
    "escalate": Action(
        "escalate_complaint",
        lambda c: c.status in OPEN_STATES and not c.is_escalated,
        lambda c, by, d: services.complaint_mark_escalated(complaint=c, by=by, reason=d["reason"]),
        ReasonBody,
        "标记投诉升级",
    ),
}


def available_actions(complaint: Complaint, user, *, perms: set[str] | None = None) -> list[str]:
    """The actions this user may take on this complaint in its current state.

    `perms` is the user's permission set (user.get_all_permissions()), passed in by a list so
    that a page of complaints costs the same two permission queries as one complaint.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if perms is None:
        perms = user_perms(user)
    return [
        name
        for name, action in ACTIONS.items()
        if f"complaints.{action.perm}" in perms
        and action.allowed_in(complaint)
        and (action.allowed_for is None or action.allowed_for(complaint, user))
    ]


def user_perms(user) -> set[str]:
    if user.is_superuser:
        return {f"complaints.{action.perm}" for action in ACTIONS.values()}
    return user.get_all_permissions()
