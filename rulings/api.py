"""Rulings API: rulings, disputes and the ledger, read role-scoped (a branch sees its own).

Thin views: parse (rulings.inputs) → call a service → present (rulings.presenters). Lists page
by id, newest first: `limit` (1–200, default 50) and `before` (the previous page's
`next_before`). See docs/rulings.md.
"""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import services as complaint_services
from complaints.api.views import errors
from complaints.models import TICKET_NO_PATTERN
from kernel.errors import InvalidInput, NotAllowed

from . import presenters, services
from .inputs import RULING_FIELDS, parse_id, parse_month, parse_ruling, refuse_unknown_fields
from .models import (
    Dispute,
    DisputeStatus,
    EntryKind,
    LedgerEntry,
    NoFaultCause,
    Ruling,
    RulingSource,
    Stage,
    Verdict,
)

# The OpenAPI shapes (drf-spectacular): they only document; parsing is in inputs.py.
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


UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
PAGE_PARAMS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="每页条数（1–200，默认50）"),
    OpenApiParameter("before", OpenApiTypes.INT, description="上一页的 next_before"),
]


def _complaint(ticket_no: str, user):
    return complaint_services.get_for_staff(ticket_no=ticket_no, by=user)


def _page(request: Request) -> tuple[int, int | None]:
    errors: dict = {}
    limit = parse_id(request.query_params.get("limit"), "limit", errors, label="每页条数")
    before = parse_id(request.query_params.get("before"), "before", errors, label="翻页位置")
    if limit is not None and limit > 200:
        errors["limit"] = "每页条数应为1–200。"
    if errors:
        raise InvalidInput("查询参数有误。", field_errors=errors)
    return limit or 50, before


def _paged(rows, request: Request):
    limit, before = _page(request)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].pk if more and page else None)


def _unit_filter(request: Request) -> str | None:
    code = request.query_params.get("unit")
    if not code:
        return None
    if not UNIT_CODE.match(code):
        raise InvalidInput("单位编码无效。", field_errors={"unit": "单位编码无效。"})
    return code


def _ruling_rows(user):
    rows = Ruling.objects.visible_to(user).select_related(
        "complaint", "unit", "person", "by", "rule", "dispute"
    )
    return presenters.with_current(rows)


class RulingListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("ticket_no", OpenApiTypes.STR, description="工单号"),
            OpenApiParameter("unit", OpenApiTypes.STR, description="责任单位编码"),
            OpenApiParameter("verdict", OpenApiTypes.STR, enum=Verdict.values),
            OpenApiParameter("current", OpenApiTypes.BOOL, description="只列当前有效的判责"),
            *PAGE_PARAMS,
        ],
        responses={200: RulingListDoc, **errors(400, 403, 404)},
        operation_id="rulings_list",
        summary="判责记录（网点只见本单位的）",
    )
    def get(self, request: Request) -> Response:
        services.require_view(request.user)
        rows = _ruling_rows(request.user)
        params = request.query_params
        ticket_no = params.get("ticket_no")
        if ticket_no:
            if not re.fullmatch(TICKET_NO_PATTERN, ticket_no):
                raise InvalidInput("工单号无效。", field_errors={"ticket_no": "工单号无效。"})
            rows = rows.filter(complaint__ticket_no=ticket_no.upper())
        code = _unit_filter(request)
        if code:
            rows = rows.filter(unit__code=code)
        verdict = params.get("verdict")
        if verdict:
            if verdict not in Verdict.values:
                raise InvalidInput("判责结果无效。", field_errors={"verdict": "判责结果无效。"})
            rows = rows.filter(verdict=verdict)
        current = params.get("current")
        if current:
            if current not in ("true", "false"):
                raise InvalidInput("current 应为 true 或 false。", field_errors={"current": "无效"})
            rows = rows.filter(is_current=current == "true")
        page, more = _paged(rows, request)
        now = timezone.now()
        return Response(
            {
                "results": [presenters.ruling_json(r, request.user, now=now) for r in page],
                "next_before": more,
            }
        )


class RulingDetailView(APIView):
    @extend_schema(
        responses={200: RulingDoc, **errors(400, 403, 404)},
        operation_id="rulings_retrieve",
        summary="判责详情",
    )
    def get(self, request: Request, ruling_id: int) -> Response:
        ruling = services.get_ruling_for_staff(ruling_id=ruling_id, by=request.user)
        fresh = _ruling_rows(request.user).get(pk=ruling.pk)
        return Response(presenters.ruling_json(fresh, request.user))


