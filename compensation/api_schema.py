"""OpenAPI descriptions of the compensation API (drf-spectacular); the views parse by hand.

These serializers only document the shapes: parsing lives in compensation.inputs so the API and
the claim panel refuse the same things with the same messages.
"""

from __future__ import annotations

from rest_framework import serializers

from .models import ClaimEvent, ClaimStatus, IncidentType
from .rules import Basis, Service

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


class ErrorBodyDoc(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), required=False)


class ErrorDoc(serializers.Serializer):
    error = ErrorBodyDoc()
