"""The ticket's macro bar (loaded by htmx into the ticket page) and running a macro from it.

Thin: the services decide; a refusal comes back as the message on the ticket page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kernel.errors import DomainError, NotFound

from . import services

_DONE = {
    "category": gettext_lazy("投诉类别"),
    "priority": gettext_lazy("优先级"),
    "note": gettext_lazy("内部备注"),
    "template": gettext_lazy("模板"),
}


@login_required
def macro_bar(request, ticket_no: str):
    try:
        complaint, macros = services.macros_for_staff(by=request.user, ticket_no=ticket_no)
    except NotFound:
        return render(request, "404.html", status=404)  # another unit's ticket: as if none
    except DomainError:
        # No right to macros: the bar stays empty rather than shouting.
        return render(request, "playbook/_macro_bar.html", {"macros": []})
    return render(
        request,
        "playbook/_macro_bar.html",
        {
            "complaint": complaint,
            "macros": list(macros[:20]) if complaint.is_open else [],
            "may_keep": services.may_manage(request.user, _keeper_unit(request.user)),
        },
    )


@login_required
@require_POST
def macro_run(request, ticket_no: str, macro_id: int):
    try:
        outcome = services.macro_apply(by=request.user, ticket_no=ticket_no, macro_id=macro_id)
    except NotFound:
        return render(request, "404.html", status=404)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("web:ticket", args=[ticket_no]))
    done = "、".join(str(_DONE[name]) for name in outcome.done) or _("无变化")
    messages.success(request, _("已执行宏：%(done)s。") % {"done": done})
    target = reverse("web:ticket", args=[ticket_no])
    if outcome.template is not None:
        # The picked template opens in its form on the ticket page (playbook.js fills it).
        target += f"?template={outcome.template.pk}"
    return redirect(target)


# --- The unit's own templates: kept by its head (supervisors use the admin as well) ----------

_TEMPLATE_FIELDS = ("kind", "title", "category", "basic_facts", "handling", "result", "text")


def _keeper_unit(user):
    """The unit whose templates this page edits: the user's own; None for company-wide."""
    if user.has_perm("playbook.manage_company_templates"):
        return None
    profile = getattr(user, "staff", None)
    return profile.unit if profile else None


def _templates_page(request, *, values=None, errors=None, editing=None, status=200):
    from complaints.models import Category

    from .models import TemplateKind

    context = {
        "templates": services.templates_kept_by(request.user)[:200],
        "values": values or {"kind": "reply"},
        "errors": errors or {},
        "editing": editing,
        "kinds": TemplateKind.choices,
        "categories": Category.choices,
        "placeholders": services.placeholders.PLACEHOLDERS,
        "unit": _keeper_unit(request.user),
    }
    return render(request, "playbook/templates.html", context, status=status)


@login_required
def templates_page(request, template_id: int | None = None):
    unit = _keeper_unit(request.user)
    if not services.may_manage(request.user, unit):
        return render(request, "403.html", status=403)
    editing = None
    if template_id is not None:
        editing = services.templates_kept_by(request.user).filter(pk=template_id).first()
        if editing is None:
            return render(request, "404.html", status=404)
    if request.method != "POST":
        values = {name: getattr(editing, name) for name in _TEMPLATE_FIELDS} if editing else None
        return _templates_page(request, values=values, editing=editing)
    values = {name: request.POST.get(name, "")[:2000] for name in _TEMPLATE_FIELDS}
    unit_id = (editing.unit_id if editing else None) if unit is None else unit.pk
    try:
        services.template_save(
            by=request.user,
            data=services.TemplateInput(**values, unit_id=unit_id),
            template=editing,
        )
    except DomainError as error:
        errors = {**error.field_errors, "form": error.message}
        return _templates_page(request, values=values, errors=errors, editing=editing, status=400)
    messages.success(request, _("模板已保存。"))
    return redirect("playbook:templates")


@login_required
@require_POST
def template_switch_off(request, template_id: int):
    template = services.templates_kept_by(request.user).filter(pk=template_id).first()
    if template is None:
        return render(request, "404.html", status=404)
    try:
        services.template_deactivate(by=request.user, template=template)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("模板已停用。"))
    return redirect("playbook:templates")