class ComplaintRulingsView(APIView):
    @extend_schema(
        responses={200: RulingListDoc, **errors(400, 403, 404)},
        operation_id="complaint_rulings_list",
        summary="工单的判责记录",
    )
    def get(self, request: Request, ticket_no: str) -> Response:
        complaint = _complaint(ticket_no, request.user)
        services.rulings_for_complaint(complaint=complaint, by=request.user)  # checks the rights
        rows = _ruling_rows(request.user).filter(complaint=complaint).order_by("-at", "-id")
        now = timezone.now()
        return Response(
            {
                "results": [presenters.ruling_json(r, request.user, now=now) for r in rows],
                "next_before": None,
            }
        )

    @extend_schema(
        request=RulingCreateDoc,
        responses={201: RulingDoc, **errors(400, 403, 404, 409, 503)},
        operation_id="complaint_rulings_create",
        summary="判责（改判即新增一条判责）",
    )
    def post(self, request: Request, ticket_no: str) -> Response:
        complaint = _complaint(ticket_no, request.user)
        if not services.may_rule(request.user):
            raise NotAllowed("您没有权限判责。")
        data = refuse_unknown_fields(request.data, RULING_FIELDS)
        ruling = services.ruling_record(
            complaint=complaint, by=request.user, data=parse_ruling(data)
        )
        fresh = _ruling_rows(request.user).get(pk=ruling.pk)
        return Response(presenters.ruling_json(fresh, request.user), status=status.HTTP_201_CREATED)


def _dispute_rows(user):
    return (
        Dispute.objects.visible_to(user)
        .select_related("complaint", "unit", "filed_by", "decided_by")
        .prefetch_related("evidence")
    )


class DisputeCreateView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": DisputeCreateDoc},
        responses={201: DisputeDoc, **errors(400, 403, 404, 409, 413)},
        operation_id="ruling_disputes_create",
        summary="责任单位对判责提出申诉（附证据）",
    )
    def post(self, request: Request, ruling_id: int) -> Response:
        ruling = services.get_ruling_for_staff(ruling_id=ruling_id, by=request.user)
        unknown = sorted(k for k in request.data if k not in ("reason", "files"))
        if unknown:
            raise InvalidInput(
                "请求包含未知字段。", field_errors={k[:50]: "未知字段" for k in unknown[:20]}
            )
        reason = request.data.get("reason", "")
        dispute = services.dispute_file(
            ruling=ruling,
            by=request.user,
            reason=reason if isinstance(reason, str) else "",
            uploads=request.FILES.getlist("files"),
        )
        fresh = _dispute_rows(request.user).get(pk=dispute.pk)
        return Response(presenters.dispute_json(fresh, request.user), status=201)


class DisputeListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=DisputeStatus.values),
            OpenApiParameter("unit", OpenApiTypes.STR, description="申诉单位编码"),
            *PAGE_PARAMS,
        ],
        responses={200: DisputeListDoc, **errors(400, 403, 404)},
        operation_id="disputes_list",
        summary="判责申诉（网点只见本单位的）",
    )
    def get(self, request: Request) -> Response:
        services.require_dispute_view(request.user)
        rows = _dispute_rows(request.user)
        state = request.query_params.get("status")
        if state:
            if state not in DisputeStatus.values:
                raise InvalidInput("状态无效。", field_errors={"status": "状态无效。"})
            rows = rows.filter(status=state)
        code = _unit_filter(request)
        if code:
            rows = rows.filter(unit__code=code)
        page, more = _paged(rows, request)
        return Response(
            {
                "results": [presenters.dispute_json(d, request.user) for d in page],
                "next_before": more,
            }
        )


class DisputeDetailView(APIView):
    @extend_schema(
        responses={200: DisputeDoc, **errors(400, 403, 404)},
        operation_id="disputes_retrieve",
        summary="判责申诉详情",
    )
    def get(self, request: Request, dispute_id: int) -> Response:
        dispute = services.get_dispute_for_staff(dispute_id=dispute_id, by=request.user)
        return Response(presenters.dispute_json(dispute, request.user))


class DisputeDecisionView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=DecisionDoc,
        responses={200: DisputeDoc, **errors(400, 403, 404, 409)},
        operation_id="disputes_decide",
        summary="裁决判责申诉（维持原判或改判无责）",
    )
    def post(self, request: Request, dispute_id: int) -> Response:
        dispute = services.get_dispute_for_staff(dispute_id=dispute_id, by=request.user)
        data = refuse_unknown_fields(request.data, ("outcome", "reason"))
        outcome, reason = data.get("outcome"), data.get("reason")
        services.dispute_decide(
            dispute=dispute,
            by=request.user,
            outcome=outcome if isinstance(outcome, str) else "",
            reason=reason if isinstance(reason, str) else "",
        )
        fresh = _dispute_rows(request.user).get(pk=dispute.pk)
        return Response(presenters.dispute_json(fresh, request.user))


class LedgerView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="考核月份 YYYY-MM"),
            OpenApiParameter("unit", OpenApiTypes.STR, description="单位编码"),
            *PAGE_PARAMS,
        ],
        responses={200: EntryListDoc, **errors(400, 403, 404)},
        operation_id="ledger_list",
        summary="考核台账（网点只见本单位的）",
    )
    def get(self, request: Request) -> Response:
        services.require_ledger_view(request.user)
        rows = LedgerEntry.objects.visible_to(request.user).select_related(
            "unit", "person", "complaint", "rule"
        )
        month = request.query_params.get("month")
        if month:
            rows = rows.filter(period=parse_month(month, default=timezone.localdate()))
        code = _unit_filter(request)
        if code:
            rows = rows.filter(unit__code=code)
        page, more = _paged(rows, request)
        return Response({"results": [presenters.entry_json(e) for e in page], "next_before": more})
