"""Forms of the staff console. They render and pre-check; the services decide and validate."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Channel,
    Complaint,
    Demand,
    FollowUpOutcome,
    Unit,
)
from complaints.services.intake import INPUT_FIELDS

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


def _intake_fields() -> dict[str, forms.Field]:
    """The console's intake fields, built once from the Complaint model's fields (their rules)
    in the order the agent hears them: waybill first. The unit is chosen later, at dispatch."""
    built = fields_for_model(
        Complaint,
        fields=[n for n in INPUT_FIELDS if n != "is_external"],
        labels={"phone": _("来电号码")},
        help_texts={"phone": ""},
        widgets={
            # A barcode scanner types the waybill and presses Enter: console.js moves on.
            "tracking_no": forms.TextInput(attrs={"autocomplete": "off", "data-enter": "next"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "data-enter": "next"}),
            "description": forms.Textarea(attrs=_TEXTAREA),
            "demand_detail": forms.Textarea(attrs={"rows": 2}),
        },
    )
    built["channel"].choices = [
        (Channel.PHONE, Channel.PHONE.label),
        (Channel.COUNTER, Channel.COUNTER.label),
    ]
    built["channel"].initial = Channel.PHONE
    built["demand"].choices = [("", _("（未提出）")), *Demand.choices]
    for field in built.values():
        if isinstance(field, forms.ChoiceField) and field.required:
            field.choices = [c for c in field.choices if c[0] != ""]  # no "---------"
        if isinstance(field, forms.DecimalField):
            field.label = format_lazy("{}（元）", field.label)
    return built


IntakeForm = type(
    "IntakeForm",
    (StyledForm,),
    {"__module__": __name__, "__doc__": "A phone complaint.", **_intake_fields()},
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
