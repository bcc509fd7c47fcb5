"""本单位人员: a unit's staff with their open and overdue complaints (issue 20 §2).

On-duty switches, and for the head the unit's automatic assignment and cap; the loads are one
aggregate (services.staff_loads). See docs/api.md, "The 处理人 (issue 20 §2)".
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import services
from complaints.models import Role, Unit
from complaints.roles import role_of
from kernel.errors import InvalidInput, NotAllowed

# Who may look at a branch's team: its own staff, and the roles that see every unit.
OVERSEERS = (Role.AGENT, Role.SUPERVISOR)


def _unit_for(request, code: str | None) -> Unit | None:
    """The unit whose team the user may see: their own branch, the branch they head (a
    manager account without a staff role), or the branch an overseer chose (None: not yet)."""
    profile = getattr(request.user, "staff", None)
    if profile is not None and profile.role == Role.BRANCH:
        return profile.unit  # loaded with the profile (web/partner_guard.py)
    branches = Unit.objects.filter(kind=Unit.Kind.BRANCH)
    if not (request.user.is_superuser or role_of(request.user) in OVERSEERS):
        branches = branches.filter(head=request.user)
        if not code:
            unit = branches.order_by("code").first()
            if unit is None:
                raise PermissionDenied(_("您没有权限访问此页面。"))
            return unit
    if not code:
        return None
    unit = branches.filter(code=code[:32]).first()
    if unit is None:
        raise Http404(_("单位不存在。"))
    return unit


def _team_url(unit: Unit, request) -> str:
    url = reverse("web:team")
    profile = getattr(request.user, "staff", None)
    if profile is None or profile.role != Role.BRANCH:
        url += "?" + urlencode({"unit": unit.code})
    return url


def _context(request, unit: Unit | None, **extra) -> dict:
    now = timezone.now()
    is_head = unit is not None and unit.head_id == request.user.pk
    rows = []
    if unit is not None:
        for row in services.staff_loads(unit.pk, now=now):
            name = f"{row['user__first_name']} {row['user__last_name']}".strip()
            rows.append(
                {
                    **row,
                    "name": name or row["user__username"],
                    "may_switch": is_head or row["user_id"] == request.user.pk,
                    "is_me": row["user_id"] == request.user.pk,
                }
            )
    branches = []
    if request.user.is_superuser or role_of(request.user) in OVERSEERS:
        branches = list(
            Unit.objects.filter(kind=Unit.Kind.BRANCH, is_active=True).values_list("code", "name")
        )
    return {
        "unit": unit,
        "rows": rows,
        "is_head": is_head,
        "branches": branches,
        "totals": {
            "open": sum(r["open_load"] for r in rows),
            "overdue": sum(r["overdue"] for r in rows),
            "on_duty": sum(1 for r in rows if r["on_duty"]),
        },
        "nav": "queue",
        "now": now,
        **extra,
    }


@login_required
@require_GET
def team(request):
    unit = _unit_for(request, request.GET.get("unit"))
    return render(request, "complaints/team.html", _context(request, unit))


@login_required
@require_POST
def team_duty(request, user_id: int):
    """Switch one person on or off duty (themselves, or as the unit's head); back to the team."""
    person = get_user_model().objects.filter(pk=user_id).first() if user_id < 2**31 else None
    if person is None:
        raise Http404(_("人员不存在。"))
    try:
        changed = services.staff_set_on_duty(
            person=person, on_duty=request.POST.get("on_duty") == "1", by=request.user
        )
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    name = person.get_full_name() or person.get_username()
    text = _("%(name)s 已设为在岗。") if changed.on_duty else _("%(name)s 已设为不在岗。")
    messages.success(request, text % {"name": name})
    return redirect(_team_url(changed.unit, request))


@login_required
@require_POST
def team_settings(request):
    """The unit head switches automatic assignment and sets the cap of the unit posted."""
    unit = Unit.objects.filter(code=(request.POST.get("unit") or "")[:32]).first()
    if unit is None or unit.head_id != request.user.pk:
        raise PermissionDenied(_("只有单位负责人可以设置自动分配。"))
    raw = (request.POST.get("assign_cap") or "").strip()
    try:
        if not (raw.isdigit() and len(raw) <= 4):
            message = _("每人在办上限须为1至999之间的整数。")
            raise InvalidInput(message, field_errors={"assign_cap": message})
        services.unit_set_auto_assign(
            unit=unit,
            auto_assign=request.POST.get("auto_assign") == "1",
            cap=int(raw),
            by=request.user,
        )
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except InvalidInput as exc:
        context = _context(request, unit, settings_error=exc.message, posted_cap=raw[:10])
        return render(request, "complaints/team.html", context, status=400)
    messages.success(request, _("自动分配设置已保存。"))
    return redirect(_team_url(unit, request))
