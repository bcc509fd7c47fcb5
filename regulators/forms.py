"""The appeal registration form of the supervisors' pages. It parses what a browser sends; the
service (regulators.services.appeal_register, as for the API) validates and decides."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from complaints.attachments import MAX_PER_COMPLAINT, read_upload, sniff
from complaints.models import Category, Party
from kernel.errors import DomainError

from .models import Province


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class AppealForm(forms.Form):
    case_no = forms.CharField(label=_("申诉案件编号"), max_length=40)
    # As the API: the regulator's 30 days (邮政法 art. 65) count from its own receipt, the
    # company's report days from ours.
    regulator_received_on = forms.DateField(
        label=_("监管部门收到申诉日期"),
        help_text=_("转办通知所载；监管部门答复用户的30日自此起算。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    received_at = forms.DateTimeField(
        label=_("我司收到转办时间"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    province = forms.ChoiceField(
        label=_("转办省份"), choices=[("", _("请选择省份")), *Province.choices]
    )
    ticket_no = forms.CharField(
        label=_("原投诉工单号"),
        max_length=24,
        required=False,
        help_text=_("知道所涉投诉时填写；不填则按运单号、再按申诉人电话查找。"),
    )
    tracking_no = forms.CharField(label=_("运单号"), max_length=40, required=False)
    appellant_name = forms.CharField(label=_("申诉人姓名"), max_length=50)
    appellant_phone = forms.CharField(
        label=_("申诉人电话"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    facts = forms.CharField(
        label=_("申诉事实"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    request = forms.CharField(
        label=_("申诉请求"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    category = forms.ChoiceField(
        label=_("投诉类别（新建工单时使用）"), choices=Category.choices, initial=Category.OTHER
    )
    party = forms.ChoiceField(label=_("申诉人身份"), choices=Party.choices, initial=Party.SENDER)
    report_days = forms.IntegerField(
        label=_("企业报告期限（日）"),
        required=False,
        min_value=1,
        max_value=60,
    )
    documents = MultipleFileField(
        label=_("转办材料（图片或PDF，可多选）"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report_days"].help_text = _("不填按默认期限（%(n)s日）。") % {
            "n": settings.REGULATORS["COMPANY_REPORT_DAYS"]
        }
        self._style()

    def full_clean(self):
        super().full_clean()
        self._style()

    def _style(self) -> None:
        """Bootstrap's classes, and the fields with errors marked invalid."""
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if self._errors and name in self._errors:
                css += " is-invalid"
            field.widget.attrs["class"] = css

    def clean_documents(self):
        """Refuse what the evidence rules would refuse, before anything is stored."""
        documents = self.cleaned_data["documents"]
        if len(documents) > MAX_PER_COMPLAINT:
            raise forms.ValidationError(_("转办材料最多%(n)s个。") % {"n": MAX_PER_COMPLAINT})
        for upload in documents:
            try:
                kind = sniff(read_upload(upload))
            except DomainError as exc:
                raise forms.ValidationError(f"{upload.name}：{exc.message}") from exc
            upload.seek(0)
            if kind is None:
                raise forms.ValidationError(
                    _("%(name)s：只接受JPEG、PNG、WebP图片或PDF文件。") % {"name": upload.name}
                )
        return documents

    def add_service_error(self, exc: DomainError) -> None:
        """Show the service's refusal: each message by its field, the summary on top."""
        self.add_error(None, exc.message)
        for field, message in exc.field_errors.items():
            self.add_error(field if field in self.fields else None, message)
        self._style()
