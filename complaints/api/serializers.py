"""What the API reads and writes; these classes are also the OpenAPI schema of every response.

Inputs are validated here (a complaint's own fields built from the model) and by the services
(the business rules). Times are ISO 8601 with +08:00, money decimal strings (docs/api.md).
"""

from __future__ import annotations

import copy

from rest_framework import serializers

from complaints import filters as list_filters
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ContactMethod,
    Party,
    Priority,
    Service,
    Status,
    Unit,
)
from complaints.services.intake import INPUT_FIELDS
from kernel.api_fields import BoundedDateTimeField

Money = dict(max_digits=12, decimal_places=2, coerce_to_string=True)


# --- Inputs -------------------------------------------------------------------------------


class FlatInput(serializers.Serializer):
    """An input of plain fields, built once per class instead of once per request.

    DRF deep-copies every declared field for every serializer it creates: a third of a
    millisecond per submission, and the largest cost of validating one (docs/api.md,
    Benchmark). Plain fields keep no state from one validation to the next, so each instance
    gets shallow copies of one deep copy (with its validators built) made per class. Only for
    serializers of plain fields: a nested serializer would share its children.
    """

    def get_fields(self):
        cls = type(self)
        prototypes = cls.__dict__.get("_prototypes")
        if prototypes is None:
            prototypes = copy.deepcopy(self._declared_fields)
            for name, field in prototypes.items():
                if isinstance(field, serializers.BaseSerializer):
                    raise TypeError(f"{cls.__name__}.{name}: FlatInput takes plain fields only")
                field.validators  # noqa: B018  # built once here, shared read-only
            cls._prototypes = prototypes
        return {name: copy.copy(field) for name, field in prototypes.items()}


def model_fields(model, names, **overrides) -> dict[str, serializers.Field]:
    """Input fields for the model's fields `names`, as DRF's ModelSerializer maps them (length,
    choices, blank, null, minimum from the model), built once: a ModelSerializer would inspect
    the model again for every request. `overrides` are extra keyword arguments per field."""
    extra = {}
    for name in names:
        field = model._meta.get_field(name)
        # The OpenAPI schema's description: the model's help text, or its label.
        described = {"help_text": field.help_text or field.verbose_name}
        extra[name] = {**described, **overrides.get(name, {})}
    meta = type("Meta", (), {"model": model, "fields": names, "extra_kwargs": extra})
    return type("Fields", (serializers.ModelSerializer,), {"Meta": meta})().get_fields()


# The intake's fields (complaints.services.NewComplaint) that an API client sends; the unit by
# its code, and only from partners and staff (ComplaintsView.post). The channel of a submission
# is the API's; the flags below are an agent's judgement on the phone.
_SET_BY_STAFF = ("channel", "key_account", "urgent_contents", "is_external")
SubmitSerializer = type(
    "SubmitSerializer",
    (FlatInput,),
    {
        "__module__": __name__,
        "__doc__": "A complaint as an API client submits it: the Complaint model's rules.",
        **model_fields(
            Complaint,
            [name for name in INPUT_FIELDS if name not in _SET_BY_STAFF],
        ),
        "unit": serializers.CharField(
            max_length=Unit._meta.get_field("code").max_length,
            required=False,
            allow_blank=True,
            default="",
            help_text="责任单位编码：仅接口合作方与员工可填；客户自助提交时不得填写（由客服下发）",
        ),
    },
)


class ChaseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="满意度评分 1–5")
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="客户不满意的原因（必填）")


class RefiledSerializer(serializers.Serializer):
    """Closed more than 7 days ago: the new complaint linked to the old one (SPEC §2)."""

    ticket_no = serializers.CharField(help_text="新工单号")
    access_code = serializers.CharField(help_text="新工单的查询码（只显示这一次）")
    linked_to = serializers.CharField(help_text="原工单号")
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    first_response_due = serializers.DateTimeField()
    resolution_due = serializers.DateTimeField()
    statutory_due = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class EvidenceSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="JPEG、PNG、WebP 图片或 PDF（不含脚本、附件），按内容解析判断；单个 ≤ 10 MB，"
        "每宗投诉最多20个、合计 ≤ 60 MB，同一网络每日与全站每日另有上限",
        allow_empty_file=True,  # an empty file gets the service's own clear message
        use_url=False,
    )


