"""REST API of regulator appeals: the public eligibility check and the supervisors' appeals.

Thin views: validate input → call a service → serialize. Domain errors become the one error
shape of kernel.api_errors.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from complaints.api.views import errors as error_responses
from kernel.api_fields import OUT_OF_RANGE, BoundedDateField, BoundedDateTimeField, in_range
from kernel.privacy import mask_name, mask_phone

from . import services, statistics, volumes
from .calendar import work_calendar
from .eligibility import AppealFacts, RuleSet, Standing, check_eligibility, format_chinese_date
from .models import Appeal, AppealOutcome, AppealState, Province, VolumeSource
from .report import SECTION_TITLES, render_docx

# --- Throttling and permissions -----------------------------------------------------------


class ClientAddressThrottle(SimpleRateThrottle):
    """Limit a public endpoint per client address (SPEC §9), answering 429 with Retry-After.

    The address is REMOTE_ADDR: X-Forwarded-For is only trusted when NUM_PROXIES says how many
    proxies stand in front, otherwise a client could pick a new "address" per request.
    """

    scope = "appeal_eligibility"

    def get_rate(self):
        return settings.REGULATORS["ELIGIBILITY_RATE"]

    def get_ident(self, request):
        if settings.REST_FRAMEWORK.get("NUM_PROXIES") is not None:
            return super().get_ident(request)
        return request.META.get("REMOTE_ADDR", "")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AppealPermission(BasePermission):
    """Reading appeals needs regulators.view_appeal; the services check each write."""

    message = "只有质量监控主管可以查看监管申诉。"

    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("regulators.view_appeal"))


# --- Eligibility --------------------------------------------------------------------------


class EligibilityInput(serializers.Serializer):
    # Bounded: year 1 or 9999 overflowed the deadline arithmetic (issue 19 §6).
    complained_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    company_answered_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None)
    has_clear_request = serializers.BooleanField(required=False, default=True)
    appealed_before = serializers.BooleanField(required=False, default=False)
    new_respondent_or_reason = serializers.BooleanField(required=False, default=False)
    in_legal_process = serializers.BooleanField(required=False, default=False)
    standing = serializers.ChoiceField(
        choices=[s.value for s in Standing],
        error_messages={
            "invalid_choice": "申诉人身份须为 sender、recipient、authorized_agent 或 unauthorized。"
        },
    )
    dispute_date = BoundedDateField(required=False, allow_null=True, default=None)
    as_of = BoundedDateField(required=False, allow_null=True, default=None)
    rule_set = serializers.ChoiceField(
        choices=[r.value for r in RuleSet],
        required=False,
        default=RuleSet.RULES_2020.value,
        error_messages={"invalid_choice": "规则版本须为 2020 或 2014。"},
    )
    roll_over = serializers.BooleanField(required=False, default=True)
    channel_unreachable = serializers.BooleanField(
        required=False,
        default=False,
        help_text="企业投诉渠道不畅通、投诉无人受理。2014年规则（第九条第（四）项）下无须等待7日"
        "即可申诉；2020年规则下仅在 reasons 中说明，不改变结论",
    )

    def validate(self, attrs):
        errors: dict[str, str] = {}
        complained, answered = attrs.get("complained_at"), attrs.get("company_answered_at")
        if answered and not complained:
            errors["company_answered_at"] = "未向企业投诉时不应填写企业答复时间。"
        elif answered and complained and answered < complained:
            errors["company_answered_at"] = "企业答复时间不能早于投诉时间。"
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    blocking = serializers.BooleanField(help_text="true：妨碍申诉的理由；false：说明适用的规则")


class EligibilityOutput(serializers.Serializer):
    eligible = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
    eligible_from = serializers.DateField(allow_null=True)
    summary = serializers.CharField()


class EligibilityView(APIView):
    """May this customer appeal to 12305 yet, and from when? Public and rate-limited."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]

    def throttled(self, request, wait):
        raise exceptions.Throttled(wait, detail="查询过于频繁，请稍后再试。")

    @extend_schema(
        operation_id="appeal_eligibility",
        request=EligibilityInput,
        responses=EligibilityOutput,
        auth=[],
        summary="客户是否可以向12305申诉、从何日起可以申诉",
    )
    def post(self, request):
        data = EligibilityInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        facts = AppealFacts(
            complained_at=v["complained_at"],
            company_answered_at=v["company_answered_at"],
            satisfied=v["satisfied"],
            has_clear_request=v["has_clear_request"],
            appealed_before=v["appealed_before"],
            new_respondent_or_reason=v["new_respondent_or_reason"],
            in_legal_process=v["in_legal_process"],
            standing=Standing(v["standing"]),
            dispute_date=v["dispute_date"],
            as_of=v["as_of"] or timezone.localdate(),
            rule_set=RuleSet(v["rule_set"]),
            channel_unreachable=v["channel_unreachable"],
        )
        result = check_eligibility(facts, calendar=work_calendar(), roll_over=v["roll_over"])
        return Response(eligibility_body(result))


