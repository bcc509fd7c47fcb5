"""The claim panel on the ticket page: htmx fragments that call the same services as the API.

Every action answers with the whole panel, so the buttons follow the claim's new state; refusals
come back inside the panel with status 200, because htmx swaps only successful responses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from complaints import hooks
from complaints import services as complaint_services
from complaints.models import OPEN_STATES, Complaint
from complaints.models import Service as ServiceType
from kernel import refdata
from kernel.errors import DomainError, InvalidInput, NotAllowed, NotFound

from . import services
from .inputs import (
    FACT_FIELDS,
    FieldErrors,
    parse_date,
    parse_facts,
    parse_policy_code,
    parse_proposal,
)
from .models import ACTIVE_CLAIM_STATES, Claim, CompensationPolicy, IncidentType

FORM_FIELDS = (*FACT_FIELDS, "policy", "override_amount", "override_reason", "note")
MONEY_INPUTS = (
    ("freight", _("资费（服务费）")),
    ("addon_fees", _("附加费用（保价费、包装费等）")),
    ("insured_amount", _("保价金额")),
    ("full_value", _("物品全部价值")),
    ("actual_loss", _("实际损失")),
)
BOOL_INPUTS = (
    ("insured", _("已保价")),
    ("limit_clause_shown", _("已向寄件人提示限额条款")),
    ("value_evidence", _("客户有物品价值证明")),
    ("carrier_gross_negligence", _("承运人故意或重大过失")),
    ("force_majeure", _("不可抗力")),
    ("goods_nature_or_sender_fault", _("物品本身性质或寄件人、收件人过错")),
    ("international", _("国际邮件")),
    ("remote_area", _("边远地区邮件")),
)
# 邮政法 art. 49: a delayed registered item is lost once the reply period to the query ends.
DATE_INPUTS = (
    ("posted_on", _("交寄日期（给据邮件）")),
    ("queried_on", _("用户查询日期（给据邮件）")),
)
FIELD_LABELS = {
    **dict(MONEY_INPUTS),
    **dict(BOOL_INPUTS),
    **dict(DATE_INPUTS),
    "service": _("业务类型"),
    "incident": _("事件"),
    "delay_days": _("延误天数"),
    "policy": _("赔偿规则"),
    "override_amount": _("调整后金额"),
    "override_reason": _("调整理由"),
    "note": _("申请说明"),
    "__all__": _("提示"),
}
# The claim timers (run by the SLA engine) as the panel shows them.
TIMER_DISPLAY = {
    "claim_assessment": {"label": _("定损时限")},
    "claim_settlement": {"label": _("赔付时限")},
}
LEVEL_DISPLAY = {
    "ok": {"css": "text-bg-success", "level_label": _("正常")},
    "warning": {"css": "text-bg-warning", "level_label": _("即将超时")},
    "breached": {"css": "text-bg-danger", "level_label": _("已超时")},
}
# What a complaint's category suggests as the claim's incident.
CATEGORY_INCIDENT = {"loss": "loss", "damage": "partial_damage", "short": "short", "delay": "delay"}


def _complaint(request: HttpRequest, ticket_no: str) -> Complaint:
    try:
        return complaint_services.get_for_staff(ticket_no=ticket_no, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _initial(complaint: Complaint) -> dict[str, Any]:
    """Prefill the proposal form from the shipment facts recorded on the complaint."""

    def money(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    return {
        "service": complaint.service,
        "incident": CATEGORY_INCIDENT.get(complaint.category, "loss"),
        "insured": "true" if complaint.insured else "false",
        "insured_amount": money(complaint.insured_amount),
        "full_value": money(complaint.declared_value),
        "freight": money(complaint.freight),
        "addon_fees": "",
        "actual_loss": "",
        "delay_days": "",
        "posted_on": "",
        "queried_on": "",
        "value_evidence": "true",
    }


def _form_data(request: HttpRequest) -> dict[str, Any]:
    # Checkboxes post a hidden "false" first and "on" after it when ticked: the last one wins.
    return {name: request.POST.get(name) for name in FORM_FIELDS if name in request.POST}


def _render_panel(
    request: HttpRequest,
    complaint: Complaint,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    error: str = "",
    action_errors: dict[int, dict[str, str]] | None = None,
) -> HttpResponse:
    user = request.user
    try:
        claims = list(services.claims_for_staff(complaint=complaint, by=user))
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    now = timezone.now()
    reference = refdata.current() if claims else None  # the SLA policies, once for the panel
    approvals = services.approval_context(user, complaint, now=now) if claims else None
    for claim in claims:
        claim.actions = services.allowed_actions(user, claim, approvals)
        claim.needs_supervisor = services.needs_supervisor(claim, approvals)
        claim.timer_states = [
            {**state, **TIMER_DISPLAY[state["timer"]], **LEVEL_DISPLAY[state["level"]]}
            for state in hooks.record_timer_levels(claim, now=now, reference=reference)
        ]
        claim.action_errors = (action_errors or {}).get(claim.pk, {})
    has_active = any(c.status in ACTIVE_CLAIM_STATES for c in claims)
    can_propose = (
        services.may_propose(user, complaint) and complaint.status in OPEN_STATES and not has_active
    )
    policies = list(CompensationPolicy.objects.filter(is_active=True))
    default = next((p for p in policies if p.is_default), None)
    form = form if form is not None else _initial(complaint)
    form.setdefault("policy", default.code if default else "")
    context = {
        "complaint": complaint,
        "claims": claims,
        "can_propose": can_propose,
        "has_active": has_active,
        "form": form,
        "errors": errors or {},
        "message": message,
        "error": error,
        "policies": policies,
        "services": ServiceType.choices,
        "money_inputs": MONEY_INPUTS,
        "bool_inputs": BOOL_INPUTS,
        "date_inputs": DATE_INPUTS,
        "labels": FIELD_LABELS,
        "incidents": IncidentType.choices,
        "threshold": services.approval_threshold(),
        "daily_limit": services.approval_limits().agent_daily_limit,
        "override_multiple": services.approval_limits().override_review_multiple.normalize(),
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "compensation/_panel.html", context)


@login_required
@require_GET
def panel(request: HttpRequest, ticket_no: str) -> HttpResponse:
    """The panel's content: the claims with their allowed actions, and the proposal form."""
    complaint = _complaint(request, ticket_no)
    try:
        return _render_panel(request, complaint)
    except PermissionDenied as exc:
        return render(request, "compensation/_denied.html", {"error": str(exc)}, status=403)


