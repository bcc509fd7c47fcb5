"""The journey's API: the TMS's signed push, and a complaint's journey for its customer or staff.

See docs/tracking.md, "Two transports, one store" and "The journey on the pages and in the API".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import services
from complaints.api.serializers import ErrorSerializer
from complaints.api.views import ACCESS_CODE, CustomerOrStaffMixin, errors
from kernel.errors import DomainError, InvalidInput

from . import ingest, journey, signing
from .models import PullJob, Source, Waybill

log = logging.getLogger(__name__)


class SignatureRefused(DomainError):
    """The push is not signed by the TMS, or not within the window: 401, nothing stored."""

    status_code = 401
    code = "bad_signature"


REFUSALS = {
    signing.MISSING: _lazy("缺少 X-TMS-Timestamp 或 X-TMS-Signature 请求头，已拒绝。"),
    signing.MALFORMED_TIMESTAMP: _lazy("X-TMS-Timestamp 必须是Unix时间戳（秒），已拒绝。"),
    signing.STALE: _lazy("请求时间戳超出允许范围（重放或时钟偏差过大），已拒绝。"),
    signing.BAD_SIGNATURE: _lazy("签名无效，已拒绝。"),
}


def push_secrets() -> list[str]:
    """The secrets a push may be signed with; by default one derived from SECRET_KEY, which the
    demo TMS (same settings) shares."""
    configured = [s for s in settings.TRACKING["PUSH_SECRETS"] if s]
    if configured:
        return configured
    derived = hmac.new(settings.SECRET_KEY.encode(), b"tracking-push", hashlib.sha256)
    return [derived.hexdigest()]


class PushResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="本批事件数")
    stored = serializers.IntegerField(help_text="新保存的事件数")
    duplicates = serializers.IntegerField(help_text="此前已收到（按事件编号去重）")
    expired = serializers.IntegerField(help_text="早于保留期限、未保存的事件数")


class ScanSerializer(serializers.Serializer):
    time = serializers.DateTimeField(help_text="扫描时间（北京时间，ISO 8601）")
    type = serializers.CharField(
        help_text="扫描类型：collect/depart/arrive/deliver/sign/refuse/problem/other"
    )
    type_label = serializers.CharField(help_text="扫描类型（中文）")
    unit_name = serializers.CharField(help_text="扫描单位")
    text = serializers.CharField(help_text="说明（客户所见已隐去操作员姓名与电话）")
    code = serializers.CharField(required=False, help_text="仅员工：TMS原始类型编码")
    unit_code = serializers.CharField(required=False, help_text="仅员工：单位编码")
    operator = serializers.CharField(required=False, help_text="仅员工：操作人")
    key = serializers.CharField(required=False, help_text="仅员工：事件编号")


class FactSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="suspected_false_sign / stuck / late / last_holder")
    text = serializers.CharField()
    unit_code = serializers.CharField()
    scans = ScanSerializer(many=True, help_text="该事实所依据的扫描")


class JourneySerializer(serializers.Serializer):
    waybill = serializers.CharField()
    status = serializers.ChoiceField(choices=["available", "pending"])
    events = ScanSerializer(many=True)
    message = serializers.CharField(required=False, help_text="轨迹暂未获取时的说明")
    facts = FactSerializer(many=True, required=False, help_text="仅员工")
    pull_pending = serializers.BooleanField(required=False, help_text="仅员工：正在向TMS拉取")


SIGNATURE_REFUSED = OpenApiResponse(
    ErrorSerializer, description="签名无效、缺失或时间戳过期（重放）"
)


class PushView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="tracking_events_push",
        summary="TMS推送轨迹事件（HMAC-SHA256签名）",
        description=(
            "请求头 X-TMS-Timestamp（Unix秒）与 X-TMS-Signature = sha256=HMAC-SHA256(密钥, "
            "“时间戳.请求体”)。时间戳与服务器时间相差超过5分钟即拒绝（401）。请求体："
            '{"events": [{"id", "waybill", "time", "type", "unit_code", "unit_name", '
            '"operator", "text"}], "waybills": [{"waybill", "promised_at", "service"}]}；'
            "同一事件编号重复推送不会重复保存。"
        ),
        request={"application/json": {"type": "object"}},
        responses={
            200: PushResultSerializer,
            401: OpenApiResponse(description="签名无效或过期"),
            **errors(400, 413),
        },
        auth=[],
    )
    def post(self, request):
        body = request.body  # the raw bytes the signature covers, read before any parsing
        refusal = signing.refusal(
            secrets=push_secrets(),
            timestamp=request.headers.get("X-TMS-Timestamp"),
            signature=request.headers.get("X-TMS-Signature"),
            body=body,
            now=time.time(),
            max_skew=float(settings.TRACKING["PUSH_MAX_SKEW_SECONDS"]),
        )
        if refusal is not None:
            log.warning("tracking push refused: %s", refusal)
            raise SignatureRefused(str(REFUSALS[refusal]))
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidInput(_("请求内容不是有效的UTF-8 JSON。")) from exc
        now = timezone.now()
        batch = ingest.parse(payload, now=now)
        stored = ingest.store(batch, source=Source.PUSH, now=now)
        journey.evaluate_waybills(stored.waybills, now=now)
        return Response(stored.as_json())


class JourneyView(CustomerOrStaffMixin, APIView):
    @extend_schema(
        operation_id="complaint_journey",
        summary="运单轨迹（客户凭查询码，员工凭令牌）",
        description="按时间先后列出运单的扫描记录。客户看到的记录不含操作员姓名，说明中的电话已遮盖；"
        "员工另见单位编码、操作员与轨迹事实。status 为 pending 表示轨迹暂未获取。",
        parameters=[ACCESS_CODE],
        responses={200: JourneySerializer, **errors(401, 403, 404, 429, 503)},
        auth=[{"tokenAuth": []}, {}],
    )
    def get(self, request, ticket_no: str):
        complaint, by = self.resolve(request, ticket_no)
        scans = journey.scans_of(complaint.tracking_no)
        customer = by == services.CUSTOMER
        body = {
            "waybill": complaint.tracking_no,
            "status": "available" if scans else "pending",
            "events": [journey.scan_json(s, for_customer=customer) for s in scans],
        }
        if not scans:
            body["message"] = _("轨迹暂未获取，请稍后再查。")
        if not customer:
            waybill = Waybill.objects.filter(pk=complaint.tracking_no).first()
            facts = journey.current_facts(complaint, scans, waybill)
            body["facts"] = [
                {
                    "kind": f.kind,
                    "text": journey.fact_text(f),
                    "unit_code": f.unit_code,
                    "scans": [journey.scan_json(s) for s in f.scans],
                }
                for f in facts
            ]
            body["pull_pending"] = PullJob.objects.filter(
                waybill=complaint.tracking_no,
                status__in=[PullJob.Status.PENDING, PullJob.Status.RUNNING],
            ).exists()
        return Response(body)