def eligibility_body(result) -> dict:
    eligible_from = result.eligible_from
    if result.eligible:
        summary = "客户目前可以向12305申诉。"
    elif eligible_from:
        summary = f"客户可于{format_chinese_date(eligible_from)}起向12305申诉。"
    else:
        summary = "客户目前不符合向12305申诉的条件。"
    return {
        "eligible": result.eligible,
        "reasons": [
            {"code": r.code.value, "message": r.message, "blocking": r.blocking}
            for r in result.reasons
        ],
        "eligible_from": eligible_from.isoformat() if eligible_from else None,
        "summary": summary,
    }


# --- Appeals ------------------------------------------------------------------------------


class AppealInput(serializers.Serializer):
    case_no = serializers.CharField(max_length=40)
    received_at = BoundedDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="我司收到转办的时间；缺省为登记时刻。企业报告时限自此起算",
    )
    regulator_received_on = BoundedDateField(
        help_text="监管部门收到用户申诉的日期（转办通知所载）。监管部门答复用户的30日"
        "（邮政法第六十五条）自此起算，而非自我司收到转办起算"
    )
    province = serializers.ChoiceField(choices=Province.choices)
    appellant_name = serializers.CharField(max_length=50)
    appellant_phone = serializers.CharField(max_length=30)
    facts = serializers.CharField(max_length=5000)
    request = serializers.CharField(max_length=2000)
    tracking_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    ticket_no = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=16, required=False, default="other")
    party = serializers.CharField(max_length=16, required=False, default="sender")
    report_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=60
    )


class AppealOutput(serializers.Serializer):
    """The shape appeal_body returns (for the API schema); detail adds facts, report, events."""

    id = serializers.IntegerField()
    case_no = serializers.CharField()
    state = serializers.ChoiceField(choices=AppealState.choices)
    state_label = serializers.CharField()
    outcome = serializers.ChoiceField(choices=AppealOutcome.choices, allow_null=True)
    outcome_label = serializers.CharField(allow_null=True)
    province = serializers.ChoiceField(choices=Province.choices)
    province_label = serializers.CharField()
    received_at = serializers.DateTimeField()
    regulator_received_on = BoundedDateField(allow_null=True)
    complaint = serializers.JSONField()
    appellant_name = serializers.CharField(help_text="脱敏")
    appellant_phone = serializers.CharField(help_text="脱敏")
    tracking_no = serializers.CharField()
    report_days = serializers.IntegerField()
    company_report_due = serializers.DateTimeField()
    mediation_feedback_due = serializers.DateTimeField(allow_null=True)
    regulator_reply_due = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    report_sent_at = serializers.DateTimeField(allow_null=True)
    report_sent_via = serializers.CharField()
    mediation_proposed_at = serializers.DateTimeField(allow_null=True)
    mediation_answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    facts = serializers.CharField(required=False)
    request = serializers.CharField(required=False)
    mediation_proposal = serializers.CharField(required=False)
    mediation_answer = serializers.CharField(required=False)
    report = serializers.JSONField(required=False)
    events = serializers.JSONField(required=False)


