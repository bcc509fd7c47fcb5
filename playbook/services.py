"""Writes and reads of templates and macros: who may keep them, the checks, use and audit.

A template is saved only if its text passes the reply checks; a macro changes a complaint only
through complaints' services, all in one transaction. See docs/playbook.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import rules as complaint_rules
from complaints import services as complaint_services
from complaints.models import Category, Complaint, Phrase, Priority, Role, Unit
from kernel import workflow
from kernel.clock import deadline_text
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound

from . import placeholders
from .models import Macro, ReplyTemplate, TemplateEvent, TemplateKind

REPLY_FIELDS = ("basic_facts", "handling", "result")
_TEXT_LABELS = {TemplateKind.CONTACT: "联系记录", TemplateKind.FOLLOW_UP: "回访话术"}


@dataclass(frozen=True)
class TemplateInput:
    kind: str
    title: str
    category: str = ""
    unit_id: int | None = None
    basic_facts: str = ""
    handling: str = ""
    result: str = ""
    text: str = ""


@dataclass(frozen=True)
class MacroInput:
    title: str
    unit_id: int | None = None
    priority: str = ""
    priority_reason: str = ""
    note: str = ""
    template_id: int | None = None
    category: str = ""
    category_reason: str = ""


@dataclass
class MacroOutcome:
    complaint: Complaint
    done: list[str] = field(default_factory=list)
    filled: dict[str, placeholders.Filled] | None = None
    template: ReplyTemplate | None = None


def _active_user(by) -> None:
    if by is None or not getattr(by, "is_active", False):
        raise NotAllowed(_("请先登录。"))


# --- Who keeps what --------------------------------------------------------------------------


def may_manage(user, unit: Unit | None) -> bool:
    """Supervisors keep the company-wide templates (and may help any unit); a branch its own.

    A unit's templates belong to its head (Unit.head); a unit without a head is kept by its
    branch staff, who then have no one above them in the unit to ask.
    """
    if user is None or not getattr(user, "is_active", False):
        return False
    if user.is_superuser or user.has_perm("playbook.manage_company_templates"):
        return True
    if unit is None or not user.has_perm("playbook.manage_unit_templates"):
        return False
    profile = getattr(user, "staff", None)
    if profile is None or profile.role != Role.BRANCH or profile.unit_id != unit.pk:
        return False
    return unit.head_id in (None, user.pk)


def _authorize_manage(by, unit: Unit | None) -> None:
    _active_user(by)
    if not may_manage(by, unit):
        if unit is None:
            raise NotAllowed(_("全公司通用的模板和宏由质量监控主管维护。"))
        raise NotAllowed(_("本单位的模板和宏由单位负责人维护。"))


def _unit(unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = Unit.objects.filter(pk=unit_id, is_active=True).first()
    if unit is None:
        raise InvalidInput(_("单位不存在。"), field_errors={"unit": _("单位不存在。")})
    return unit


# --- Checks ----------------------------------------------------------------------------------


def template_problems(kind: str, parts: dict[str, str]) -> dict[str, str]:
    """Return a Chinese message per field of a template that a reply would be refused for."""
    problems: dict[str, str] = {}
    for name, text in parts.items():
        problem = placeholders.placeholder_problem(text or "")
        if problem:
            problems[name] = problem
    if problems:
        return problems
    sample = {
        name: placeholders.fill(text or "", placeholders.SAMPLE_VALUES).text
        for name, text in parts.items()
    }
    vague = Phrase.active(Phrase.Kind.VAGUE_REPLY)
    evasive = Phrase.active(Phrase.Kind.EVASIVE_REPLY)
    if kind == TemplateKind.REPLY:
        return complaint_rules.reply_problems(
            {name: sample.get(name, "") for name in REPLY_FIELDS}, vague, evasive
        )
    problem = placeholders.text_problem(
        sample.get("text", ""),
        label=_TEXT_LABELS[kind],
        vague_phrases=vague,
        evasive_phrases=evasive,
        has_fact=complaint_rules.FACT_MARKERS.search,
    )
    return {"text": problem} if problem else {}


def _refuse_nul(**texts: str) -> None:
    # PostgreSQL cannot store NUL in text: a clear refusal instead of a database error.
    for name, text in texts.items():
        if "\x00" in (text or ""):
            raise InvalidInput(
                _("内容含有无效字符。"), field_errors={name: _("内容含有无效字符。")}
            )


def _clean_template(data: TemplateInput) -> dict:
    _refuse_nul(
        title=data.title,
        category=data.category,
        basic_facts=data.basic_facts,
        handling=data.handling,
        result=data.result,
        text=data.text,
    )
    if data.kind not in TemplateKind.values:
        raise InvalidInput(_("模板类型无效。"), field_errors={"kind": _("模板类型无效。")})
    if data.category and data.category not in Category.values:
        raise InvalidInput(_("投诉类别无效。"), field_errors={"category": _("投诉类别无效。")})
    title = (data.title or "").strip()
    if not title or len(title) > 60:
        message = _("请填写名称（不超过60字）。")
        raise InvalidInput(message, field_errors={"title": message})
    if data.kind == TemplateKind.REPLY:
        parts = {name: getattr(data, name).strip() for name in REPLY_FIELDS}
        texts = {**parts, "text": ""}
    else:
        parts = {"text": data.text.strip()}
        texts = {"basic_facts": "", "handling": "", "result": "", **parts}
    problems = template_problems(data.kind, parts)
    if problems:
        raise InvalidInput(
            _("模板不符合答复要求（模糊或推诿的口径不能保存），请修改后再保存。"),
            field_errors=problems,
        )
    return {"kind": data.kind, "title": title, "category": data.category, **texts}


def _duplicate_title() -> InvalidInput:
    message = _("同一范围内已有同名的模板或宏。")
    return InvalidInput(message, field_errors={"title": message})


# --- Templates -------------------------------------------------------------------------------


@transaction.atomic
def template_save(
    *, by, data: TemplateInput, template: ReplyTemplate | None = None, now=None
) -> ReplyTemplate:
    """Create a template, or change one; each save is audited with what changed."""
    now = workflow.now_or(now)
    unit = _unit(data.unit_id)
    _authorize_manage(by, unit)
    values = _clean_template(data)
    if template is None:
        template = ReplyTemplate(
            **values, unit=unit, created_by=by, updated_by=by, created_at=now, updated_at=now
        )
        action, changes = TemplateEvent.Action.CREATED, values
    else:
        template = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
        _authorize_manage(by, template.unit)  # moving it needs the right on both scopes
        values["unit_id"] = unit.pk if unit else None
        changes = {
            name: {"from": getattr(template, name), "to": value}
            for name, value in values.items()
            if getattr(template, name) != value
        }
        if not changes:
            return template
        for name, value in values.items():
            setattr(template, name, value)
        template.updated_by, template.updated_at = by, now
        action = TemplateEvent.Action.CHANGED
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise _duplicate_title() from None
    TemplateEvent.objects.create(template=template, action=action, by=by, at=now, changes=changes)
    return template


@transaction.atomic
def template_deactivate(*, by, template: ReplyTemplate, now=None) -> ReplyTemplate:
    """Switch a template off: it leaves the picker, its history stays."""
    now = workflow.now_or(now)
    template = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
    _authorize_manage(by, template.unit)
    if not template.is_active:
        raise Conflict(_("模板已停用。"))
    if template.macros.filter(is_active=True).exists():
        raise Conflict(_("仍有启用的宏带出此模板，请先修改或停用这些宏。"))
    template.is_active, template.updated_by, template.updated_at = False, by, now
    template.save(update_fields=["is_active", "updated_by", "updated_at"])
    TemplateEvent.objects.create(
        template=template, action=TemplateEvent.Action.DEACTIVATED, by=by, at=now
    )
    return template


def may_keep_any(user) -> bool:
    """Whether the user keeps any templates at all (the company's or a unit's)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return user.has_perm("playbook.manage_company_templates") or user.has_perm(
        "playbook.manage_unit_templates"
    )


