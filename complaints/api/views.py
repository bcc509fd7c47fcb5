"""The REST API: thin views that validate input, call a service and shape the answer.

Customers have no account: they send their ticket's access code in X-Access-Code. Staff and
partners send `Authorization: Token <key>`. Every failure answers in the one error shape of
kernel.api_errors.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import attachments, services
from complaints import filters as list_filters
from complaints.models import Complaint
from kernel import privacy
from kernel.errors import InvalidInput, NotAllowed, NotFound

from . import idempotency, presenters
from .actions import ACTIONS, user_perms
from .pagination import page, search_page
from .parsers import SafeJSONParser
from .serializers import (
    AttachmentSerializer,
    ChaseSerializer,
    ComplaintSerializer,
    DutyAnswerSerializer,
    DutySerializer,
    ErrorSerializer,
    EvidenceSerializer,
    ListFilterSerializer,
    ListPageSerializer,
    RatingSerializer,
    RefiledSerializer,
    ReopenSerializer,
    SearchPageSerializer,
    SearchSerializer,
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
    413: "内容过大（上传证据时：单个文件或本工单的证据总量超过上限）",
    415: "不支持的内容类型",
    422: "Idempotency-Key 已用于不同内容",
    429: "请求过于频繁，或今日证据上传额度已用完（见 Retry-After）",
    503: "服务暂时不可用（数据库或存储中断），请按 Retry-After 稍后重试",
}


def errors(*codes: int, texts: dict[int, str] | None = None) -> dict:
    """The documented error answers; `texts` words a code for one endpoint (a view's 404)."""
    described = {**ERROR_TEXT, **(texts or {})}
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


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
        guard.reserve()  # counted before the comparison, atomically (issue 19 §9)
        try:
            complaint = services.get_for_customer(ticket_no=ticket_no, access_code=code)
        except NotFound:
            guard.record_failure(ticket_no)
            raise
        guard.release()
        return complaint, services.CUSTOMER

    def present(self, complaint: Complaint, by, *, status_code=200) -> Response:
        complaint = Complaint.objects.select_related("unit", "repeat_of", "handler").get(
            pk=complaint.pk
        )
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
        if by == services.CUSTOMER and data["unit"]:
            # The unit is decided by an agent at dispatch (下发): a customer choosing it would
            # skip triage and could steer the cluster rule at a unit (issue 19 §2). Refused
            # before any lookup, so the answer says nothing about which codes exist.
            message = _("客户提交投诉时不能指定责任单位，客服核实后会下发到责任单位。")
            raise InvalidInput(message, field_errors={"unit": message})
        new = services.NewComplaint.from_input(data, unit_code=data["unit"])
        outcome = idempotency.submit_once(
            client=idempotency.client_identity(request, _ident(request)),
            key=key,
            body_hash=idempotency.request_hash(request.data) if key else "",
            create=lambda: services.complaint_create(data=new, by=by),
        )
        complaint = outcome.record
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
        _require_list_permission(request.user)
        if "phone" in request.query_params:
            # A phone number in a URL lands in access and proxy logs (issue 19 §11).
            message = _(
                "电话号码不能放在网址中，请改用 POST /api/v1/complaints/search/ 在请求体中查询。"
            )
            raise InvalidInput(message, field_errors={"phone": message})
        filters = ListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        now = timezone.now()
        rows, next_cursor = _list_page(request.user, filters.validated_data, now=now)
        next_url = None
        if next_cursor:
            params = request.query_params.copy()
            params["cursor"] = next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        perms = user_perms(request.user)
        results = [presenters.list_row(c, request.user, now=now, perms=perms) for c in rows]
        body = {"next": next_url, "results": results}
        return _out(ListPageSerializer, body)


def _require_list_permission(user) -> None:
    if not user.has_perm("complaints.view_complaint"):
        raise NotAllowed(_("您没有权限查看工单列表。"))


def _list_page(user, f: dict, *, now) -> tuple[list, str | None]:
    """One page of the complaints `user` may see, filtered by the validated filters `f`."""
    return page(_filtered(user, f, now=now), cursor=f.get("cursor"), size=f["page_size"])


def _filtered(user, f: dict, *, now):
    """The complaints `user` may see, filtered by the validated filters `f`."""
    qs = Complaint.objects.visible_to(user).select_related("unit", "handler")
    if "status" in f:
        qs = qs.filter(status=f["status"])
    if "unit" in f:
        qs = qs.filter(unit__code=f["unit"])
    if "priority" in f:
        qs = qs.filter(priority=f["priority"])
    if "category" in f:
        qs = qs.filter(category=f["category"])
    if "tracking_no" in f:
        qs = qs.filter(tracking_no=services.normalize_tracking_no(f["tracking_no"]))
    if "phone" in f:
        phone = privacy.normalize_phone(f["phone"])
        if privacy.has_foreign_digits(phone):
            message = _("电话号码只能使用数字0–9。")
            raise InvalidInput(message, field_errors={"phone": message})
        qs = qs.filter(phone=phone)
    if f.get("overdue") is True:
        qs = qs.filter(next_deadline__lt=now)
    elif f.get("overdue") is False:
        qs = qs.exclude(next_deadline__lt=now)
    if "created_after" in f:
        qs = qs.filter(accepted_at__gte=f["created_after"])
    if "created_before" in f:
        qs = qs.filter(accepted_at__lt=f["created_before"])
    # The work lists' filters, one definition with the pages (complaints.filters).
    chosen = list_filters.parse(
        {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in f.items()
            if name in _LIST_FILTER_NAMES
        }
    )
    return list_filters.apply(qs, chosen, user=user, now=now)


# Taken by complaints.filters; status, priority and category are the serializer's own above.
_LIST_FILTER_NAMES = ("flag", "due", "channel", "handler", "accepted_from", "accepted_to")


class ComplaintSearchView(APIView):
    """POST: the staff list, filtered by what must not travel in a URL (a phone number)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]

    @extend_schema(
        operation_id="complaint_search",
        summary="员工工单查询：条件放在请求体中（电话号码不出现在网址与访问日志里），游标分页",
        request=SearchSerializer,
        responses={200: SearchPageSerializer, **errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        _require_list_permission(request.user)
        filters = SearchSerializer(data=request.data)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        now = timezone.now()
        if "q" in f:
            # The search box's term (issue 20 §4): ranked, so paged by position, not deadline.
            rows, next_cursor = search_page(_filtered(request.user, f, now=now), f, now=now)
        else:
            rows, next_cursor = _list_page(request.user, f, now=now)
        perms = user_perms(request.user)
        results = [presenters.list_row(c, request.user, now=now, perms=perms) for c in rows]
        return _out(SearchPageSerializer, {"next_cursor": next_cursor, "results": results})


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
            complaint=complaint,
            by=by,
            upload=serializer.validated_data["file"],
            client=_ident(request),  # the customers' daily quota per address
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
        summary="客户评价处理结果（仅限客户本人；回访中或闭环7日内可修改；≤2分视为不满意并重新处理）",
        parameters=[ACCESS_CODE],
        request=RatingSerializer,
        responses={200: COMPLAINT_RESPONSE, **errors(400, 401, 403, 404, 409, 415, 429)},
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request, ticket_no: str):
        # The rating is the customer's own (issue 19 §5): a staff token or session without the
        # customer's code is refused before anything is read, whatever the ticket or body.
        if request.headers.get("X-Access-Code") is None and _is_staff_request(request):
            raise NotAllowed(_("满意度评价只能由客户本人提交。"))
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


class DutyView(APIView):
    """POST: branch staff switch themselves on or off duty (issue 20 §2)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]

    @extend_schema(
        operation_id="staff_duty",
        summary="网点人员切换本人在岗状态（不在岗时不参与自动分配）",
        request=DutySerializer,
        responses={200: DutyAnswerSerializer, **errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        serializer = DutySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.staff_set_on_duty(
            person=request.user, on_duty=serializer.validated_data["on_duty"], by=request.user
        )
        body = {
            "username": request.user.get_username(),
            "unit": profile.unit.code,
            "on_duty": profile.on_duty,
        }
        return _out(DutyAnswerSerializer, body)
