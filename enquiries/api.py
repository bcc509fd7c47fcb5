"""REST API of enquiries: customers and partners submit (/api/v1/enquiries/), staff resolve and
convert. Submission has the complaint submission's idempotency (Idempotency-Key) and throttles.
Thin: validate → service → serialize; errors in the one shape of kernel.api_errors.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.api import idempotency
from complaints.api.parsers import SafeJSONParser
from complaints.api.throttling import AnonymousSubmitThrottle, PartnerThrottle
from complaints.api.views import IDEMPOTENCY_KEY, errors
from complaints.models import Category, Complaint, Party
from kernel.client_address import client_address
from kernel.errors import NotAllowed

from . import services
from .models import Enquiry, EnquiryChannel, EnquiryKey


def _limit(name: str) -> int:
    """The Complaint field's length: an enquiry may become one, checked by its rules."""
    return Complaint._meta.get_field(name).max_length


class EnquirySubmitSerializer(serializers.Serializer):
    tracking_no = serializers.CharField(max_length=_limit("tracking_no"), help_text="运单号")
    phone = serializers.CharField(max_length=_limit("phone"), help_text="手机号或带区号的固定电话")
    question = serializers.CharField(max_length=_limit("description"), help_text="客户问题")
    name = serializers.CharField(
        max_length=_limit("complainant_name"), required=False, allow_blank=True, default=""
    )
    party = serializers.ChoiceField(choices=Party.choices, required=False, default="recipient")
    category = serializers.ChoiceField(
        choices=Category.choices, required=False, default="delay", help_text="转投诉时的类别"
    )
    wants_complaint = serializers.BooleanField(
        required=False, default=False, help_text="客户要求投诉：立即转为投诉"
    )


class LinkedComplaintSerializer(serializers.Serializer):
    ticket_no = serializers.CharField()
    access_code = serializers.CharField(
        required=False, help_text="仅在本次请求转为投诉时返回（客户凭此查询投诉）"
    )


class EnquirySerializer(serializers.Serializer):
    """The answer: the enquiry, and the complaint it became, if it did."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["open", "resolved", "converted"])
    tracking_no = serializers.CharField()
    first_contact_at = serializers.DateTimeField()
    resolve_due = serializers.DateTimeField(help_text="届时仍未解决则自动转为投诉")
    contact_count = serializers.IntegerField()
    conversion_reason = serializers.ChoiceField(
        choices=["timeout", "second_contact", "customer_request"], allow_null=True
    )
    complaint = LinkedComplaintSerializer(allow_null=True)


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def present(enquiry: Enquiry, access_code: str = "") -> dict:
    complaint = None
    if enquiry.complaint_id:
        complaint = {"ticket_no": enquiry.complaint.ticket_no}
        if access_code:
            complaint["access_code"] = access_code
    return {
        "id": enquiry.pk,
        "status": enquiry.status,
        "tracking_no": enquiry.tracking_no,
        "first_contact_at": _iso(enquiry.first_contact_at),
        "resolve_due": _iso(enquiry.resolve_due),
        "contact_count": enquiry.contact_count,
        "conversion_reason": enquiry.conversion_reason or None,
        "complaint": complaint,
    }


class EnquiriesView(APIView):
    """POST: a customer's (or a partner's) enquiry about a waybill."""

    parser_classes = [SafeJSONParser, FormParser]
    permission_classes = [AllowAny]

    def get_throttles(self):
        return [AnonymousSubmitThrottle(), PartnerThrottle()]

    @extend_schema(
        operation_id="enquiry_submit",
        summary="提交查件/咨询（未解决时自动转为投诉）",
        request=EnquirySubmitSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: EnquirySerializer, **errors(400, 401, 413, 415, 422, 429)},
        auth=[{"tokenAuth": []}, {}],
    )
    def post(self, request):
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        serializer = EnquirySubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = services.NewEnquiry(**serializer.validated_data, channel=EnquiryChannel.API)
        user = request.user
        by = user if user.is_authenticated else services.CUSTOMER

        def record() -> tuple[Enquiry, str]:
            outcome = services.enquiry_record(data=data, by=by)
            return outcome.enquiry, outcome.access_code

        outcome = idempotency.submit_once(
            client=idempotency.client_identity(request, client_address(request)),
            key=key,
            body_hash=idempotency.request_hash(request.data) if key else "",
            create=record,
            keys=EnquiryKey,
            target="enquiry",
            reused_message=_("该 Idempotency-Key 已用于另一份不同内容的查件，请换一个新的键。"),
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        body = present(outcome.record, outcome.access_code)
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class StaffEnquiryView(APIView):
    permission_classes = [IsAuthenticated]

    def enquiry(self, request, pk: int) -> Enquiry:
        if not request.user.has_perm("enquiries.change_enquiry"):
            raise NotAllowed(_("您没有权限处理查件咨询。"))
        return get_object_or_404(Enquiry, pk=pk)


class ResolveView(StaffEnquiryView):
    @extend_schema(
        operation_id="enquiry_resolve",
        summary="标记查件咨询已解决",
        request=None,
        responses={200: EnquirySerializer, **errors(401, 403, 404, 409, 429)},
    )
    def post(self, request, pk: int):
        answer = request.data.get("answer", "") if hasattr(request.data, "get") else ""
        enquiry = services.enquiry_resolve(
            enquiry=self.enquiry(request, pk), by=request.user, answer=str(answer)
        )
        return Response(present(enquiry))


class ConvertView(StaffEnquiryView):
    @extend_schema(
        operation_id="enquiry_convert",
        summary="客户要求投诉：转为投诉",
        request=None,
        responses={200: EnquirySerializer, **errors(401, 403, 404, 409, 429)},
    )
    def post(self, request, pk: int):
        enquiry, code = services.enquiry_convert(enquiry=self.enquiry(request, pk), by=request.user)
        return Response(present(enquiry, code))