def templates_kept_by(user) -> QuerySet:
    """The templates this user may change: all for supervisors, their unit's for its keeper."""
    qs = ReplyTemplate.objects.select_related("unit").order_by("-is_active", "kind", "title", "id")
    if user is None or not getattr(user, "is_active", False):
        return qs.none()
    if user.is_superuser or user.has_perm("playbook.manage_company_templates"):
        return qs
    profile = getattr(user, "staff", None)
    if profile is None or profile.unit is None or not may_manage(user, profile.unit):
        return qs.none()
    return qs.filter(unit_id=profile.unit_id)


def templates_for(complaint: Complaint, *, kind: str = "", query: str = "") -> QuerySet:
    """The active templates that fit the complaint: its unit's and its category's first."""
    qs = ReplyTemplate.objects.filter(is_active=True).filter(
        Q(unit__isnull=True) | Q(unit_id=complaint.unit_id),
        Q(category="") | Q(category=complaint.category),
    )
    if kind:
        qs = qs.filter(kind=kind)
    query = (query or "").replace("\x00", "").strip()[:60]
    if query:
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(basic_facts__icontains=query)
            | Q(handling__icontains=query)
            | Q(result__icontains=query)
            | Q(text__icontains=query)
        )
    return qs.annotate(
        own_unit=Case(When(unit__isnull=False, then=Value(0)), default=Value(1)),
        own_category=Case(When(category="", then=Value(1)), default=Value(0)),
    ).order_by("own_unit", "own_category", "-use_count", "title", "id")


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def complaint_values(complaint: Complaint) -> dict[str, str]:
    """What the placeholders stand for on this complaint (the name only as a salutation)."""
    return {
        "工单号": complaint.ticket_no,
        "运单号": complaint.tracking_no,
        "客户称呼": placeholders.salutation(complaint.complainant_name),
        "受理时间": _local(complaint.accepted_at),
        "投诉类别": complaint.get_category_display(),
        "责任单位": complaint.unit.name if complaint.unit_id else "",
        # Deadlines the one way (issue 18 §13): a day-end one reads "12月9日 24:00".
        "处理时限": deadline_text(complaint.resolution_due) if complaint.resolution_due else "",
        "回访时限": deadline_text(complaint.follow_up_due) if complaint.follow_up_due else "",
    }