def _in_shanghai(value):
    """Every instant in the API's one form, ISO 8601 in Asia/Shanghai (docs/api.md): a deadline
    that ends a day reads 2026-12-10T00:00:00+08:00 whether it was just computed or read back."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dict):
        return {key: _in_shanghai(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_shanghai(item) for item in value]
    return value


def appeal_body(appeal: Appeal, *, now: datetime, detail: bool = False) -> dict:
    return _in_shanghai(_appeal_fields(appeal, now=now, detail=detail))


def _appeal_fields(appeal: Appeal, *, now: datetime, detail: bool) -> dict:
    body = {
        "id": appeal.pk,
        "case_no": appeal.case_no,
        "state": appeal.state,
        "state_label": appeal.get_state_display(),
        "outcome": appeal.outcome or None,
        "outcome_label": appeal.get_outcome_display() if appeal.outcome else None,
        "province": appeal.province,
        "province_label": appeal.get_province_display(),
        "received_at": appeal.received_at,
        "regulator_received_on": appeal.regulator_received_on,
        "complaint": {
            "ticket_no": appeal.complaint.ticket_no,
            "status": appeal.complaint.status,
            "priority": appeal.complaint.priority,
            "is_external": appeal.complaint.is_external,
            "created_for_appeal": appeal.complaint_created,
        },
        "appellant_name": mask_name(appeal.appellant_name),
        "appellant_phone": mask_phone(appeal.appellant_phone),
        "tracking_no": appeal.tracking_no,
        "report_days": appeal.report_days,
        "company_report_due": appeal.company_report_due,
        "mediation_feedback_due": appeal.mediation_feedback_due,
        "regulator_reply_due": appeal.regulator_reply_due,
        "overdue": _is_overdue(appeal, now),
        "report_sent_at": appeal.report_sent_at,
        "report_sent_via": appeal.report_sent_via,
        "mediation_proposed_at": appeal.mediation_proposed_at,
        "mediation_answered_at": appeal.mediation_answered_at,
        "closed_at": appeal.closed_at,
    }
    if detail:
        body.update(
            {
                "facts": appeal.facts,
                "request": appeal.request,
                "mediation_proposal": appeal.mediation_proposal,
                "mediation_answer": appeal.mediation_answer,
                "report": {
                    "sections": [
                        {"key": k, "title": t, "text": (appeal.report_sections or {}).get(k, "")}
                        for k, t in SECTION_TITLES.items()
                    ],
                    "drafted_at": appeal.report_drafted_at,
                    "edited_at": appeal.report_edited_at,
                },
                "events": [
                    {
                        "at": e.at,
                        "actor": e.actor.get_username() if e.actor else None,
                        "action": e.action,
                        "from_state": e.from_state or None,
                        "to_state": e.to_state,
                        "reason": e.reason,
                        "details": e.details,
                    }
                    for e in appeal.events.select_related("actor").order_by("at", "id")
                ],
            }
        )
    return body


def _is_overdue(appeal: Appeal, now: datetime) -> bool:
    if appeal.state in ("received", "investigating") and appeal.company_report_due <= now:
        return True
    return bool(
        appeal.state == "mediation"
        and appeal.mediation_answered_at is None
        and appeal.mediation_feedback_due
        and appeal.mediation_feedback_due <= now
    )


def _bool_param(raw: str | None, field: str) -> bool | None:
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise exceptions.ValidationError({field: "须为 true 或 false。"})


def _date_param(raw: str | None, field: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({field: "日期格式须为 YYYY-MM-DD。"}) from None
    if not in_range(day):
        raise exceptions.ValidationError({field: OUT_OF_RANGE})
    return day


class AppealPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class AppealListView(APIView):
    """GET: the appeals, filtered; POST: register one forwarded by the regulator."""

    permission_classes = [IsAuthenticated, AppealPermission]

    @extend_schema(
        operation_id="appeal_list",
        parameters=[
            OpenApiParameter("state", str, enum=AppealState.values),
            OpenApiParameter("province", str, enum=Province.values),
            OpenApiParameter("outcome", str, enum=AppealOutcome.values),
            OpenApiParameter("overdue", bool, description="企业时限已过而未完成"),
            OpenApiParameter("received_from", OpenApiTypes.DATE),
            OpenApiParameter("received_to", OpenApiTypes.DATE),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=AppealOutput(many=True),
        summary="监管申诉列表",
    )
    def get(self, request):
        now = timezone.now()
        queryset = Appeal.objects.select_related("complaint")
        params = request.query_params
        state = params.get("state")
        if state:
            if state not in AppealState.values:
                raise exceptions.ValidationError({"state": "状态无效。"})
            queryset = queryset.filter(state=state)
        province = params.get("province")
        if province:
            if province not in Province.values:
                raise exceptions.ValidationError({"province": "省份无效。"})
            queryset = queryset.filter(province=province)
        outcome = params.get("outcome")
        if outcome:
            if outcome not in AppealOutcome.values:
                raise exceptions.ValidationError({"outcome": "办结结果无效。"})
            queryset = queryset.filter(outcome=outcome)
        overdue = _bool_param(params.get("overdue"), "overdue")
        if overdue is True:
            queryset = queryset.overdue(now)
        elif overdue is False:
            queryset = queryset.exclude(pk__in=Appeal.objects.overdue(now).values("pk"))
        start = _date_param(params.get("received_from"), "received_from")
        end = _date_param(params.get("received_to"), "received_to")
        tz = timezone.get_current_timezone()
        if start:
            queryset = queryset.filter(
                received_at__gte=datetime.combine(start, datetime.min.time(), tz)
            )
        if end:
            queryset = queryset.filter(
                received_at__lt=datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
            )
        paginator = AppealPagination()
        page = paginator.paginate_queryset(
            queryset.order_by("-received_at", "-id"), request, view=self
        )
        return paginator.get_paginated_response([appeal_body(a, now=now) for a in page])

    @extend_schema(
        operation_id="appeal_register",
        request=AppealInput,
        responses={201: AppealOutput},
        summary="登记监管部门转办的申诉",
    )
    def post(self, request):
        data = AppealInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_register(
            data=services.NewAppeal(**data.validated_data), by=request.user
        )
        return Response(appeal_body(appeal, now=timezone.now(), detail=True), status=201)


class AppealActionView(APIView):
    """Base for the detail and the actions on one appeal."""

    permission_classes = [IsAuthenticated, AppealPermission]

    def appeal(self, pk: int) -> Appeal:
        return get_object_or_404(Appeal.objects.select_related("complaint"), pk=pk)

    def answer(self, appeal: Appeal, status: int = 200) -> Response:
        return Response(appeal_body(appeal, now=timezone.now(), detail=True), status=status)


class AppealDetailView(AppealActionView):
    @extend_schema(operation_id="appeal_detail", responses=AppealOutput, summary="申诉详情")
    def get(self, request, pk: int):
        return self.answer(self.appeal(pk))


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReportEditInput(serializers.Serializer):
    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=10000),
        help_text="respondent / request / investigation / handling / result / rectification",
    )


class ReportSendInput(serializers.Serializer):
    via = serializers.CharField(max_length=100, help_text="报送方式，如：监管申诉系统、传真")


class MediationAnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class CloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=AppealOutcome.choices, error_messages={"invalid_choice": "办结结果无效。"}
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _valid(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class InvestigateView(AppealActionView):
    @extend_schema(operation_id="appeal_investigate", request=NoteInput, responses=AppealOutput)
    def post(self, request, pk: int):
        note = _valid(NoteInput, request)["note"]
        return self.answer(
            services.appeal_investigate(appeal=self.appeal(pk), by=request.user, note=note)
        )


class ReportView(AppealActionView):
    """PUT/PATCH: store the edited report sections ({"sections": {"handling": "…", …}})."""

    @extend_schema(
        operation_id="appeal_report_edit", request=ReportEditInput, responses=AppealOutput
    )
    def put(self, request, pk: int):
        sections = _valid(ReportEditInput, request)["sections"]
        appeal = services.appeal_edit_report(
            appeal=self.appeal(pk), by=request.user, sections=sections
        )
        return self.answer(appeal)

    @extend_schema(
        operation_id="appeal_report_patch", request=ReportEditInput, responses=AppealOutput
    )
    def patch(self, request, pk: int):
        return self.put(request, pk)


class ReportDraftView(AppealActionView):
    @extend_schema(operation_id="appeal_report_draft", request=None, responses=AppealOutput)
    def post(self, request, pk: int):
        return self.answer(services.appeal_draft_report(appeal=self.appeal(pk), by=request.user))


class ReportSendView(AppealActionView):
    @extend_schema(
        operation_id="appeal_report_send", request=ReportSendInput, responses=AppealOutput
    )
    def post(self, request, pk: int):
        via = _valid(ReportSendInput, request)["via"]
        return self.answer(
            services.appeal_send_report(appeal=self.appeal(pk), by=request.user, via=via)
        )


class ReportDocxView(AppealActionView):
    @extend_schema(
        operation_id="appeal_report_docx",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        appeal = self.appeal(pk)
        return docx_response(appeal)


def docx_response(appeal: Appeal) -> HttpResponse:
    response = HttpResponse(
        render_docx(appeal),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="appeal-report-{appeal.pk}.docx"'
    return response


class MediationInput(serializers.Serializer):
    proposal = serializers.CharField(max_length=5000)
    proposed_at = BoundedDateTimeField(required=False, allow_null=True, default=None)


class MediationView(AppealActionView):
    @extend_schema(operation_id="appeal_mediation", request=MediationInput, responses=AppealOutput)
    def post(self, request, pk: int):
        data = MediationInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_record_mediation_proposal(
            appeal=self.appeal(pk), by=request.user, **data.validated_data
        )
        return self.answer(appeal)


class MediationAnswerView(AppealActionView):
    @extend_schema(
        operation_id="appeal_mediation_answer", request=MediationAnswerInput, responses=AppealOutput
    )
    def post(self, request, pk: int):
        answer = _valid(MediationAnswerInput, request)["answer"]
        return self.answer(
            services.appeal_answer_mediation(appeal=self.appeal(pk), by=request.user, answer=answer)
        )


class CloseView(AppealActionView):
    @extend_schema(operation_id="appeal_close", request=CloseInput, responses=AppealOutput)
    def post(self, request, pk: int):
        data = _valid(CloseInput, request)
        appeal = services.appeal_close(
            appeal=self.appeal(pk), by=request.user, outcome=data["outcome"], reason=data["reason"]
        )
        return self.answer(appeal)


def parse_month(raw: str | None) -> tuple[int, int]:
    """Parse YYYY-MM; default: the previous month (the one usually reported)."""
    if not raw:
        first = timezone.localdate().replace(day=1) - timedelta(days=1)
        return first.year, first.month
    try:
        year_text, month_text = raw.split("-")
        year, month = int(year_text), int(month_text)
        statistics.month_bounds(year, month)
    except ValueError:
        raise exceptions.ValidationError({"month": "月份格式须为 YYYY-MM。"}) from None
    return year, month


def statistics_response(year: int, month: int, fmt: str) -> HttpResponse:
    stats = statistics.monthly_statistics(year, month)
    name = f"regulator-statistics-{year}-{month:02d}"
    if fmt == "xlsx":
        response = HttpResponse(
            statistics.to_xlsx(stats),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(statistics.to_csv(stats), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


class StatisticsView(APIView):
    """GET ?month=YYYY-MM&export=csv|xlsx: the month's regulator statistics as a file.

    (Not `format`: DRF reserves that query parameter for choosing a renderer.)
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="appeal_statistics",
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM，默认上个月"),
            OpenApiParameter("export", str, enum=["csv", "xlsx"]),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="月度监管统计报表",
    )
    def get(self, request):
        if not request.user.has_perm("regulators.export_regulator_statistics"):
            raise exceptions.PermissionDenied("只有质量监控主管可以导出监管统计报表。")
        fmt = request.query_params.get("export", "csv")
        if fmt not in ("csv", "xlsx"):
            raise exceptions.ValidationError({"export": "格式须为 csv 或 xlsx。"})
        year, month = parse_month(request.query_params.get("month"))
        return statistics_response(year, month, fmt)


