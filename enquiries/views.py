"""The agent's enquiry desk: record a 查件/咨询 call, resolve it, or convert it on the
customer's request; the open ones listed by their conversion time. Thin: services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints.models import Category, Party
from kernel.errors import DomainError

from . import services
from .models import Enquiry, EnquiryChannel, EnquiryStatus

FIELDS = ("tracking_no", "phone", "name", "question", "answer", "category", "party", "channel")


def _page(request, *, values=None, errors=None, status=200):
    open_enquiries = Enquiry.objects.filter(status=EnquiryStatus.OPEN).order_by(
        "resolve_due", "id"
    )[:100]
    converted = (
        Enquiry.objects.filter(status=EnquiryStatus.CONVERTED)
        .select_related("complaint")
        .order_by("-converted_at")[:20]
    )
    context = {
        "nav": "enquiries",
        "values": values or {"category": "delay", "party": "recipient", "channel": "phone"},
        "errors": errors or {},
        "open_enquiries": open_enquiries,
        "converted": converted,
        "categories": Category.choices,
        "parties": Party.choices,
        "channels": [c for c in EnquiryChannel.choices if c[0] != EnquiryChannel.API],
        "now": timezone.now(),
    }
    return render(request, "enquiries/desk.html", context, status=status)


@login_required
@permission_required("enquiries.view_enquiry", raise_exception=True)
def desk(request):
    if request.method != "POST":
        return _page(request)
    values = {f: request.POST.get(f, "")[:5000] for f in FIELDS}
    data = services.NewEnquiry(
        **values,
        resolved=request.POST.get("resolved") == "on",
        wants_complaint=request.POST.get("wants_complaint") == "on",
    )
    try:
        outcome = services.enquiry_record(data=data, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, values=values, errors=exc.field_errors, status=exc.status_code)
    enquiry = outcome.enquiry
    if enquiry.complaint_id:
        messages.warning(
            request,
            _("%(why)s：已转为投诉 %(t)s，按投诉流程处理。")
            % {"why": enquiry.get_conversion_reason_display(), "t": enquiry.complaint.ticket_no},
        )
    else:
        messages.success(request, _("已登记查件咨询（未计入投诉受理量）。"))
    return redirect("enquiries:desk")


@login_required
@permission_required("enquiries.change_enquiry", raise_exception=True)
@require_POST
def resolve(request, pk: int):
    enquiry = get_object_or_404(Enquiry, pk=pk)
    try:
        services.enquiry_resolve(
            enquiry=enquiry, by=request.user, answer=request.POST.get("answer", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已标记为已解决。"))
    return redirect("enquiries:desk")


@login_required
@permission_required("enquiries.change_enquiry", raise_exception=True)
@require_POST
def convert(request, pk: int):
    enquiry = get_object_or_404(Enquiry, pk=pk)
    try:
        enquiry, _code = services.enquiry_convert(enquiry=enquiry, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(
            request, _("客户要求投诉：已转为投诉 %(t)s。") % {"t": enquiry.complaint.ticket_no}
        )
    return redirect("enquiries:desk")
