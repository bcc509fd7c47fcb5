"""Complaints as the API shows them: the customer's view, the staff view and a list row.

Personal data is masked everywhere except for staff handling the ticket, and every such view
is recorded (services.complaint_reveal_personal_data). Internal notes never appear.
"""

from __future__ import annotations

from django.utils import timezone

from complaints import services
from complaints.models import (
    Category,
    Complaint,
    ContactMethod,
    FollowUpOutcome,
    Priority,
    Reply,
    Status,
)
from kernel import privacy

from .actions import available_actions

# The views answer with these dicts as they are (the serializers document them): formatting
# here once is several times faster than a DRF serializer pass per row on the staff list.


def iso(value) -> str | None:
    """ISO 8601 in Asia/Shanghai, e.g. 2026-11-16T10:00:00+08:00."""
    return None if value is None else timezone.localtime(value).isoformat()


def money(value) -> str | None:
    """Yuan as a decimal string with two places, e.g. "12.50"."""
    return None if value is None else f"{value:.2f}"


# Events the customer may see on their timeline, with their Chinese labels.
PUBLIC_EVENTS = {
    "create": "投诉已受理",
    "dispatch": "已下发至处理单位核实",
    "reassign": "已转交其他处理单位",
    "contact": "处理人员已联系您",
    "reply": "处理单位已答复",
    "start_follow_up": "回访中",
    "follow_up": "已回访",
    "close": "已闭环",
    "reopen": "已重新下发处理",
    "refile": "您对处理结果不满意，已另立新工单",
    "reinstate": "邮政管理部门转办申诉，已重新处理",
    "reject": "不予受理",
    "withdraw": "已撤诉",
    "chase": "您已催促",
    "rate": "您已评价",
    "evidence": "已上传证据",
    "pause": "等待您补充材料，处理时限暂停",
    "resume": "已恢复处理",
    # Compensation decisions (compensation.services); a mere proposal stays internal.
    "claim_approved": "赔偿已批准",
    "claim_rejected": "赔偿申请未获批准",
    "claim_paid": "赔偿已支付",
}
CONTACT_LABELS = dict(ContactMethod.choices)
OUTCOME_LABELS = dict(FollowUpOutcome.choices)


def timeline(complaint: Complaint) -> list[dict]:
    """The public timeline: two queries whatever its length."""
    replies = {r.pk: r for r in Reply.objects.filter(complaint=complaint)}
    events = []
    for row in complaint.transitions.filter(transition__in=PUBLIC_EVENTS).only(
        "at", "transition", "details", "reason"
    ):
        detail = ""
        details = row.details or {}
        if row.transition == "contact":
            detail = f"联系方式：{CONTACT_LABELS.get(details.get('method'), '其他')}"
        elif row.transition == "reply" and details.get("reply_id") in replies:
            reply = replies[details["reply_id"]]
            detail = (
                f"基本情况：{reply.basic_facts}\n处理经过：{reply.handling}\n"
                f"处理结果：{reply.result}"
            )
        elif row.transition == "close" and details.get("outcome"):
            detail = f"回访结果：{OUTCOME_LABELS.get(details['outcome'], '')}"
        elif row.transition == "rate":
            detail = f"评分：{details.get('score')}"
        elif row.transition in ("reject", "withdraw", "reopen", "claim_rejected"):
            detail = row.reason
        elif row.transition == "refile":
            detail = f"新工单号：{details.get('new_ticket')}"
        elif row.transition == "claim_approved":
            detail = f"赔偿金额：{details.get('amount')}元"
        elif row.transition == "claim_paid":
            detail = f"赔偿金额：{details.get('amount')}元，支付日期：{details.get('paid_on')}"
        events.append(
            {
                "at": iso(row.at),
                "event": row.transition,
                "label": PUBLIC_EVENTS[row.transition],
                "detail": detail,
            }
        )
    return events


