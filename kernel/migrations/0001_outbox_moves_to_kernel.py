"""The outbox models, moved here from the escalation app with their tables (state only)."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import kernel.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables were created by the escalation app; they are only taken over here.
        ("escalation", "0005_outbox_moves_to_kernel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WebhookEndpoint",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("url", models.URLField(max_length=300, verbose_name="回调地址")),
                        (
                            "secret",
                            models.CharField(
                                help_text="X-Signature = sha256=HMAC-SHA256(密钥, 请求体)",
                                max_length=128,
                                verbose_name="签名密钥",
                            ),
                        ),
                        (
                            "events",
                            models.JSONField(
                                default=kernel.models.default_webhook_events,
                                help_text="可选：complaint.accepted、complaint.answered、complaint.closed",
                                verbose_name="订阅事件",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="启用")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "partner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="webhook_endpoints",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="合作方账号",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "合作方回调",
                        "verbose_name_plural": "合作方回调",
                        "db_table": "escalation_webhookendpoint",
                        "ordering": ["partner", "url"],
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("topic", models.CharField(max_length=80, verbose_name="事件")),
                        ("template", models.CharField(max_length=40, verbose_name="消息模板")),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("sms", "短信"),
                                    ("email", "邮件"),
                                    ("in_app", "站内通知"),
                                    ("webhook", "合作方回调"),
                                ],
                                max_length=16,
                                verbose_name="渠道",
                            ),
                        ),
                        ("recipient_key", models.CharField(max_length=40, verbose_name="接收方")),
                        (
                            "complaint_id",
                            models.BigIntegerField(
                                blank=True, db_index=True, null=True, verbose_name="工单"
                            ),
                        ),
                        (
                            "event_id",
                            models.BigIntegerField(
                                blank=True, db_index=True, null=True, verbose_name="时限事件"
                            ),
                        ),
                        ("context", models.JSONField(default=dict, verbose_name="消息数据")),
                        (
                            "delivery_id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                unique=True,
                                verbose_name="投递编号",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "待发送"),
                                    ("sending", "发送中"),
                                    ("sent", "已发送"),
                                    ("failed", "发送失败（已停止重试）"),
                                    ("skipped", "无需发送"),
                                ],
                                default="pending",
                                max_length=16,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数"),
                        ),
                        ("next_attempt_at", models.DateTimeField(verbose_name="下次尝试")),
                        (
                            "locked_until",
                            models.DateTimeField(blank=True, null=True, verbose_name="发送锁定至"),
                        ),
                        ("last_error", models.TextField(blank=True, verbose_name="最近错误")),
                        ("created_at", models.DateTimeField(verbose_name="创建时间")),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="发送时间"),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="接收员工",
                            ),
                        ),
                        (
                            "endpoint",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="deliveries",
                                to="kernel.webhookendpoint",
                                verbose_name="回调地址",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "通知发件箱",
                        "verbose_name_plural": "通知发件箱",
                        "db_table": "escalation_notification",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Notice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "complaint_id",
                            models.BigIntegerField(
                                blank=True, db_index=True, null=True, verbose_name="工单"
                            ),
                        ),
                        (
                            "level",
                            models.CharField(default="info", max_length=16, verbose_name="级别"),
                        ),
                        ("title", models.CharField(max_length=120, verbose_name="标题")),
                        ("body", models.TextField(verbose_name="内容")),
                        ("created_at", models.DateTimeField(verbose_name="时间")),
                        (
                            "read_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="已读时间"),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="notices",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="员工",
                            ),
                        ),
                        (
                            "notification",
                            models.OneToOneField(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="notice",
                                to="kernel.notification",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "站内通知",
                        "verbose_name_plural": "站内通知",
                        "db_table": "escalation_notice",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["user", "read_at", "created_at"], name="notice_inbox"
                            )
                        ],
                    },
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(
                        condition=models.Q(("status__in", ["pending", "sending"])),
                        fields=["next_attempt_at"],
                        name="notification_unsent",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="notification",
                    constraint=models.UniqueConstraint(
                        fields=("topic", "recipient_key", "channel"), name="notification_once"
                    ),
                ),
            ],
        ),
    ]