@login_required
@require_POST
def quote(request: HttpRequest, ticket_no: str) -> HttpResponse:
    """The live quote while the facts are typed: nothing is stored."""
    _complaint(request, ticket_no)  # the same visibility as the panel
    try:
        services.require_quote_right(request.user)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    errors = FieldErrors()
    data = _form_data(request)
    code = parse_policy_code(data.get("policy"), errors)
    facts = parse_facts(data, errors)
    context: dict[str, Any] = {"errors": dict(errors), "result": None, "labels": FIELD_LABELS}
    if not errors:
        try:
            policy = services.resolve_policy(code)
            context["result"] = services.compensation_quote(
                facts=facts, policy=policy, by=request.user
            )
            context["policy"] = policy
        except DomainError as exc:
            context["errors"] = exc.field_errors or {"__all__": exc.message}
    return render(request, "compensation/_quote.html", context)


@login_required
@require_POST
def propose(request: HttpRequest, ticket_no: str) -> HttpResponse:
    """Propose a claim from the panel's form; on a refusal show the form again with the errors."""
    complaint = _complaint(request, ticket_no)
    data = _form_data(request)
    try:
        proposal = parse_proposal(data)
        claim = services.claim_propose(
            complaint=complaint,
            by=request.user,
            facts=proposal.facts,
            policy=services.resolve_policy(proposal.policy_code),
            override=proposal.override,
            note=proposal.note,
        )
    except DomainError as exc:
        return _render_panel(
            request, complaint, form=data, errors=exc.field_errors, error=exc.message
        )
    return _render_panel(
        request, complaint, message=f"已提交赔偿申请 #{claim.pk}，金额¥{claim.amount:,.2f}。"
    )


ACTION_DONE = {
    "approve": "已批准赔偿申请 #{id}。",
    "reject": "已驳回赔偿申请 #{id}。",
    "pay": "已登记赔偿申请 #{id} 的赔付。",
}


@login_required
@require_POST
def act(request: HttpRequest, ticket_no: str, claim_id: int, action: str) -> HttpResponse:
    """Approve, reject or record the payment of one claim, then show the panel again."""
    complaint = _complaint(request, ticket_no)
    if action not in ACTION_DONE:
        raise Http404("未知操作。")
    try:
        claim = services.get_claim_for_staff(
            complaint=complaint, claim_id=claim_id, by=request.user
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    try:
        _run_action(request, claim, action)
    except DomainError as exc:
        return _render_panel(
            request,
            complaint,
            error=exc.message,
            action_errors={claim.pk: exc.field_errors} if exc.field_errors else None,
        )
    return _render_panel(request, complaint, message=ACTION_DONE[action].format(id=claim.pk))


def _run_action(request: HttpRequest, claim: Claim, action: str) -> Claim:
    post = request.POST
    if action == "approve":
        return services.claim_approve(claim=claim, by=request.user, note=post.get("note", ""))
    if action == "reject":
        return services.claim_reject(claim=claim, by=request.user, reason=post.get("reason", ""))
    errors = FieldErrors()
    paid_on = parse_date(post.get("paid_on"), "paid_on", errors, label="赔付日期")
    if errors:
        raise InvalidInput("赔付信息有误，请修改后重试。", field_errors=dict(errors))
    return services.claim_pay(
        claim=claim,
        by=request.user,
        payment_reference=post.get("payment_reference", ""),
        paid_on=paid_on,
    )