def customer_view(complaint: Complaint, *, reveal: dict | None = None) -> dict:
    return {
        "ticket_no": complaint.ticket_no,
        "status": complaint.status,
        "status_label": str(Status(complaint.status).label),
        "priority": complaint.priority,
        "priority_label": str(Priority(complaint.priority).label),
        "category": complaint.category,
        "category_label": str(Category(complaint.category).label),
        "party": complaint.party,
        "tracking_no": complaint.tracking_no,
        "complainant_name": reveal["complainant_name"]
        if reveal
        else privacy.mask_name(complaint.complainant_name),
        "phone": reveal["phone"] if reveal else complaint.masked_phone,
        "description": complaint.description,
        "demand": complaint.demand,
        "service": complaint.service,
        "insured": complaint.insured,
        "insured_amount": money(complaint.insured_amount),
        "declared_value": money(complaint.declared_value),
        "freight": money(complaint.freight),
        "created_at": iso(complaint.accepted_at),
        "first_response_due": iso(complaint.first_response_due),
        "resolution_due": iso(complaint.resolution_due),
        "follow_up_due": iso(complaint.follow_up_due),
        "statutory_due": iso(complaint.statutory_due),
        "answered_at": iso(complaint.answered_at),
        "closed_at": iso(complaint.closed_at),
        "is_paused": complaint.is_paused,
        "chase_count": complaint.chase_count,
        "rating": complaint.rating,
        "rated_at": iso(complaint.rated_at),
        "attachments": complaint.attachments.count(),
        "timeline": timeline(complaint),
    }


def handles(complaint: Complaint, user) -> bool:
    """Staff handling the ticket see the customer's personal data in full (SPEC §9)."""
    return (
        getattr(user, "is_authenticated", False)
        and user.has_perm("complaints.view_personal_data")
        and Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()
    )


def staff_view(complaint: Complaint, user) -> dict:
    """The staff view; for a handler the full personal data, and the view is audited."""
    reveal = None
    if handles(complaint, user):
        reveal = services.complaint_reveal_personal_data(
            complaint=complaint, by=user, purpose="API查看工单"
        )
    data = customer_view(complaint, reveal=reveal)
    unit = complaint.unit
    data.update(
        {
            "channel": complaint.channel,
            "unit": unit.code if unit else None,
            "unit_name": unit.name if unit else None,
            "urgent_reasons": list(complaint.urgent_reasons or []),
            "is_escalated": complaint.is_escalated,
            "is_external": complaint.is_external,
            "repeat_of": complaint.repeat_of.ticket_no if complaint.repeat_of_id else None,
            "repeat_count": complaint.repeat_count,
            "justified": complaint.justified,
            "next_deadline": iso(complaint.next_deadline),
            "handler": complaint.handler.get_username() if complaint.handler_id else None,
            "handler_name": _person(complaint.handler) if complaint.handler_id else None,
            "personal_data_visible": reveal is not None,
            "available_actions": available_actions(complaint, user),
        }
    )
    return data


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def list_row(complaint: Complaint, user, *, now=None, perms: set[str] | None = None) -> dict:
    now = now or timezone.now()
    return {
        "ticket_no": complaint.ticket_no,
        "status": complaint.status,
        "status_label": str(Status(complaint.status).label),
        "priority": complaint.priority,
        "category": complaint.category,
        "tracking_no": complaint.tracking_no,
        "unit": complaint.unit.code if complaint.unit_id else None,
        "complainant_name": privacy.mask_name(complaint.complainant_name),
        "phone": complaint.masked_phone,
        "created_at": iso(complaint.accepted_at),
        "next_deadline": iso(complaint.next_deadline),
        "statutory_due": iso(complaint.statutory_due),
        "overdue": bool(complaint.next_deadline and complaint.next_deadline < now),
        "repeat_count": complaint.repeat_count,
        "chase_count": complaint.chase_count,
        "is_escalated": complaint.is_escalated,
        "handler": complaint.handler.get_username() if complaint.handler_id else None,
        "handler_name": _person(complaint.handler) if complaint.handler_id else None,
        "available_actions": available_actions(complaint, user, perms=perms),
    }
