"""OpenAPI descriptions of the rulings API (drf-spectacular); the views parse by hand."""

from __future__ import annotations

from rest_framework import serializers

from .models import DisputeStatus, EntryKind, NoFaultCause, RulingSource, Stage, Verdict

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}
POINTS = {"max_digits": 8, "decimal_places": 1, "coerce_to_string": True}


class UnitRefDoc(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class RulingStepDoc(serializers.Serializer):
    rule = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    points = serializers.DecimalField(**POINTS)


class RulingFactsDoc(serializers.Serializer):
    category = serializers.CharField()
    repeat = serializers.BooleanField(help_text="重复投诉（二次投诉）")
    appealed = serializers.BooleanField(help_text="经监管部门转办或升级为申诉（外部投诉）")
    overdue = serializers.BooleanField(help_text="未在处理时限内答复")


class AssessmentDoc(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    points = serializers.DecimalField(**POINTS)
    steps = RulingStepDoc(many=True)
    rule = serializers.CharField(allow_null=True, help_text="考核规则版本")
    facts = RulingFactsDoc()


class EvidenceRefDoc(serializers.Serializer):
    kind = serializers.ChoiceField(["reply", "attachment", "dispute_evidence"])
    id = serializers.IntegerField(required=False)
    token = serializers.CharField(required=False)
    label = serializers.CharField()


class DisputeRefDoc(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(DisputeStatus.choices)


class RulingDoc(serializers.Serializer):
    id = serializers.IntegerField()
    ticket_no = serializers.CharField()
    verdict = serializers.ChoiceField(Verdict.choices)
    verdict_label = serializers.CharField()
    stage = serializers.ChoiceField(Stage.choices, allow_null=True)
    unit = UnitRefDoc(allow_null=True)
    person = serializers.CharField(allow_null=True)
    no_fault_cause = serializers.ChoiceField(NoFaultCause.choices, allow_null=True)
    reason = serializers.CharField()
    evidence = EvidenceRefDoc(many=True)
    source = serializers.ChoiceField(RulingSource.choices)
    supersedes = serializers.IntegerField(allow_null=True)
    by = serializers.CharField()
    at = serializers.DateTimeField()
    is_current = serializers.BooleanField()
    dispute_until = serializers.DateTimeField(allow_null=True, help_text="申诉截止（不含该时刻）")
    may_dispute = serializers.BooleanField()
    dispute = DisputeRefDoc(allow_null=True)
    assessment = AssessmentDoc(allow_null=True, help_text="考核金额与分值；仅责任单位本身可见")


class RulingListDoc(serializers.Serializer):
    results = RulingDoc(many=True)
    next_before = serializers.IntegerField(allow_null=True, help_text="下一页：before=该值")


class RulingCreateDoc(serializers.Serializer):
    verdict = serializers.ChoiceField(Verdict.choices)
    stage = serializers.ChoiceField(Stage.choices, required=False, help_text="有责、部分有责必填")
    unit = serializers.IntegerField(required=False, help_text="责任单位 id；有责、部分有责必填")
    person = serializers.IntegerField(required=False, help_text="责任人（责任单位员工）用户 id")
    no_fault_cause = serializers.ChoiceField(
        [c for c in NoFaultCause.choices if c[0] != NoFaultCause.NOT_ESTABLISHED],
        required=False,
        help_text="无责必填",
    )
    reason = serializers.CharField(max_length=2000)
    replies = serializers.ListField(child=serializers.IntegerField(), required=False)
    attachments = serializers.ListField(child=serializers.CharField(), required=False)
    current_ruling = serializers.IntegerField(
        required=False, allow_null=True, help_text="读到的当前判责 id；已变化时拒绝（409）"
    )


class DisputeEvidenceDoc(serializers.Serializer):
    token = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class DisputeDoc(serializers.Serializer):
    id = serializers.IntegerField()
    ruling = serializers.IntegerField()
    ticket_no = serializers.CharField()
    unit = UnitRefDoc()
    status = serializers.ChoiceField(DisputeStatus.choices)
    status_label = serializers.CharField()
    reason = serializers.CharField()
    filed_by = serializers.CharField()
    filed_at = serializers.DateTimeField()
    decision_due = serializers.DateTimeField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    new_ruling = serializers.IntegerField(allow_null=True)
    evidence = DisputeEvidenceDoc(many=True)
    may_decide = serializers.BooleanField()


class DisputeListDoc(serializers.Serializer):
    results = DisputeDoc(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class DisputeCreateDoc(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    files = serializers.ListField(
        child=serializers.FileField(), help_text="证据：JPEG、PNG、WebP 图片或 PDF，1–5 个"
    )


class DecisionDoc(serializers.Serializer):
    outcome = serializers.ChoiceField(["uphold", "overturn"])
    reason = serializers.CharField(max_length=2000)


class EntryDoc(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    period = serializers.CharField(help_text="考核月份 YYYY-MM")
    kind = serializers.ChoiceField(EntryKind.choices)
    unit = UnitRefDoc()
    person = serializers.CharField(allow_null=True)
    ticket_no = serializers.CharField()
    ruling = serializers.IntegerField()
    reverses = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    points = serializers.DecimalField(**POINTS)
    rule = serializers.CharField(allow_null=True)
    category = serializers.CharField()
    stage = serializers.ChoiceField(Stage.choices)
    reason = serializers.CharField()


class EntryListDoc(serializers.Serializer):
    results = EntryDoc(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class RulingErrorBodyDoc(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), required=False)


class RulingErrorDoc(serializers.Serializer):
    error = RulingErrorBodyDoc()
