"""Forms of the dispute and decision pages: they render and pre-check; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.web.forms import StyledForm


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DisputeForm(StyledForm):
    reason = forms.CharField(
        label=_("申诉理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明不应承担责任的事实，如签收记录、交接记录、监控情况。"),
    )
    # The clerk photographs the proof on the spot: the phone's camera opens straight away.
    files = forms.FileField(
        label=_("证据照片或PDF（1–5个，每个≤10MB）"),
        widget=MultipleFileInput(
            attrs={
                "accept": "image/jpeg,image/png,image/webp,application/pdf",
                "capture": "environment",
                "multiple": True,
            }
        ),
        required=False,  # checked by the service, with its own message
    )


class DecisionForm(StyledForm):
    outcome = forms.ChoiceField(
        label=_("裁决结果"),
        choices=[("uphold", _("维持原判")), ("overturn", _("改判无责（冲销考核）"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("裁决理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