def template_fill(template: ReplyTemplate, complaint: Complaint) -> dict[str, placeholders.Filled]:
    values = complaint_values(complaint)
    return {name: placeholders.fill(text, values) for name, text in template.parts.items()}


def _fitting_template(complaint: Complaint, template_id) -> ReplyTemplate:
    template = templates_for(complaint).filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("模板不存在或不适用于此工单。"))
    return template


def _may_read(by) -> None:
    _active_user(by)
    if not by.has_perm("playbook.view_replytemplate"):
        raise NotAllowed(_("您没有权限使用答复模板。"))


def templates_for_staff(*, by, ticket_no: str, kind: str = "", query: str = ""):
    """The complaint (as the user may see it) and its fitting templates."""
    _may_read(by)
    if kind and kind not in TemplateKind.values:
        raise InvalidInput(_("模板类型无效。"), field_errors={"kind": _("模板类型无效。")})
    complaint = complaint_services.get_for_staff(ticket_no=ticket_no, by=by)
    return complaint, templates_for(complaint, kind=kind, query=query)


@transaction.atomic
def template_use(*, by, ticket_no: str, template_id, now=None):
    """Someone picked a template for a complaint: count and audit it, return the filled text."""
    now = workflow.now_or(now)
    _may_read(by)
    complaint = complaint_services.get_for_staff(ticket_no=ticket_no, by=by)
    template = _fitting_template(complaint, template_id)
    _record_use(template, complaint=complaint, by=by, now=now)
    return complaint, template, template_fill(template, complaint)


def _record_use(template: ReplyTemplate, *, complaint: Complaint, by, now) -> None:
    ReplyTemplate.objects.filter(pk=template.pk).update(use_count=F("use_count") + 1)
    TemplateEvent.objects.create(
        template=template, action=TemplateEvent.Action.USED, by=by, at=now, complaint=complaint
    )


# --- Macros ----------------------------------------------------------------------------------


def clean_macro(data: MacroInput, unit: Unit | None) -> dict:
    _refuse_nul(
        title=data.title,
        priority_reason=data.priority_reason,
        note=data.note,
        category_reason=data.category_reason,
    )
    title = (data.title or "").strip()
    if not title or len(title) > 60:
        message = _("请填写名称（不超过60字）。")
        raise InvalidInput(message, field_errors={"title": message})
    errors: dict[str, str] = {}
    if data.priority and data.priority not in Priority.values:
        errors["priority"] = _("优先级无效。")
    reason = (data.priority_reason or "").strip()
    if data.priority and not reason:
        errors["priority_reason"] = _("设置优先级时请填写调整原因。")
    if data.category and data.category not in Category.values:
        errors["category"] = _("投诉类别无效。")
    category_reason = (data.category_reason or "").strip()
    if data.category and not category_reason:
        errors["category_reason"] = _("设置投诉类别时请填写调整原因。")
    note = (data.note or "").strip()
    for name, text in (
        ("note", note),
        ("priority_reason", reason),
        ("category_reason", category_reason),
    ):
        problem = placeholders.placeholder_problem(text)
        if problem:
            errors.setdefault(name, problem)
    template = None
    if data.template_id is not None:
        template = ReplyTemplate.objects.filter(pk=data.template_id, is_active=True).first()
        # A unit's macro may bring the company's templates or its own, never another unit's.
        if template is None or template.unit_id not in (None, unit.pk if unit else None):
            errors["template"] = _("模板不存在或不属于本单位。")
    if not (data.category or data.priority or note or template):
        errors["title"] = _("宏至少要设置投诉类别、优先级、内部备注或带出模板中的一项。")
    if errors:
        raise InvalidInput(next(iter(errors.values())), field_errors=errors)
    return {
        "title": title,
        "priority": data.priority,
        "priority_reason": reason if data.priority else "",
        "category": data.category,
        "category_reason": category_reason if data.category else "",
        "note": note,
        "template": template,
    }