class ListFilterSerializer(FlatInput):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    unit = serializers.CharField(max_length=32, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    tracking_no = serializers.CharField(max_length=40, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    created_after = BoundedDateTimeField(required=False)
    created_before = BoundedDateTimeField(required=False)
    # The work lists' filters (complaints.filters, issue 20 §3), as the pages take them.
    flag = serializers.ListField(
        child=serializers.ChoiceField(choices=list(list_filters.FLAG_LABELS)),
        required=False,
        max_length=len(list_filters.FLAG_LABELS),
        help_text="标记（可重复，须同时满足）：urgent、repeat、chased、escalated、external",
    )
    due = serializers.ChoiceField(
        choices=list(list_filters.DUE_LABELS),
        required=False,
        help_text="时限：overdue 已超时、4h 4小时内到期、today 今日（北京时间）到期",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    handler = serializers.CharField(
        max_length=12, required=False, help_text="处理人：me 本人、none 未分配，或员工的用户编号"
    )
    accepted_from = serializers.DateField(required=False, help_text="受理日期起（北京时间，含）")
    accepted_to = serializers.DateField(required=False, help_text="受理日期止（北京时间，含）")
    cursor = serializers.CharField(max_length=200, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False, default=25)


class SearchSerializer(ListFilterSerializer):
    """The list's filters in a POST body, with the phone a URL must not carry."""

    phone = serializers.CharField(
        max_length=Complaint._meta.get_field("phone").max_length,
        required=False,
        help_text="客户电话（完整号码）",
    )
    q = serializers.CharField(
        max_length=100,
        required=False,
        help_text=(
            "搜索词：工单号、运单号或电话（完整或至少4位连续部分，如电话后4位）、客户姓名、"
            "投诉内容关键词（空格分开，须同时出现）；结果按匹配程度排序，与其他条件同时生效"
        ),
    )


# --- Outputs ------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class SubmissionSerializer(serializers.Serializer):
    ticket_no = serializers.CharField(help_text="工单号")
    access_code = serializers.CharField(
        help_text="查询码：查询、上传证据、催促、评价时放在 X-Access-Code"
    )
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    first_response_due = serializers.DateTimeField()
    resolution_due = serializers.DateTimeField()
    statutory_due = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    event = serializers.CharField(help_text="create, dispatch, contact, reply, follow_up, …")
    label = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)


class ComplaintSerializer(serializers.Serializer):
    """A complaint as its customer sees it (and the base of the staff view)."""

    ticket_no = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    priority_label = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    category_label = serializers.CharField()
    party = serializers.ChoiceField(choices=Party.choices)
    tracking_no = serializers.CharField()
    complainant_name = serializers.CharField(help_text="已脱敏，处理人员除外")
    phone = serializers.CharField(help_text="已脱敏（如138****8000），处理人员除外")
    description = serializers.CharField()
    demand = serializers.CharField(allow_blank=True)
    service = serializers.ChoiceField(choices=Service.choices)
    insured = serializers.BooleanField()
    insured_amount = serializers.DecimalField(allow_null=True, **Money)
    declared_value = serializers.DecimalField(allow_null=True, **Money)
    freight = serializers.DecimalField(allow_null=True, **Money)
    created_at = serializers.DateTimeField()
    first_response_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    follow_up_due = serializers.DateTimeField(allow_null=True)
    statutory_due = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_paused = serializers.BooleanField()
    chase_count = serializers.IntegerField()
    rating = serializers.IntegerField(allow_null=True, help_text="客户本人的满意度评分（1–5）")
    rated_at = serializers.DateTimeField(allow_null=True, help_text="客户评价（或最后修改）时间")
    attachments = serializers.IntegerField(help_text="已上传的证据数")
    timeline = TimelineEventSerializer(many=True)


class StaffComplaintSerializer(ComplaintSerializer):
    """The staff view; the fields below are absent from the customer's view."""

    channel = serializers.CharField(required=False)
    unit = serializers.CharField(required=False, allow_null=True, help_text="责任单位编码")
    unit_name = serializers.CharField(required=False, allow_null=True)
    urgent_reasons = serializers.ListField(required=False, child=serializers.CharField())
    is_escalated = serializers.BooleanField(required=False)
    is_external = serializers.BooleanField(required=False)
    repeat_of = serializers.CharField(required=False, allow_null=True)
    repeat_count = serializers.IntegerField(required=False)
    justified = serializers.BooleanField(required=False, allow_null=True)
    next_deadline = serializers.DateTimeField(required=False, allow_null=True)
    handler = serializers.CharField(
        required=False, allow_null=True, help_text="处理人（本单位网点人员）的用户名；未分配为 null"
    )
    handler_name = serializers.CharField(required=False, allow_null=True, help_text="处理人姓名")
    personal_data_visible = serializers.BooleanField(
        required=False, help_text="true：姓名与电话为完整信息（本次查看已记录审计）"
    )
    available_actions = serializers.ListField(
        required=False, child=serializers.CharField(), help_text="调用者当前可执行的操作"
    )


class ListItemSerializer(serializers.Serializer):
    ticket_no = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    tracking_no = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    complainant_name = serializers.CharField()
    phone = serializers.CharField()
    created_at = serializers.DateTimeField()
    next_deadline = serializers.DateTimeField(allow_null=True)
    statutory_due = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    repeat_count = serializers.IntegerField()
    chase_count = serializers.IntegerField()
    is_escalated = serializers.BooleanField()
    handler = serializers.CharField(
        allow_null=True, help_text="处理人（本单位网点人员）的用户名；未分配为 null"
    )
    handler_name = serializers.CharField(allow_null=True, help_text="处理人姓名")
    available_actions = serializers.ListField(child=serializers.CharField())


class ListPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="下一页的完整地址；没有更多时为 null")
    results = ListItemSerializer(many=True)


class SearchPageSerializer(serializers.Serializer):
    next_cursor = serializers.CharField(
        allow_null=True, help_text="下一页：把它作为 cursor 放入下一次请求体；没有更多时为 null"
    )
    results = ListItemSerializer(many=True)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    original_name = serializers.CharField(allow_blank=True)
    uploaded_at = serializers.DateTimeField()


CONTACT_LABELS = dict(ContactMethod.choices)


class DutySerializer(serializers.Serializer):
    on_duty = serializers.BooleanField(help_text="true 在岗（可被自动分配），false 不在岗")


class DutyAnswerSerializer(serializers.Serializer):
    username = serializers.CharField()
    unit = serializers.CharField(help_text="所属单位编码")
    on_duty = serializers.BooleanField()