# --- 业务量 (the operations system's parcel volumes) -------------------------------------


class VolumeInSerializer(serializers.Serializer):
    """Documentation of one row (the service checks them, all or nothing)."""

    month = serializers.CharField(help_text="YYYY-MM")
    unit = serializers.CharField(
        required=False, help_text="单位编码（与省份二选一，均不填为全公司）"
    )
    province = serializers.CharField(required=False, help_text="省份代码（如 GD）或名称")
    parcels = serializers.IntegerField(min_value=0, help_text="当月业务量（件）")


class StoredSerializer(serializers.Serializer):
    stored = serializers.IntegerField()


class ParcelVolumeView(APIView):
    """POST one volume or a list: {"month": "2026-11", "unit": "B-EAST-1" | "province": "GD" |
    neither (the company), "parcels": 40000000}. All or nothing; a month and scope sent again
    replaces its figure."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="parcel_volume_upsert",
        summary="录入业务量（运营系统）",
        request=VolumeInSerializer(many=True),
        responses={200: StoredSerializer, **error_responses(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        if not request.user.has_perm(volumes.PERMISSION):
            raise exceptions.PermissionDenied(_("只有质量监控主管可以录入业务量。"))
        data = request.data
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(item, dict) for item in items):
            raise exceptions.ValidationError({"non_field_errors": _("请求体须为对象或对象数组。")})
        rows = volumes.check_rows(list(enumerate(items, start=1)))
        count = volumes.store(rows, user=request.user, source=VolumeSource.API)
        return Response({"stored": count}, status=200)
