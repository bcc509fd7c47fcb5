"""The ticket's full history in one list: state changes, contacts, replies, follow-ups, notes
and evidence, oldest first, each marked as internal or customer-visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, Status

# The audit rows whose content is shown by its own record (contact, evidence) are not repeated.
_SHOWN_BY_RECORD = {"contact", "evidence"}

TRANSITION_LABELS = {
    "create": _("受理"),
    "dispatch": _("下发"),
    "reassign": _("改派"),
    "reply": _("答复"),
    "start_follow_up": _("开始回访"),
    "close": _("闭环"),
    "reopen": _("重新下发"),
    "refile": _("客户不满意，另立新工单"),
    "reinstate": _("监管转办申诉，重新处理"),
    "reject": _("不予受理"),
    "withdraw": _("撤诉"),
    "pause": _("暂停计时"),
    "resume": _("恢复计时"),
    "set_priority": _("调整优先级"),
    "set_category": _("调整投诉类别"),
    "chase": _("客户催促"),
    "escalate": _("投诉升级"),
    "set_justified": _("有理由判定"),
    # The 处理人 inside the unit (complaints.services.assignment): internal.
    "take": _("接单（我来处理）"),
    "assign_handler": _("指派处理人"),
    "unassign_handler": _("取消处理人"),
    "auto_assign": _("自动分配处理人"),
    "auto_assign_none": _("自动分配未成功，待单位负责人安排"),
    # Compensation claims (compensation.services): the proposal is internal, decisions are told.
    "claim_proposed": _("提出赔偿申请"),
    "claim_approved": _("赔偿已批准"),
    "claim_rejected": _("赔偿未获批准"),
    "claim_paid": _("赔偿已支付"),
    # Fault rulings and the unit's disputes (rulings/): internal, never told to the customer.
    "ruling": _("判责"),
    "dispute_filed": _("责任单位提出判责申诉"),
    "dispute_upheld": _("判责申诉：维持原判"),
    "dispute_overturned": _("判责申诉：改判无责"),
    # The waybill's journey (tracking/): a flag raised or cleared, for the branch to verify.
    "journey_fact": _("轨迹事实"),
}
_INTERNAL_TRANSITIONS = {
    "claim_proposed",
    "ruling",
    "dispute_filed",
    "dispute_upheld",
    "dispute_overturned",
    "journey_fact",
    "take",
    "assign_handler",
    "unassign_handler",
    "auto_assign",
    "auto_assign_none",
}


@dataclass
class Entry:
    at: datetime
    kind: str  # transition, contact, reply, follow_up, note, attachment
    title: str
    actor: str
    internal: bool = False
    body: str = ""
    state_change: tuple[str, str] | None = None
    obj: object = None
    extra: dict = field(default_factory=dict)


def _name(user, fallback: str = "") -> str:
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()


def build_timeline(complaint: Complaint) -> list[Entry]:
    """Collect every record of the complaint into one chronological list (6 queries)."""
    labels = dict(Status.choices)
    entries: list[Entry] = []
    for row in complaint.transitions.select_related("actor"):
        if row.transition in _SHOWN_BY_RECORD:
            continue
        change = None
        if row.from_state != row.to_state or row.transition == "create":
            change = (labels.get(row.from_state, ""), labels.get(row.to_state, ""))
        title = str(TRANSITION_LABELS.get(row.transition, row.transition))
        if row.transition.startswith("claim_") and (row.details or {}).get("amount"):
            title = f"{title} ¥{row.details['amount']}"
        if (row.details or {}).get("handler_name"):  # assignments: to whom (issue 20 §2)
            title = f"{title}：{row.details['handler_name']}"
        entries.append(
            Entry(
                at=row.at,
                kind="transition",
                title=title,
                actor=_name(row.actor, row.get_actor_kind_display()),
                internal=row.transition in _INTERNAL_TRANSITIONS,
                body=row.reason,
                state_change=change if row.transition != "create" else None,
                extra={**(row.details or {}), "_name": row.transition},
            )
        )
    for contact in complaint.contacts.select_related("by"):
        entries.append(
            Entry(
                at=contact.at,
                kind="contact",
                title=str(_("联系客户（%(method)s）") % {"method": contact.get_method_display()}),
                actor=_name(contact.by),
                body=contact.summary,
                extra={"reached": contact.reached},
            )
        )
    for reply in complaint.replies.select_related("by", "unit"):
        entries.append(
            Entry(
                at=reply.at,
                kind="reply",
                title=str(_("处理答复")),
                actor=f"{_name(reply.by)} · {reply.unit.name}",
                obj=reply,
            )
        )
    for follow_up in complaint.follow_ups.select_related("by"):
        entries.append(
            Entry(
                at=follow_up.at,
                kind="follow_up",
                title=str(_("回访：%(outcome)s") % {"outcome": follow_up.get_outcome_display()}),
                actor=_name(follow_up.by),
                body=follow_up.customer_words,
                obj=follow_up,
            )
        )
    for note in complaint.notes.select_related("by"):
        entries.append(
            Entry(
                at=note.at,
                kind="note",
                title=str(_("内部备注")),
                actor=_name(note.by),
                internal=True,
                body=note.text,
            )
        )
    for attachment in complaint.attachments.select_related("uploaded_by"):
        entries.append(
            Entry(
                at=attachment.uploaded_at,
                kind="attachment",
                title=str(_("上传证据")),
                actor=_name(attachment.uploaded_by, attachment.get_uploaded_by_kind_display()),
                obj=attachment,
            )
        )

    # At one instant: acceptance and the start of the call first, then what was recorded, then
    # the state change it caused (回访：不满意 before 重新下发, the reply before 核实 → 反馈).
    def rank(entry: Entry) -> int:
        if entry.kind != "transition":
            return 1
        return 0 if entry.extra.get("_name") in ("create", "start_follow_up") else 2

    entries.sort(key=lambda e: (e.at, rank(e)))
    return entries
