"""Compensation API: the quote calculator and the claims of a complaint (staff only).

Thin views: parse (compensation.inputs) → call a service → present. Errors are DomainErrors,
shaped by kernel.api_errors like every other endpoint. Money is a decimal string with two
places, currency CNY; times are ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import services as complaint_services
from complaints.api.views import errors
from complaints.models import Complaint
from kernel.errors import InvalidInput, NotAllowed

from . import services
from .amounts import Basis, Quote, Service
from .inputs import (
    FACT_FIELDS,
    FieldErrors,
    parse_date,
    parse_facts,
    parse_policy_code,
    parse_proposal,
    refuse_unknown_fields,
)
from .models import CURRENCY, Claim, ClaimEvent, ClaimStatus, CompensationPolicy, IncidentType

# The OpenAPI shapes (drf-spectacular): they only document; parsing is in inputs.py.
MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class FactsDoc(serializers.Serializer):
    service = serializers.ChoiceField([s.value for s in Service])
    incident = serializers.ChoiceField(IncidentType.choices)
    insured = serializers.BooleanField(default=False)
    insured_amount = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    full_value = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    actual_loss = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    freight = serializers.DecimalField(**MONEY)
    addon_fees = serializers.DecimalField(required=False, **MONEY)
    delay_days = serializers.IntegerField(required=False, min_value=0)
    force_majeure = serializers.BooleanField(default=False)
    goods_nature_or_sender_fault = serializers.BooleanField(default=False)
    carrier_gross_negligence = serializers.BooleanField(default=False)
    limit_clause_shown = serializers.BooleanField(default=False)
    value_evidence = serializers.BooleanField(default=True)
    posted_on = serializers.DateField(
        required=False, allow_null=True, help_text="交寄日期（给据邮件，邮政法第四十九条）"
    )
    queried_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="用户查询（或提出赔偿要求）的日期（给据邮件）：自该日起30日（国际邮件、边远地区"
        "60日）查复期满仍未查到的，延误的邮件视为丢失（邮政法第四十九条）",
    )
    international = serializers.BooleanField(default=False, help_text="国际邮件")
    remote_area = serializers.BooleanField(
        default=False, help_text="国务院邮政管理部门规定的边远地区"
    )


class QuoteRequestDoc(FactsDoc):
    policy = serializers.CharField(required=False, help_text="赔偿规则编码；缺省为公司默认规则")


class StepDoc(serializers.Serializer):
    rule = serializers.CharField()
    source = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class PolicyRefDoc(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QuoteDoc(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(default="CNY")
    steps = StepDoc(many=True)
    needs_review = serializers.BooleanField()
    review_reasons = serializers.ListField(child=serializers.CharField())
    basis = serializers.ChoiceField([b.value for b in Basis])
    policy = PolicyRefDoc()


class ProposeDoc(QuoteRequestDoc):
    override_amount = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    override_reason = serializers.CharField(required=False, help_text="调整金额时必填")
    note = serializers.CharField(required=False)


class EventDoc(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.ChoiceField(ClaimEvent.Action.choices)
    from_status = serializers.ChoiceField(ClaimStatus.choices, allow_null=True)
    to_status = serializers.ChoiceField(ClaimStatus.choices)
    amount = serializers.DecimalField(**MONEY)
    reason = serializers.CharField()
    override_flagged = serializers.BooleanField()


class AllowedActionsDoc(serializers.Serializer):
    approve = serializers.BooleanField()
    reject = serializers.BooleanField()
    pay = serializers.BooleanField()


class ClaimDoc(serializers.Serializer):
    id = serializers.IntegerField()
    ticket_no = serializers.CharField()
    status = serializers.ChoiceField(ClaimStatus.choices)
    status_label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(default="CNY")
    quoted_amount = serializers.DecimalField(**MONEY)
    override_amount = serializers.DecimalField(allow_null=True, **MONEY)
    override_reason = serializers.CharField()
    needs_supervisor = serializers.BooleanField(
        help_text="须由质量监控主管审批：调整金额高于规则金额，或工单累计批准金额超过审批限额"
    )
    override_flagged = serializers.BooleanField(help_text="调整金额超过规则金额的规定倍数，待复核")
    needs_review = serializers.BooleanField()
    review_reasons = serializers.ListField(child=serializers.CharField())
    basis = serializers.ChoiceField([b.value for b in Basis])
    steps = StepDoc(many=True)
    policy = PolicyRefDoc()
    policy_snapshot = serializers.DictField()
    facts = FactsDoc()
    note = serializers.CharField()
    proposed_by = serializers.CharField()
    proposed_at = serializers.DateTimeField()
    approved_by = serializers.CharField(allow_null=True, help_text="批准人（其后被驳回时仍保留）")
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    paid_by = serializers.CharField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    paid_on = serializers.DateField(allow_null=True)
    payment_reference = serializers.CharField()
    assess_due = serializers.DateTimeField(allow_null=True, help_text="定损时限（损毁、短少）")
    settle_due = serializers.DateTimeField(allow_null=True, help_text="赔付时限（丢失）")
    allowed_actions = AllowedActionsDoc()
    events = EventDoc(many=True)


class ClaimListDoc(serializers.Serializer):
    results = ClaimDoc(many=True)


class ApproveDoc(serializers.Serializer):
    note = serializers.CharField(required=False)


class RejectDoc(serializers.Serializer):
    reason = serializers.CharField(help_text="驳回原因，客户可见")


class PayDoc(serializers.Serializer):
    payment_reference = serializers.CharField(max_length=64)
    paid_on = serializers.DateField()


QUOTE_FIELDS = (*FACT_FIELDS, "policy")
PROPOSE_FIELDS = (*QUOTE_FIELDS, "override_amount", "override_reason", "note")


def _user_label(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def quote_json(result: Quote, policy: CompensationPolicy) -> dict[str, Any]:
    """The quote as the API answers it (issue 6): amount, currency, steps, review flags."""
    body = result.to_dict()
    return {
        "amount": body["amount"],
        "currency": CURRENCY,
        "steps": body["steps"],
        "needs_review": body["needs_review"],
        "review_reasons": body["review_reasons"],
        "basis": body["basis"],
        "policy": {"code": policy.code, "name": policy.name},
    }


def _step_actor(claim: Claim, action: str) -> str | None:
    # From the prefetched events: who approved stays known after a later rejection.
    done = [e for e in claim.events.all() if e.action == action]
    return _user_label(done[-1].actor) if done else None


def claim_json(claim: Claim, user, context: services.ApprovalContext) -> dict[str, Any]:
    """One claim with its facts, quote, decision, payment, timers and audit trail.

    `context` holds the complaint's approved total and the user's approvals of the day
    (services.approval_context), read once for all the claims of a complaint.
    """
    facts = {
        "service": claim.service,
        "incident": claim.incident,
        "insured": claim.insured,
        "insured_amount": _money(claim.insured_amount),
        "full_value": _money(claim.full_value),
        "actual_loss": _money(claim.actual_loss),
        "freight": _money(claim.freight),
        "addon_fees": _money(claim.addon_fees),
        "delay_days": claim.delay_days,
        "force_majeure": claim.force_majeure,
        "goods_nature_or_sender_fault": claim.goods_nature_or_sender_fault,
        "carrier_gross_negligence": claim.carrier_gross_negligence,
        "limit_clause_shown": claim.limit_clause_shown,
        "value_evidence": claim.value_evidence,
        "posted_on": claim.posted_on.isoformat() if claim.posted_on else None,
        "queried_on": claim.queried_on.isoformat() if claim.queried_on else None,
        "international": claim.international,
        "remote_area": claim.remote_area,
    }
    return {
        "id": claim.pk,
        "ticket_no": claim.complaint.ticket_no,
        "status": claim.status,
        "status_label": str(claim.get_status_display()),
        "amount": _money(claim.amount),
        "currency": CURRENCY,
        "quoted_amount": _money(claim.quoted_amount),
        "override_amount": _money(claim.override_amount),
        "override_reason": claim.override_reason,
        "needs_supervisor": services.needs_supervisor(claim, context),
        "override_flagged": claim.override_flagged,
        "needs_review": claim.needs_review,
        "review_reasons": claim.review_reasons,
        "basis": claim.basis,
        "steps": claim.steps,
        "policy": {"code": claim.policy.code, "name": claim.policy.name},
        "policy_snapshot": claim.policy_snapshot,
        "facts": facts,
        "note": claim.note,
        "proposed_by": _user_label(claim.proposed_by),
        "proposed_at": _time(claim.proposed_at),
        "approved_by": _step_actor(claim, ClaimEvent.Action.APPROVE),
        "decided_by": _user_label(claim.decided_by),
        "decided_at": _time(claim.decided_at),
        "rejection_reason": claim.rejection_reason,
        "paid_by": _user_label(claim.paid_by),
        "paid_at": _time(claim.paid_at),
        "paid_on": claim.paid_on.isoformat() if claim.paid_on else None,
        "payment_reference": claim.payment_reference,
        "assess_due": _time(claim.assess_due),
        "settle_due": _time(claim.settle_due),
        "allowed_actions": services.allowed_actions(user, claim, context),
        "events": [
            {
                "at": _time(event.at),
                "actor": _user_label(event.actor),
                "action": event.action,
                "from_status": event.from_status or None,
                "to_status": event.to_status,
                "amount": _money(event.amount),
                "reason": event.reason,
                "override_flagged": bool(event.details.get("override_flagged")),
            }
            for event in claim.events.all()
        ],
    }


def _complaint(ticket_no: str, user) -> Complaint:
    return complaint_services.get_for_staff(ticket_no=ticket_no, by=user)


class QuoteView(APIView):
    """POST the facts of a claim → the amount, each step with its source, review flags."""

    @extend_schema(
        request=QuoteRequestDoc,
        responses={200: QuoteDoc, **errors(400, 403)},
        operation_id="compensation_quote",
        summary="计算赔偿金额（不保存）",
    )
    def post(self, request: Request) -> Response:
        services.require_quote_right(request.user)
        data = refuse_unknown_fields(request.data, QUOTE_FIELDS)
        errors = FieldErrors()
        code = parse_policy_code(data.get("policy"), errors)
        facts = parse_facts(data, errors)
        errors.raise_if_any()
        policy = services.resolve_policy(code)
        result = services.compensation_quote(facts=facts, policy=policy, by=request.user)
        return Response(quote_json(result, policy))


class ClaimListView(APIView):
    """GET the claims of a complaint; POST to propose one."""

    @extend_schema(
        responses={200: ClaimListDoc, **errors(403, 404)},
        operation_id="complaint_claims_list",
        summary="工单的赔偿申请",
    )
    def get(self, request: Request, ticket_no: str) -> Response:
        complaint = _complaint(ticket_no, request.user)
        claims = services.claims_for_staff(complaint=complaint, by=request.user)
        context = services.approval_context(request.user, complaint)
        return Response({"results": [claim_json(c, request.user, context) for c in claims]})

    @extend_schema(
        request=ProposeDoc,
        responses={201: ClaimDoc, **errors(400, 403, 404, 409)},
        operation_id="complaint_claims_propose",
        summary="提出赔偿申请",
    )
    def post(self, request: Request, ticket_no: str) -> Response:
        complaint = _complaint(ticket_no, request.user)
        if not services.may_propose(request.user, complaint):
            raise NotAllowed("您没有权限提出赔偿申请。")
        proposal = parse_proposal(refuse_unknown_fields(request.data, PROPOSE_FIELDS))
        claim = services.claim_propose(
            complaint=complaint,
            by=request.user,
            facts=proposal.facts,
            policy=services.resolve_policy(proposal.policy_code),
            override=proposal.override,
            note=proposal.note,
        )
        return Response(_fresh(claim, request.user), status=status.HTTP_201_CREATED)


def _fresh(claim: Claim, user) -> dict[str, Any]:
    """Re-read the claim with what claim_json needs, in a constant number of queries."""
    fresh = (
        Claim.objects.select_related("complaint", "policy", "proposed_by", "decided_by", "paid_by")
        .prefetch_related("events__actor")
        .get(pk=claim.pk)
    )
    return claim_json(fresh, user, services.approval_context(user, fresh.complaint))


class ClaimDetailView(APIView):
    @extend_schema(
        responses={200: ClaimDoc, **errors(403, 404)},
        operation_id="complaint_claims_retrieve",
        summary="赔偿申请详情",
    )
    def get(self, request: Request, ticket_no: str, claim_id: int) -> Response:
        complaint = _complaint(ticket_no, request.user)
        claim = services.get_claim_for_staff(
            complaint=complaint, claim_id=claim_id, by=request.user
        )
        return Response(_fresh(claim, request.user))


class ClaimActionView(APIView):
    """POST …/approve/ {note?}, …/reject/ {reason}, …/pay/ {payment_reference, paid_on}."""

    action = ""
    fields: tuple[str, ...] = ()

    def post(self, request: Request, ticket_no: str, claim_id: int) -> Response:
        complaint = _complaint(ticket_no, request.user)
        claim = services.get_claim_for_staff(
            complaint=complaint, claim_id=claim_id, by=request.user
        )
        data = refuse_unknown_fields(request.data, self.fields)
        claim = self.run(claim, data, request.user)
        return Response(_fresh(claim, request.user))

    def run(self, claim: Claim, data, user) -> Claim:
        raise NotImplementedError


@extend_schema_view(
    post=extend_schema(
        request=ApproveDoc,
        responses={200: ClaimDoc, **errors(400, 403, 404, 409)},
        operation_id="complaint_claims_approve",
        summary="批准赔偿申请",
    )
)
class ApproveView(ClaimActionView):
    fields = ("note",)

    def run(self, claim, data, user):
        note = data.get("note", "")
        return services.claim_approve(claim=claim, by=user, note=note)


@extend_schema_view(
    post=extend_schema(
        request=RejectDoc,
        responses={200: ClaimDoc, **errors(400, 403, 404, 409)},
        operation_id="complaint_claims_reject",
        summary="驳回赔偿申请",
    )
)
class RejectView(ClaimActionView):
    fields = ("reason",)

    def run(self, claim, data, user):
        return services.claim_reject(claim=claim, by=user, reason=data.get("reason", ""))


@extend_schema_view(
    post=extend_schema(
        request=PayDoc,
        responses={200: ClaimDoc, **errors(400, 403, 404, 409)},
        operation_id="complaint_claims_pay",
        summary="登记赔付",
    )
)
class PayView(ClaimActionView):
    fields = ("payment_reference", "paid_on")

    def run(self, claim, data, user):
        errors = FieldErrors()
        paid_on = parse_date(data.get("paid_on"), "paid_on", errors, label="赔付日期")
        if errors:
            raise InvalidInput("提交的赔付信息有误，请修改后重试。", field_errors=dict(errors))
        return services.claim_pay(
            claim=claim,
            by=user,
            payment_reference=data.get("payment_reference", ""),
            paid_on=paid_on,
        )
