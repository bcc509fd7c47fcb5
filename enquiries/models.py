"""Enquiries (查件/咨询): a question answered, kept apart from complaints (issue 23).

An enquiry counts in no 受理量 and runs no SLA, ruling or fine. When it goes unresolved it
becomes a linked complaint; the link lives here (Enquiry.complaint), so the complaint model
does not change, and the enquiry keeps the first contact time for reporting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, NoDeleteModel, Party

from .conversion import Reason


class EnquiryStatus(models.TextChoices):
    OPEN = "open", _("待解决")
    RESOLVED = "resolved", _("已解决")
    CONVERTED = "converted", _("已转投诉")


class ConversionReason(models.TextChoices):
    TIMEOUT = Reason.TIMEOUT.value, _("超时未解决")
    SECOND_CONTACT = Reason.SECOND_CONTACT.value, _("同一运单再次来电")
    CUSTOMER_REQUEST = Reason.CUSTOMER_REQUEST.value, _("客户要求投诉")


class EnquiryChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    API = "api", _("接口")
    WEB = "web", _("网站")
    COUNTER = "counter", _("柜台")


class Enquiry(NoDeleteModel):
    tracking_no = models.CharField(_("运单号"), max_length=40)
    phone = models.CharField(_("联系电话"), max_length=20)
    name = models.CharField(_("客户称呼"), max_length=50, blank=True)
    party = models.CharField(
        _("客户身份"), max_length=16, choices=Party.choices, default=Party.RECIPIENT
    )
    category = models.CharField(
        _("转投诉时的类别"),
        max_length=16,
        choices=Category.choices,
        default=Category.DELAY,
        help_text=_("查件多为快件未到，转为投诉时按此类别受理"),
    )
    question = models.TextField(_("客户问题"))
    answer = models.TextField(_("答复内容"), blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=EnquiryChannel.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=EnquiryStatus.choices, default=EnquiryStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_contact_at = models.DateTimeField(_("首次联系时间"), db_index=True)
    last_contact_at = models.DateTimeField(_("最近联系时间"))
    contact_count = models.PositiveIntegerField(_("联系次数"), default=1)
    resolve_due = models.DateTimeField(_("解决时限"))
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    converted_at = models.DateTimeField(_("转投诉时间"), null=True, blank=True)
    conversion_reason = models.CharField(
        _("转投诉原因"), max_length=20, choices=ConversionReason.choices, blank=True
    )
    complaint = models.OneToOneField(
        Complaint,
        verbose_name=_("转成的投诉"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enquiry",
    )

    class Meta:
        verbose_name = _("查件咨询")
        verbose_name_plural = _("查件咨询")
        ordering = ["-first_contact_at", "-id"]
        indexes = [
            # The conversion sweep: open enquiries by due time.
            models.Index(
                fields=["resolve_due"], name="enquiry_open_due", condition=models.Q(status="open")
            ),
            # The second contact: the same customer about the same waybill.
            models.Index(fields=["tracking_no", "phone", "-last_contact_at"], name="enquiry_who"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="converted") | models.Q(complaint__isnull=False),
                name="converted_enquiry_has_complaint",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tracking_no} {self.get_status_display()}"


class EnquiryContact(NoDeleteModel):
    """One contact of the customer: the enquiry's history, carried into the complaint."""

    enquiry = models.ForeignKey(
        Enquiry, verbose_name=_("查件咨询"), on_delete=models.PROTECT, related_name="contacts"
    )
    at = models.DateTimeField(_("时间"))
    channel = models.CharField(_("渠道"), max_length=16, choices=EnquiryChannel.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    question = models.TextField(_("客户问题"))
    answer = models.TextField(_("答复内容"), blank=True)

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["enquiry", "at"], name="enquiry_contact_at")]

    def __str__(self) -> str:
        return f"{self.enquiry_id} {self.at:%Y-%m-%d %H:%M}"


class EnquiryKey(models.Model):
    """An Idempotency-Key of an enquiry submitted over the API (kept 24 h like complaints')."""

    client = models.CharField(max_length=80)
    key_hash = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    enquiry = models.ForeignKey(Enquiry, null=True, on_delete=models.PROTECT, related_name="+")
    # The access code of the complaint this request converted the enquiry to, sealed with the
    # key (complaints.api.idempotency.seal): a replay answers the same code, nothing stores it.
    sealed_access_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key_hash"], name="one_enquiry_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.created_at:%Y-%m-%d %H:%M}"
