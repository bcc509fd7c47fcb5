"""The actions on one complaint, defined once: who may, when, what they take, which service.

The API, the ticket page, the access matrix and docs/api.md all read this registry (issue 26
§2); the surfaces only present an action (field names, button words) and decide nothing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from complaints import attachments, services
from complaints.models import (
    OPEN_STATES,
    PAUSABLE_STATES,
    Category,
    Complaint,
    ContactMethod,
    FollowUpOutcome,
    Priority,
    Status,
)
from kernel.errors import InvalidInput


@dataclass(frozen=True)
class Field:
    """One input of an action, as the service calls it.

    kind: text, choice, bool (absent = `default`), maybe (yes / no / unknown), file, or a
    reference the surface resolves: unit (API: its code; page: its id), handler (API: the
    username, null for nobody; page: the user id, empty for nobody), ticket (a ticket number).
    """

    name: str
    label: str | Promise
    kind: str = "text"
    required: bool = True
    max_length: int | None = None
    choices: tuple = ()
    default: Any = None
    api: str | None = ""  # the API's name when it differs; None: not offered by the API
    page: bool = True  # offered by the page's form
    help: str | Promise = ""

    @property
    def api_name(self) -> str | None:
        return None if self.api is None else (self.api or self.name)


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise  # the page's button
    perm: str  # codename in the complaints app
    when: Callable[[Complaint], bool]  # the state allows it (FSM)
    run: Callable[[Complaint, Any, dict], object]  # (complaint, by, inputs) -> the service's answer
    fields: tuple[Field, ...] = ()
    summary: str = ""  # the API operation's summary
    # Beyond the permission, when it depends on the person (the unit's head, its staff):
    # (complaint, user) -> bool. The service checks the same again.
    who: Callable[[Complaint, Any], bool] | None = None
    api: str | None = ""  # the API's name when it differs; None: page only
    page: bool = True

    @property
    def api_name(self) -> str | None:
        return None if self.api is None else (self.api or self.name)

    def available(self, complaint: Complaint, user, perms: set[str]) -> bool:
        return (
            f"complaints.{self.perm}" in perms
            and self.when(complaint)
            and (self.who is None or self.who(complaint, user))
        )


def _fsm(transition: str) -> Callable[[Complaint], bool]:
    return lambda c: can_proceed(getattr(c, transition))


def _open(c: Complaint) -> bool:
    return c.status in OPEN_STATES


def _assignable(c: Complaint) -> bool:
    return _open(c) and c.unit_id is not None


_REASON = gettext_lazy("原因")
_NOTE = gettext_lazy("说明")


def _reason(label: str | Promise = _REASON, **kw) -> Field:
    # 1000: the published API's limit; the page had 500 and now takes the same.
    return Field("reason", label, max_length=1000, **kw)


def _optional_reason(label: str | Promise = _NOTE, **kw) -> Field:
    return _reason(label, required=False, default="", **kw)


def _flag(name: str, label: str | Promise, default: bool = False) -> Field:
    return Field(name, label, kind="bool", default=default)


def _choice(name: str, label: str | Promise, choices, **kw) -> Field:
    return Field(name, label, kind="choice", choices=tuple(choices), **kw)


# --- Service calls that take more than the inputs as they come -----------------------------


@transaction.atomic
def _reply(c: Complaint, by, d: dict):
    """The reply and the photo taken with it (page): both kept, or neither."""
    answer = services.complaint_reply(
        complaint=c,
        by=by,
        reply=services.ReplyInput(
            basic_facts=d["basic_facts"],
            handling=d["handling"],
            result=d["result"],
            customer_accepts=d["customer_accepts"],
            facts_confirmed=d["facts_confirmed"],
            our_fault=d["our_fault"],
        ),
    )
    if d.get("file"):
        attachments.attachment_add(complaint=c, by=by, upload=d["file"])
    return answer


def _follow_up(c: Complaint, by, d: dict):
    # The API's `close` says only satisfied or not (not called back): its documented shape.
    outcome = d.get("outcome") or (
        FollowUpOutcome.SATISFIED if d.get("satisfied", True) else FollowUpOutcome.NOT_CALLED
    )
    return services.complaint_record_follow_up(
        complaint=c,
        by=by,
        outcome=outcome,
        customer_words=d["customer_words"],
        reply_truthful=d.get("reply_truthful"),
    )


def _merged_into(by, ticket_no: str | None) -> Complaint | None:
    ticket_no = (ticket_no or "").strip().upper()
    if not ticket_no:
        return None
    target = Complaint.objects.visible_to(by).filter(ticket_no=ticket_no).first()
    if target is None:
        message = _("要合并的工单不存在。")
        raise InvalidInput(message, field_errors={"merged_into": message})
    return target


def _justified_open(c: Complaint) -> bool:
    # After a fault ruling, 有理由投诉 follows the ruling (the ruling panel changes it).
    return c.status not in (
        Status.ACCEPTED,
        Status.REJECTED,
        Status.WITHDRAWN,
    ) and not services.complaint_is_ruled(c)


_REPLY_PARTS = (
    Field(
        "basic_facts",
        gettext_lazy("基本情况"),
        max_length=5000,
        api="facts",
        help=gettext_lazy("事实经过：收寄/封发/投递时间、邮件状态、签收人等。"),
    ),
    Field(
        "handling",
        gettext_lazy("处理经过"),
        max_length=5000,
        api="process",
        help=gettext_lazy("由谁、何时、以何种方式联系客户，采取了哪些措施。"),
    ),
    Field(
        "result",
        gettext_lazy("处理结果"),
        max_length=5000,
        help=gettext_lazy("问题是否已解决，客户是否认可。"),
    ),
)

# In the API's order (its `available_actions` lists them so); page-only ones in between.
REGISTRY: tuple[Action, ...] = (
    Action(
        "dispatch",
        gettext_lazy("下发"),
        "dispatch_complaint",
        _fsm("dispatch"),
        lambda c, by, d: services.complaint_dispatch(
            complaint=c, unit=d["unit"], by=by, reason=d["reason"]
        ),
        (
            Field("unit", gettext_lazy("责任单位"), kind="unit", max_length=32),
            _optional_reason(),
        ),
        "下发到责任单位",
    ),
    Action(
        "contact",
        gettext_lazy("记录联系客户"),
        "contact_customer",
        _open,
        lambda c, by, d: services.complaint_log_contact(
            complaint=c, by=by, method=d["method"], summary=d["summary"], reached=d["reached"]
        ),
        (
            _choice("method", gettext_lazy("方式"), ContactMethod.choices, api="channel"),
            _flag("reached", gettext_lazy("已联系上客户"), default=True),
            Field("summary", gettext_lazy("联系内容"), max_length=2000, api="note"),
        ),
        "记录联系客户",
    ),
    Action(
        "reply",
        gettext_lazy("提交处理答复"),
        "reply_complaint",
        _fsm("reply"),
        _reply,
        (
            *_REPLY_PARTS,
            Field("customer_accepts", gettext_lazy("客户是否认可"), kind="maybe", required=False),
            _flag("facts_confirmed", gettext_lazy("投诉属实")),
            _flag("our_fault", gettext_lazy("属我方责任")),
            Field(
                "file",
                gettext_lazy("现场照片（可直接拍照）"),
                kind="file",
                required=False,
                api=None,
            ),
        ),
        "提交回复要素（核实→反馈）",
    ),
    Action(
        "start_follow_up",
        gettext_lazy("开始回访"),
        "follow_up_complaint",
        _fsm("start_follow_up"),
        lambda c, by, d: services.complaint_start_follow_up(complaint=c, by=by),
        summary="开始回访",
    ),
    Action(
        "follow_up",
        gettext_lazy("记录回访结果"),
        "follow_up_complaint",
        # From 反馈 the service starts the follow-up and records it in one step.
        lambda c: can_proceed(c.start_follow_up) or can_proceed(c.close),
        _follow_up,
        (
            _choice("outcome", gettext_lazy("回访结果"), FollowUpOutcome.choices, api=None),
            Field(
                "satisfied",
                gettext_lazy("客户满意"),
                kind="bool",
                default=True,
                page=False,
                help="客户满意/无异议为 true；false 表示未能回访（须在 note 中注明原因）后闭环",
            ),
            Field(
                "customer_words",
                gettext_lazy("客户意见"),
                required=False,
                default="",
                max_length=2000,
                api="note",
            ),
            Field(
                "reply_truthful",
                gettext_lazy("答复是否属实"),
                kind="maybe",
                required=False,
                api=None,
            ),
        ),
        "回访后闭环",
        api="close",
    ),
    Action(
        "reopen",
        gettext_lazy("重新下发"),
        "follow_up_complaint",
        _fsm("reopen"),
        lambda c, by, d: services.complaint_reopen(complaint=c, by=by, reason=d["reason"]),
        (_reason(),),
        "重新下发（客户不满意）",
    ),
    Action(
        "reassign",
        gettext_lazy("改派"),
        "dispatch_complaint",
        _fsm("reassign"),
        lambda c, by, d: services.complaint_reassign(
            complaint=c, unit=d["unit"], by=by, reason=d["reason"]
        ),
        (
            Field("unit", gettext_lazy("责任单位"), kind="unit", max_length=32),
            _reason(gettext_lazy("改派原因")),
        ),
        "改派",
    ),
    Action(
        "reject",
        gettext_lazy("不予受理"),
        "reject_complaint",
        _fsm("reject"),
        lambda c, by, d: services.complaint_reject(
            complaint=c, by=by, reason=d["reason"], merged_into=_merged_into(by, d["merged_into"])
        ),
        (
            _reason(gettext_lazy("不予受理原因")),
            Field(
                "merged_into",
                gettext_lazy("合并至工单号（重复投诉时填写）"),
                kind="ticket",
                required=False,
                default="",
                max_length=24,
                api=None,
            ),
        ),
        "不予受理",
    ),
    Action(
        "withdraw",
        gettext_lazy("登记撤诉"),
        "withdraw_complaint",
        _fsm("withdraw"),
        lambda c, by, d: services.complaint_withdraw(complaint=c, by=by, reason=d["reason"]),
        (_reason(),),
        "登记撤诉",
    ),
    Action(
        "pause",
        gettext_lazy("暂停计时"),
        "pause_complaint",
        lambda c: c.status in PAUSABLE_STATES and not c.is_paused,
        lambda c, by, d: services.complaint_pause(complaint=c, by=by, reason=d["reason"]),
        (_reason(),),
        "暂停计时（等待客户）",
    ),
    Action(
        "resume",
        gettext_lazy("恢复计时"),
        "pause_complaint",
        lambda c: c.is_paused,
        lambda c, by, d: services.complaint_resume(complaint=c, by=by, reason=d["reason"]),
        (_optional_reason(),),
        "恢复计时",
    ),
    Action(
        "take",
        gettext_lazy("我来处理"),
        "view_complaint",
        lambda c: _assignable(c) and c.handler_id is None,
        lambda c, by, d: services.complaint_take(complaint=c, by=by),
        summary="我来处理：本单位网点人员接单成为处理人（仅限尚无处理人的工单）",
        who=lambda c, user: services.may_take(user, c),
    ),
    Action(
        "assign",
        gettext_lazy("指派处理人"),
        "view_complaint",
        _assignable,
        lambda c, by, d: services.complaint_assign_handler(
            complaint=c, handler=d["handler"], by=by, reason=d["reason"]
        ),
        (
            Field("handler", gettext_lazy("处理人"), kind="handler", max_length=150),
            _optional_reason(),
        ),
        "指派处理人（单位负责人、客服坐席、质量监控主管；handler 为 null 取消指派）",
        who=lambda c, user: services.may_assign(user, c),
    ),
    Action(
        "chase",
        gettext_lazy("登记客户催促"),
        "follow_up_complaint",
        _open,
        lambda c, by, d: services.complaint_chase(complaint=c, by=by, note=d["note"]),
        (Field("note", gettext_lazy("催促内容"), required=False, default="", max_length=500),),
        api=None,  # the API's chase is the customer's own endpoint (/chase/)
    ),
    Action(
        "priority",
        gettext_lazy("调整优先级"),
        "set_priority",
        _open,
        lambda c, by, d: services.complaint_set_priority(
            complaint=c, by=by, priority=d["priority"], reason=d["reason"]
        ),
        (
            _choice("priority", gettext_lazy("优先级"), Priority.choices),
            Field("reason", gettext_lazy("调整原因"), max_length=500),
        ),
        api=None,
    ),
    Action(
        "category",
        gettext_lazy("调整投诉类别"),
        "dispatch_complaint",  # triage: agents and supervisors (services/category.py)
        _open,
        lambda c, by, d: services.complaint_set_category(
            complaint=c, by=by, category=d["category"], reason=d["reason"]
        ),
        (
            _choice("category", gettext_lazy("投诉类别"), Category.choices),
            Field("reason", gettext_lazy("调整原因"), max_length=500),
        ),
        "调整投诉类别（原因必填；随之重新判断重复、聚集与时限）",
    ),
    Action(
        "escalate",
        gettext_lazy("标记投诉升级"),
        "escalate_complaint",
        lambda c: _open(c) and not c.is_escalated,
        lambda c, by, d: services.complaint_mark_escalated(complaint=c, by=by, reason=d["reason"]),
        (_reason(),),
        "标记投诉升级",
    ),
    Action(
        "justified",
        gettext_lazy("有理由判定"),
        "set_priority",
        _justified_open,
        lambda c, by, d: services.complaint_set_justified(
            complaint=c,
            by=by,
            facts_confirmed=d["facts_confirmed"],
            our_fault=d["our_fault"],
            obstructed=d["obstructed"],
            reason=d["reason"],
        ),
        (
            _flag("facts_confirmed", gettext_lazy("投诉属实")),
            _flag("our_fault", gettext_lazy("属我方责任")),
            _flag("obstructed", gettext_lazy("不配合或处理不力导致升级")),
            Field("reason", gettext_lazy("判定依据"), max_length=500),
        ),
        api=None,
    ),
    Action(
        "note",
        gettext_lazy("添加内部备注"),
        "note_complaint",
        lambda c: True,
        lambda c, by, d: services.complaint_add_note(complaint=c, by=by, text=d["text"]),
        (Field("text", gettext_lazy("内部备注（客户不可见）"), max_length=2000),),
        api=None,
    ),
    Action(
        "evidence",
        gettext_lazy("上传证据"),
        "contact_customer",
        lambda c: c.status not in (Status.REJECTED, Status.WITHDRAWN),
        lambda c, by, d: attachments.attachment_add(complaint=c, by=by, upload=d["file"]),
        (Field("file", gettext_lazy("证据文件（图片或PDF，≤10MB）"), kind="file"),),
        api=None,  # the API's evidence is its own endpoint (/evidence/)
    ),
)

ACTIONS: dict[str, Action] = {a.name: a for a in REGISTRY}
API_ACTIONS: dict[str, Action] = {a.api_name: a for a in REGISTRY if a.api_name}
PAGE_ACTIONS: dict[str, Action] = {a.name: a for a in REGISTRY if a.page}


def perms_of(user) -> set[str]:
    """The user's permissions (a superuser holds every action's)."""
    if user.is_superuser:
        return {f"complaints.{a.perm}" for a in REGISTRY}
    return user.get_all_permissions()


def available(
    actions: dict[str, Action], complaint: Complaint, user, *, perms: set[str] | None = None
) -> list[str]:
    """The names (keys of `actions`) this user may run on this complaint now, in their order.

    `perms` is perms_of(user), passed in by a list so that a page of complaints costs the same
    permission queries as one complaint.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if perms is None:
        perms = perms_of(user)
    return [key for key, a in actions.items() if a.available(complaint, user, perms)]
