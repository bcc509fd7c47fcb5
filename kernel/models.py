"""The notification outbox: messages to customers, staff and partners, and staff notices.

Every app queues messages here in the transaction of what caused them (one row per event ×
recipient × channel); kernel.outbox delivers them with retries. The tables were created by
the escalation app and kept their names when the models moved here.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("邮件")
    IN_APP = "in_app", _("站内通知")
    WEBHOOK = "webhook", _("合作方回调")


class Notification(models.Model):
    """The outbox: one message to one recipient on one channel, written with its event.

    `topic` names the event ("sla:<event id>", "complaint:<audit id>:reply"); together with the
    recipient and channel it is unique, so a message is never queued twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败（已停止重试）")
        SKIPPED = "skipped", _("无需发送")

    topic = models.CharField(_("事件"), max_length=80)
    template = models.CharField(_("消息模板"), max_length=40)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    recipient_key = models.CharField(_("接收方"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    endpoint = models.ForeignKey(
        "kernel.WebhookEndpoint",
        verbose_name=_("回调地址"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    # What the message is about (a complaint's id): apps register how to load it (SUBJECTS).
    complaint_id = models.BigIntegerField(_("工单"), null=True, blank=True, db_index=True)
    # The SLA event that caused it, if any (its id; the event's own app owns the table).
    event_id = models.BigIntegerField(_("时限事件"), null=True, blank=True, db_index=True)
    context = models.JSONField(_("消息数据"), default=dict)
    delivery_id = models.UUIDField(_("投递编号"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    locked_until = models.DateTimeField(_("发送锁定至"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        db_table = "escalation_notification"  # kept from the escalation app
        verbose_name = _("通知发件箱")
        verbose_name_plural = _("通知发件箱")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "recipient_key", "channel"], name="notification_once"
            )
        ]
        indexes = [
            # The catch-up: unsent messages by when they are due.
            models.Index(
                fields=["next_attempt_at"],
                name="notification_unsent",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.template} → {self.recipient_key}"


class Notice(models.Model):
    """An in-app notice for a staff member (shown on their pages until read)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.PROTECT, related_name="notice", null=True
    )
    complaint_id = models.BigIntegerField(_("工单"), null=True, blank=True, db_index=True)
    level = models.CharField(_("级别"), max_length=16, default="info")
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        db_table = "escalation_notice"  # kept from the escalation app
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notice_inbox")]

    def __str__(self) -> str:
        return self.title


WEBHOOK_EVENTS = ("complaint.accepted", "complaint.answered", "complaint.closed")


def default_webhook_events() -> list[str]:
    return list(WEBHOOK_EVENTS)


class WebhookEndpoint(models.Model):
    """Where a partner wants to hear about the complaints it submitted (signed with HMAC)."""

    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("合作方账号"),
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("回调地址"), max_length=300)
    secret = models.CharField(
        _("签名密钥"), max_length=128, help_text=_("X-Signature = sha256=HMAC-SHA256(密钥, 请求体)")
    )
    events = models.JSONField(
        _("订阅事件"),
        default=default_webhook_events,
        help_text=_("可选：complaint.accepted、complaint.answered、complaint.closed"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        db_table = "escalation_webhookendpoint"  # kept from the escalation app
        verbose_name = _("合作方回调")
        verbose_name_plural = _("合作方回调")
        ordering = ["partner", "url"]

    def __str__(self) -> str:
        return self.url

    @classmethod
    def active_by_partner(cls) -> dict[int, tuple[tuple[int, frozenset[str]], ...]]:
        """{partner id: ((endpoint id, its events), …)} of the active endpoints (reference data)."""
        found: dict[int, list[tuple[int, frozenset[str]]]] = {}
        for pk, partner_id, events in cls.objects.filter(is_active=True).values_list(
            "pk", "partner_id", "events"
        ):
            found.setdefault(partner_id, []).append((pk, frozenset(events or ())))
        return {partner: tuple(rows) for partner, rows in found.items()}

    def clean(self) -> None:
        events = self.events if isinstance(self.events, list) else None
        if not events or any(e not in WEBHOOK_EVENTS for e in events):
            raise ValidationError(
                {"events": _("订阅事件须为以下之一或多个：") + "、".join(WEBHOOK_EVENTS)}
            )
        if self.url and not self.url.startswith(("https://", "http://")):
            raise ValidationError({"url": _("回调地址必须以 http:// 或 https:// 开头。")})
