"""The REST API: thin views that validate input, call a service and shape the answer.

Customers have no account: they send their ticket's access code in X-Access-Code. Staff and
partners send `Authorization: Token <key>`. Every failure answers in the one error shape of
kernel.api_errors.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import attachments, services
from complaints.models import Complaint
from kernel import privacy
from kernel.errors import NotAllowed, NotFound

from . import idempotency, presenters
from .actions import ACTIONS, user_perms
from .pagination import page
from .parsers import SafeJSONParser
from .serializers import (
    AttachmentSerializer,
    ChaseSerializer,
    ComplaintSerializer,
    ErrorSerializer,
    EvidenceSerializer,
    ListFilterSerializer,
    ListPageSerializer,
    RatingSerializer,
    RefiledSerializer,
    ReopenSerializer,
    StaffComplaintSerializer,
    SubmissionSerializer,
    SubmitSerializer,
)
from .throttling import (
    AccessCodeGuard,
    AnonymousSubmitThrottle,
    CustomerThrottle,
    PartnerThrottle,
    _ident,
)

ACCESS_CODE = OpenApiParameter(
    "X-Access-Code",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="客户的查询码（提交投诉时返回）。员工改用 Authorization: Token。",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="可选。同一键同一内容重放返回同一工单（响应头 Idempotent-Replayed: true）；"
    "同一键不同内容返回 422。",
)

ERROR_TEXT = {
    400: "输入有误（fields 给出每个字段的错误）",
    401: "令牌无效",
    403: "无权执行",
    404: "工单不存在（查询码错误时同样如此）",
    409: "当前状态不允许，或与他人的操作冲突",
    413: "内容过大",
    415: "不支持的内容类型",
    422: "Idempotency-Key 已用于不同内容",
    429: "请求过于频繁（见 Retry-After）",
    503: "服务暂时不可用（数据库或存储中断），请按 Retry-After 稍后重试",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[code]) for code in codes}


def _out(serializer_class, data: dict, *, status_code=200, **kwargs) -> Response:
    """Answer with a dict the presenters formatted; `serializer_class` documents its shape."""
    return Response(data, status=status_code, **kwargs)


def _is_staff_request(request) -> bool:
    return bool(request.user and request.user.is_authenticated)


def _ticket_no(raw: str) -> str:
    return raw.strip().upper()


class CustomerOrStaffMixin:
    """Find the ticket for the caller: staff by role scope, the customer by access code.

    A wrong or missing code gets exactly the same 404 as a ticket that does not exist, and
    counts as a failed guess for the caller's address.
    """

    permission_classes = [AllowAny]
    throttle_classes = [CustomerThrottle, PartnerThrottle]

    def resolve(self, request, ticket_no: str):
        ticket_no = _ticket_no(ticket_no)
        code = request.headers.get("X-Access-Code")
        # A partner relaying its customer sends the code with its token: the code decides.
        if code is None and _is_staff_request(request):
            return services.get_for_staff(ticket_no=ticket_no, by=request.user), request.user
        guard = AccessCodeGuard(request)
        guard.check()
        try:
            complaint = services.get_for_customer(ticket_no=ticket_no, access_code=code)
        except NotFound:
            guard.record_failure(ticket_no)
            raise
        return complaint, services.CUSTOMER

    def present(self, complaint: Complaint, by, *, status_code=200) -> Response:
        complaint = Complaint.objects.select_related("unit", "repeat_of").get(pk=complaint.pk)
        if by == services.CUSTOMER:
            return _out(
                ComplaintSerializer, presenters.customer_view(complaint), status_code=status_code
            )
        return _out(
            StaffComplaintSerializer,
            presenters.staff_view(complaint, by),
            status_code=status_code,
        )


COMPLAINT_RESPONSE = OpenApiResponse(
    StaffComplaintSerializer,
    description="工单。客户（X-Access-Code）收到的字段为员工视图的子集：无 channel、unit、"
    "available_actions 等内部字段。",
)


class ComplaintsView(APIView):
    """POST: submit a complaint (anyone, or a partner token). GET: the staff list."""

    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [AnonymousSubmitThrottle(), PartnerThrottle()]
        return [PartnerThrottle()]

    @extend_schema(
        operation_id="complaint_submit",
        summary="提交投诉",
        request=SubmitSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: SubmissionSerializer, **errors(400, 401, 403, 413, 415, 422, 429)},
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request):
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        by = request.user if _is_staff_request(request) else services.CUSTOMER
        new = services.NewComplaint(
            tracking_no=data["tracking_no"],
            complainant_name=data["complainant_name"],
            phone=data["phone"],
            party=data["party"],
            category=data["category"],
            description=data["description"],
            demand=data["demand"],
            demand_detail=data["demand_detail"],
            service=data["service"],
            insured=data["insured"],
            insured_amount=data.get("insured_amount"),
            declared_value=data.get("declared_value"),
            freight=data.get("freight"),
            unit_code=data["unit"],
        )
        outcome = idempotency.submit_once(
            client=idempotency.client_identity(request, _ident(request)),
            key=key,
            body_hash=idempotency.request_hash(request.data) if key else "",
            create=lambda: services.complaint_create(data=new, by=by),
        )
        complaint = outcome.complaint
        body = {
            "ticket_no": complaint.ticket_no,
            "access_code": outcome.access_code,
            "status": complaint.status,
            "priority": complaint.priority,
            "first_response_due": presenters.iso(complaint.first_response_due),
            "resolution_due": presenters.iso(complaint.resolution_due),
            "statutory_due": presenters.iso(complaint.statutory_due),
            "created_at": presenters.iso(complaint.accepted_at),
        }
        headers = {"Location": f"{request.path}{complaint.ticket_no}/"}
        if outcome.replayed:
            headers["Idempotent-Replayed"] = "true"
        return _out(
            SubmissionSerializer, body, status_code=status.HTTP_201_CREATED, headers=headers
        )

    @extend_schema(
        operation_id="complaint_list",
        summary="员工工单列表（按最近时限排序，游标分页）",
        parameters=[ListFilterSerializer],
        responses={200: ListPageSerializer, **errors(400, 401, 403, 429)},
    )
    def get(self, request):
        user = request.user
        if not user.has_perm("complaints.view_complaint"):
            raise NotAllowed("您没有权限查看工单列表。")
        filters = ListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        now = timezone.now()
        qs = Complaint.objects.visible_to(user).select_related("unit")
        if "status" in f:
            qs = qs.filter(status=f["status"])
        if "unit" in f:
            qs = qs.filter(unit__code=f["unit"])
        if "priority" in f:
            qs = qs.filter(priority=f["priority"])
        if "category" in f:
            qs = qs.filter(category=f["category"])
        if "tracking_no" in f:
            qs = qs.filter(tracking_no=f["tracking_no"].strip().upper())
        if "phone" in f:
            qs = qs.filter(phone=privacy.normalize_phone(f["phone"]))
        if f.get("overdue") is True:
            qs = qs.filter(next_deadline__lt=now)
        elif f.get("overdue") is False:
            qs = qs.exclude(next_deadline__lt=now)
        if "created_after" in f:
            qs = qs.filter(accepted_at__gte=f["created_after"])
        if "created_before" in f:
            qs = qs.filter(accepted_at__lt=f["created_before"])
        rows, next_cursor = page(qs, cursor=f.get("cursor"), size=f["page_size"])
        next_url = None
        if next_cursor:
            params = request.query_params.copy()
            params["cursor"] = next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        perms = user_perms(user)
        results = [presenters.list_row(c, user, now=now, perms=perms) for c in rows]
        body = {"next": next_url, "results": results}
        return _out(ListPageSerializer, body)


class ComplaintDetailView(CustomerOrStaffMixin, APIView):
    @extend_schema(
        operation_id="complaint_retrieve",
        summary="查询工单（客户凭查询码，员工凭令牌）",
        parameters=[ACCESS_CODE],
        responses={200: COMPLAINT_RESPONSE, **errors(401, 403, 404, 429)},
        auth=[{"tokenAuth": []}, {}],
    )
    def get(self, request, ticket_no: str):
        complaint, by = self.resolve(request, ticket_no)
        return self.present(complaint, by)


class EvidenceView(CustomerOrStaffMixin, APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="complaint_evidence_upload",
        summary="上传证据（图片或PDF）",
        parameters=[ACCESS_CODE],
        request={"multipart/form-data": EvidenceSerializer},
        responses={
            201: AttachmentSerializer,
            **errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request, ticket_no: str):
        complaint, by = self.resolve(request, ticket_no)
        serializer = EvidenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = attachments.attachment_add(
            complaint=complaint, by=by, upload=serializer.validated_data["file"]
        )
        body = {
            "id": saved.token,
            "content_type": saved.content_type,
            "size": saved.size,
            "sha256": saved.sha256,
            "original_name": saved.original_name,
            "uploaded_at": presenters.iso(saved.uploaded_at),
        }
        return _out(AttachmentSerializer, body, status_code=status.HTTP_201_CREATED)


class ChaseView(CustomerOrStaffMixin, APIView):
    @extend_schema(
        operation_id="complaint_chase",
        summary="催促（第二次催促使一般投诉升为重大紧急）",
        parameters=[ACCESS_CODE],
        request=ChaseSerializer,
        responses={200: COMPLAINT_RESPONSE, **errors(400, 401, 403, 404, 409, 415, 429)},
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request, ticket_no: str):
        complaint, by = self.resolve(request, ticket_no)
        serializer = ChaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():  # a 503 means "not done" (see ActionView)
            services.complaint_chase(
                complaint=complaint, by=by, note=serializer.validated_data["note"]
            )
            return self.present(complaint, by)


class RatingView(CustomerOrStaffMixin, APIView):
    @extend_schema(
        operation_id="complaint_rate",
        summary="评价处理结果（回访或闭环后；≤2分视为不满意并重新处理）",
        parameters=[ACCESS_CODE],
        request=RatingSerializer,
        responses={200: COMPLAINT_RESPONSE, **errors(400, 401, 403, 404, 409, 415, 429)},
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request, ticket_no: str):
        complaint, by = self.resolve(request, ticket_no)
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():  # a 503 means "not done" (see ActionView)
            services.complaint_rate(
                complaint=complaint,
                by=by,
                score=serializer.validated_data["score"],
                comment=serializer.validated_data["comment"],
            )
            return self.present(complaint, by)


class ReopenView(CustomerOrStaffMixin, APIView):
    @extend_schema(
        operation_id="complaint_customer_reopen",
        summary="客户对处理结果不满意：回访中或闭环7日内重新处理；闭环超过7日另立新工单并关联原工单",
        parameters=[ACCESS_CODE],
        request=ReopenSerializer,
        responses={
            200: COMPLAINT_RESPONSE,
            201: RefiledSerializer,
            **errors(400, 401, 403, 404, 409, 415, 429),
        },
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request, ticket_no: str):
        complaint, by = self.resolve(request, ticket_no)
        serializer = ReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        with transaction.atomic():  # a 503 means "not done" (see ActionView)
            if by != services.CUSTOMER:  # staff: the reopen action, within the window only
                services.complaint_reopen(complaint=complaint, by=by, reason=reason)
                return self.present(complaint, by)
            outcome = services.complaint_reopen_by_customer(complaint=complaint, reason=reason)
            if not outcome.refiled:
                return self.present(complaint, by)
            new = outcome.complaint
            body = {
                "ticket_no": new.ticket_no,
                "access_code": outcome.access_code,
                "linked_to": complaint.ticket_no,
                "status": new.status,
                "priority": new.priority,
                "first_response_due": presenters.iso(new.first_response_due),
                "resolution_due": presenters.iso(new.resolution_due),
                "statutory_due": presenters.iso(new.statutory_due),
                "created_at": presenters.iso(new.accepted_at),
            }
            return _out(RefiledSerializer, body, status_code=status.HTTP_201_CREATED)


class ActionView(CustomerOrStaffMixin, APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]

    def post(self, request, ticket_no: str, action: str):
        spec = ACTIONS.get(action)
        if spec is None:
            raise DrfNotFound("没有这个操作。")
        complaint = services.get_for_staff(ticket_no=_ticket_no(ticket_no), by=request.user)
        data = {}
        if spec.body is not None:
            serializer = spec.body(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        # The change and the answer in one transaction: if the database goes away while the
        # answer is read, the change rolls back with it, so a 503 always means "not done" (a
        # retry then succeeds instead of meeting a 409 for a change the client never saw).
        with transaction.atomic():
            spec.run(complaint, request.user, data)
            return self.present(complaint, request.user)


def _action_view(name: str):
    """One documented operation per action (one view per write action, as the styleguide asks)."""
    spec = ACTIONS[name]

    class View(ActionView):
        @extend_schema(
            operation_id=f"complaint_action_{name}",
            summary=spec.summary,
            request=spec.body,
            responses={200: StaffComplaintSerializer, **errors(400, 401, 403, 404, 409, 415, 429)},
        )
        def post(self, request, ticket_no: str):
            return super().post(request, ticket_no, name)

    View.__name__ = View.__qualname__ = f"{''.join(p.title() for p in name.split('_'))}ActionView"
    return View


ACTION_VIEWS = {name: _action_view(name) for name in ACTIONS}