@transaction.atomic
def macro_save(*, by, data: MacroInput, macro: Macro | None = None, now=None) -> Macro:
    now = workflow.now_or(now)
    unit = _unit(data.unit_id)
    _authorize_manage(by, unit)
    values = clean_macro(data, unit)
    if macro is None:
        macro = Macro(
            **values, unit=unit, created_by=by, updated_by=by, created_at=now, updated_at=now
        )
        action = TemplateEvent.Action.CREATED
        changes = {**values, "template": values["template"] and values["template"].pk}
    else:
        macro = Macro.objects.select_for_update().get(pk=macro.pk)
        _authorize_manage(by, macro.unit)
        values["unit"] = unit
        changes = {
            name: {"from": str(getattr(macro, name) or ""), "to": str(value or "")}
            for name, value in values.items()
            if getattr(macro, name) != value
        }
        if not changes:
            return macro
        for name, value in values.items():
            setattr(macro, name, value)
        macro.updated_by, macro.updated_at = by, now
        action = TemplateEvent.Action.CHANGED
    try:
        with transaction.atomic():
            macro.save()
    except IntegrityError:
        raise _duplicate_title() from None
    TemplateEvent.objects.create(macro=macro, action=action, by=by, at=now, changes=changes)
    return macro


def macros_for(complaint: Complaint) -> QuerySet:
    return (
        Macro.objects.filter(is_active=True)
        .filter(Q(unit__isnull=True) | Q(unit_id=complaint.unit_id))
        .select_related("template")
        .order_by(F("unit_id").asc(nulls_last=True), "title", "id")
    )


def macros_for_staff(*, by, ticket_no: str):
    _active_user(by)
    if not by.has_perm("playbook.view_macro"):
        raise NotAllowed(_("您没有权限使用宏。"))
    complaint = complaint_services.get_for_staff(ticket_no=ticket_no, by=by)
    return complaint, macros_for(complaint)


@transaction.atomic
def macro_apply(*, by, ticket_no: str, macro_id, now=None) -> MacroOutcome:
    """Run a macro on a complaint: each change by its own service, audited as its own action.

    A priority the complaint already has is left alone (nothing to audit); any refusal (the
    user may not set priorities, the complaint is closed…) undoes the whole macro. The run
    itself is audited in TemplateEvent; the complaint's timeline shows each change it made.
    """
    now = workflow.now_or(now)
    _active_user(by)
    if not by.has_perm("playbook.view_macro"):
        raise NotAllowed(_("您没有权限使用宏。"))
    complaint = complaint_services.get_for_staff(ticket_no=ticket_no, by=by)
    macro = macros_for(complaint).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(_("宏不存在或不适用于此工单。"))
    if not complaint.is_open:
        raise Conflict(
            _("工单已%(status)s，不能执行宏。") % {"status": complaint.get_status_display()}
        )
    values = complaint_values(complaint)
    outcome = MacroOutcome(complaint=complaint)
    # The category first: the template below is then the one fitting the new category, and a
    # cluster the new category completes has made it urgent before the priority is compared.
    if macro.category and macro.category != complaint.category:
        complaint = outcome.complaint = complaint_services.complaint_set_category(
            complaint=complaint,
            by=by,
            category=macro.category,
            reason=placeholders.fill(macro.category_reason, values).text,
            now=now,
        )
        outcome.done.append("category")
    if macro.priority and macro.priority != complaint.priority:
        outcome.complaint = complaint_services.complaint_set_priority(
            complaint=complaint,
            by=by,
            priority=macro.priority,
            reason=placeholders.fill(macro.priority_reason, values).text,
            now=now,
        )
        outcome.done.append("priority")
    if macro.note:
        complaint_services.complaint_add_note(
            complaint=complaint, by=by, text=placeholders.fill(macro.note, values).text, now=now
        )
        outcome.done.append("note")
    template = macro.template
    # A macro's template of another category than the complaint's is left out, not forced in.
    if template is not None:
        template = templates_for(complaint).filter(pk=template.pk).first()
    if template is not None:
        _record_use(template, complaint=complaint, by=by, now=now)
        outcome.template, outcome.filled = template, template_fill(template, complaint)
        outcome.done.append("template")
    TemplateEvent.objects.create(
        macro=macro,
        action=TemplateEvent.Action.APPLIED,
        by=by,
        at=now,
        complaint=complaint,
        changes={"done": outcome.done},
    )
    outcome.complaint.refresh_from_db()
    return outcome
