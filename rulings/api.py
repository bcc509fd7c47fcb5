"""Rulings API: rulings, disputes and the ledger, read role-scoped (a branch sees its own);
rulings recorded by agents and supervisors, disputes filed by the unit's branch staff (with
their evidence, multipart), decisions by supervisors.

Thin views: parse (rulings.inputs) → call a service → present (rulings.presenters). Errors
are DomainErrors in the one shape of kernel.api_errors. Lists page by id, newest first:
`limit` (1–200, default 50) and `before` (the `next_before` of the previous page).
"""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import services as complaint_services
from kernel.errors import InvalidInput, NotAllowed, NotFound

from . import api_schema as doc
from . import presenters, services
from .inputs import RULING_FIELDS, parse_id, parse_month, parse_ruling, refuse_unknown_fields
from .models import Dispute, DisputeStatus, LedgerEntry, Ruling, Verdict

TICKET_NO = re.compile(r"^[A-Za-z0-9]{1,24}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
ERRORS = {400: doc.RulingErrorDoc, 403: doc.RulingErrorDoc, 404: doc.RulingErrorDoc}
PAGE_PARAMS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="每页条数（1–200，默认50）"),
    OpenApiParameter("before", OpenApiTypes.INT, description="上一页的 next_before"),
]


def _complaint(ticket_no: str, user):
    if not TICKET_NO.match(ticket_no):
        raise NotFound("工单不存在。")
    return complaint_services.get_for_staff(ticket_no=ticket_no.upper(), by=user)


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
        responses={200: doc.RulingListDoc, **ERRORS},
        operation_id="rulings_list",
        summary="判责记录（网点只见本单位的）",
    )
    def get(self, request: Request) -> Response:
        services.require_view(request.user)
        rows = _ruling_rows(request.user)
        params = request.query_params
        ticket_no = params.get("ticket_no")
        if ticket_no:
            if not TICKET_NO.match(ticket_no):
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
        responses={200: doc.RulingDoc, **ERRORS},
        operation_id="rulings_retrieve",
        summary="判责详情",
    )
    def get(self, request: Request, ruling_id: int) -> Response:
        ruling = services.get_ruling_for_staff(ruling_id=ruling_id, by=request.user)
        fresh = _ruling_rows(request.user).get(pk=ruling.pk)
        return Response(presenters.ruling_json(fresh, request.user))


class ComplaintRulingsView(APIView):
    @extend_schema(
        responses={200: doc.RulingListDoc, **ERRORS},
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
        request=doc.RulingCreateDoc,
        responses={201: doc.RulingDoc, **ERRORS, 409: doc.RulingErrorDoc, 503: doc.RulingErrorDoc},
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
        request={"multipart/form-data": doc.DisputeCreateDoc},
        responses={201: doc.DisputeDoc, **ERRORS, 409: doc.RulingErrorDoc, 413: doc.RulingErrorDoc},
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
        responses={200: doc.DisputeListDoc, **ERRORS},
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
        responses={200: doc.DisputeDoc, **ERRORS},
        operation_id="disputes_retrieve",
        summary="判责申诉详情",
    )
    def get(self, request: Request, dispute_id: int) -> Response:
        dispute = services.get_dispute_for_staff(dispute_id=dispute_id, by=request.user)
        return Response(presenters.dispute_json(dispute, request.user))


class DisputeDecisionView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=doc.DecisionDoc,
        responses={200: doc.DisputeDoc, **ERRORS, 409: doc.RulingErrorDoc},
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
        responses={200: doc.EntryListDoc, **ERRORS},
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
