"""Forms of the staff console. They render and pre-check; the services decide and validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Category,
    Channel,
    Complaint,
    ContactMethod,
    Demand,
    FollowUpOutcome,
    Party,
    Priority,
    Service,
    Unit,
)

_TEXTAREA = {"rows": 3, "class": "form-control"}


def _bootstrap(form: forms.Form) -> None:
    """Give every widget Bootstrap's classes, and mark the fields with errors as invalid."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        # _errors, not errors: reading .errors would validate now, before subclasses set choices.
        if form._errors and name in form._errors:
            css += " is-invalid"
        widget.attrs["class"] = css


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def full_clean(self):
        super().full_clean()
        _bootstrap(self)

    def add_error(self, field, error):
        super().add_error(field if field in self.fields else None, error)
        _bootstrap(self)


class IntakeForm(StyledForm):
    """A phone complaint, in the order the agent hears it: waybill first."""

    # A barcode scanner types the waybill and presses Enter: console.js moves on instead.
    tracking_no = forms.CharField(
        label=_("运单号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-enter": "next"}),
    )
    phone = forms.CharField(
        label=_("来电号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "data-enter": "next"}),
    )
    complainant_name = forms.CharField(label=_("投诉人姓名"), max_length=50)
    party = forms.ChoiceField(label=_("投诉人身份"), choices=Party.choices)
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.COUNTER, Channel.COUNTER.label)],
        initial=Channel.PHONE,
    )
    category = forms.ChoiceField(label=_("投诉类别"), choices=Category.choices)
    description = forms.CharField(
        label=_("投诉内容"), max_length=5000, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    demand = forms.ChoiceField(
        label=_("诉求"), choices=[("", _("（未提出）")), *Demand.choices], required=False
    )
    demand_detail = forms.CharField(
        label=_("诉求说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    key_account = forms.BooleanField(label=_("大客户/敏感客户"), required=False)
    urgent_contents = forms.BooleanField(label=_("证照或贵重物品"), required=False)
    service = forms.ChoiceField(label=_("业务类型"), choices=Service.choices, initial="express")
    insured = forms.BooleanField(label=_("保价"), required=False)
    insured_amount = forms.DecimalField(
        label=_("保价金额（元）"), required=False, min_value=0, decimal_places=2
    )
    declared_value = forms.DecimalField(
        label=_("申报价值（元）"), required=False, min_value=0, decimal_places=2
    )
    freight = forms.DecimalField(
        label=_("资费（元）"), required=False, min_value=0, decimal_places=2
    )


def _unit_choices():
    """The units a complaint goes to — the branches — grouped under their region."""
    groups: dict[str, list] = {}
    branches = (
        Unit.objects.filter(is_active=True, kind=Unit.Kind.BRANCH)
        .select_related("parent")
        .order_by("parent__code", "code")
        .only("pk", "name", "code", "parent__name", "parent__code")
    )
    for unit in branches:
        region = unit.parent.name if unit.parent_id else ""
        groups.setdefault(region, []).append((unit.pk, str(unit)))
    return list(groups.items())


class DispatchForm(StyledForm):
    unit = forms.TypedChoiceField(label=_("责任单位"), coerce=int)
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)
    suggestion = None  # the earlier complaint whose unit is preselected (suggest_for)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("请选择单位")), *_unit_choices()]

    def suggest_for(self, complaint) -> None:
        """Preselect the branch that handled the latest earlier complaint on the same waybill."""
        earlier = (
            Complaint.objects.same_waybill(complaint.tracking_no)
            .filter(accepted_at__lt=complaint.accepted_at)
            .filter(unit__kind=Unit.Kind.BRANCH, unit__is_active=True)
            .select_related("unit")
            .first()
        )
        if earlier is not None:
            self.suggestion = earlier
            self.initial["unit"] = earlier.unit_id


class ReassignForm(DispatchForm):
    reason = forms.CharField(label=_("改派原因"), max_length=500)


class AssignForm(StyledForm):
    """指派处理人: a staff member of the complaint's unit, or nobody (issue 20 §2)."""

    # Any value: the service refuses one who is not active branch staff of the unit.
    handler = forms.CharField(label=_("处理人"), required=False, widget=forms.Select)
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)

    def for_complaint(self, complaint) -> None:
        """Offer the unit's active branch staff, with the current handler preselected."""
        from complaints.models import Role, StaffProfile

        people = StaffProfile.objects.filter(
            role=Role.BRANCH, unit_id=complaint.unit_id, user__is_active=True
        ).values_list("user_id", "user__username", "user__first_name", "user__last_name", "on_duty")
        choices = [("", _("（不指定处理人）"))]
        for user_id, username, first, last, on_duty in people.order_by("user__username"):
            name = f"{first} {last}".strip() or username  # as User.get_full_name()
            choices.append((str(user_id), name if on_duty else f"{name}（{_('不在岗')}）"))
        self.fields["handler"].widget.choices = choices
        if not self.is_bound:
            self.initial["handler"] = str(complaint.handler_id or "")


class ContactForm(StyledForm):
    method = forms.ChoiceField(label=_("方式"), choices=ContactMethod.choices)
    reached = forms.BooleanField(label=_("已联系上客户"), required=False, initial=True)
    summary = forms.CharField(
        label=_("联系内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("原因"), max_length=500)


class OptionalReasonForm(StyledForm):
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)


class ReplyForm(StyledForm):
    """The three 回复要素 (seed 001 §(五)1), plus the findings that decide 有理由投诉."""

    basic_facts = forms.CharField(
        label=_("基本情况"),
        help_text=_("事实经过：收寄/封发/投递时间、邮件状态、签收人等。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    handling = forms.CharField(
        label=_("处理经过"),
        help_text=_("由谁、何时、以何种方式联系客户，采取了哪些措施。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    result = forms.CharField(
        label=_("处理结果"),
        help_text=_("问题是否已解决，客户是否认可。"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    customer_accepts = forms.NullBooleanField(
        label=_("客户是否认可"),
        required=False,
        widget=forms.Select(choices=[("", _("未知")), ("true", _("认可")), ("false", _("不认可"))]),
    )
    facts_confirmed = forms.BooleanField(label=_("投诉属实"), required=False)
    our_fault = forms.BooleanField(label=_("属我方责任"), required=False)
    # Branch staff reply from the floor: the phone's camera opens straight away (`capture`).
    file = forms.FileField(
        label=_("现场照片（可直接拍照）"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class FollowUpForm(StyledForm):
    outcome = forms.ChoiceField(
        label=_("回访结果"), choices=FollowUpOutcome.choices, widget=forms.RadioSelect
    )
    customer_words = forms.CharField(
        label=_("客户意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reply_truthful = forms.NullBooleanField(
        label=_("答复是否属实"),
        required=False,
        widget=forms.Select(
            choices=[("", _("未核对")), ("true", _("属实")), ("false", _("不属实"))]
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"

    def full_clean(self):
        super().full_clean()
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"


class RejectForm(StyledForm):
    reason = forms.CharField(label=_("不予受理原因"), max_length=500)
    merged_into = forms.CharField(
        label=_("合并至工单号（重复投诉时填写）"), max_length=24, required=False
    )


class PriorityForm(StyledForm):
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices)
    reason = forms.CharField(label=_("调整原因"), max_length=500)


class CategoryForm(StyledForm):
    category = forms.ChoiceField(label=_("投诉类别"), choices=Category.choices)
    reason = forms.CharField(label=_("调整原因"), max_length=500)


class JustifiedForm(StyledForm):
    facts_confirmed = forms.BooleanField(label=_("投诉属实"), required=False)
    our_fault = forms.BooleanField(label=_("属我方责任"), required=False)
    obstructed = forms.BooleanField(label=_("不配合或处理不力导致升级"), required=False)
    reason = forms.CharField(label=_("判定依据"), max_length=500)


class NoteForm(StyledForm):
    text = forms.CharField(
        label=_("内部备注（客户不可见）"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChaseForm(StyledForm):
    note = forms.CharField(label=_("催促内容"), max_length=500, required=False)


class EvidenceForm(StyledForm):
    file = forms.FileField(
        label=_("证据文件（图片或PDF，≤10MB）"),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )
