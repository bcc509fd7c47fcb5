"""Every write to a ruling, the ledger or a dispute goes through here (issue 22).

Under the complaint's row lock, so of two people acting at once the second gets a Conflict;
有理由投诉 follows through complaints.services.complaint_apply_ruling, in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from complaints import attachments, hooks
from complaints import services as complaint_services
from complaints.models import Attachment, Complaint, Reply, Role, StaffProfile, Status, Unit
from kernel import refdata, workflow
from kernel.actors import Actor, is_user
from kernel.clock import deadline_text, to_shanghai
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable

from . import charges
from .models import (
    AssessmentRule,
    Dispute,
    DisputeEvidence,
    DisputeStatus,
    EntryKind,
    LedgerEntry,
    NoFaultCause,
    Ruling,
    RulingSource,
    Stage,
    Verdict,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_DISPUTE_FILES = 5
NOT_RULABLE = (Status.REJECTED, Status.WITHDRAWN)


def _staff_user(by: Actor | None) -> User:
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    if getattr(by, "staff", None) is None and not by.is_superuser:
        raise NotAllowed(_("您不是系统内的员工。"))
    return by


def branch_unit_of(user) -> int | None:
    """The unit of a branch staff user; None for everyone who sees every unit."""
    profile = getattr(user, "staff", None)
    if profile is not None and profile.role == Role.BRANCH and not user.is_superuser:
        return profile.unit_id
    return None


def _text(value, field: str, label: str, errors: dict, *, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        errors[field] = _("%(label)s应为文字。") % {"label": label}
        return ""
    text = (value or "").strip()
    if "\x00" in text:  # PostgreSQL refuses NUL in text
        errors[field] = _("%(label)s含有无效字符。") % {"label": label}
    elif required and not text:
        errors[field] = _("请填写%(label)s。") % {"label": label}
    elif len(text) > MAX_TEXT:
        errors[field] = _("%(label)s不能超过%(n)s字。") % {"label": label, "n": MAX_TEXT}
    return text


def local_month(moment: datetime) -> date:
    """The first day of the month `moment` falls in, in Asia/Shanghai (the ledger's period)."""
    return to_shanghai(moment).date().replace(day=1)


# --- Who may do what --------------------------------------------------------------------------


def may_rule(user) -> bool:
    return bool(getattr(user, "is_active", False)) and user.has_perm("rulings.rule_complaint")


def may_decide(user) -> bool:
    return bool(getattr(user, "is_active", False)) and user.has_perm("rulings.decide_dispute")


def may_dispute(user, ruling: Ruling, *, now: datetime | None = None) -> bool:
    """The unit at fault's staff, on a current fault ruling, before its window closes."""
    if not getattr(user, "is_active", False) or not user.has_perm("rulings.file_dispute"):
        return False
    if branch_unit_of(user) != ruling.unit_id or ruling.unit_id is None:
        return False
    return (
        charges.may_dispute(
            verdict=ruling.verdict, closes_at=ruling.dispute_until, now=workflow.now_or(now)
        )
        and not Dispute.objects.filter(ruling=ruling).exists()
    )


def sees_amounts(user, ruling: Ruling) -> bool:
    """A branch sees the ledger figures of rulings against itself only (issue 22)."""
    unit = branch_unit_of(user)
    return unit is None or unit == ruling.unit_id


def require_view(by: Actor) -> None:
    by = _staff_user(by)
    if not by.has_perm("rulings.view_ruling"):
        raise NotAllowed(_("您没有权限查看判责。"))


def require_dispute_view(by: Actor) -> None:
    by = _staff_user(by)
    if not by.has_perm("rulings.view_dispute"):
        raise NotAllowed(_("您没有权限查看申诉。"))


def require_ledger_view(by: Actor) -> None:
    by = _staff_user(by)
    if not by.has_perm("rulings.view_ledgerentry"):
        raise NotAllowed(_("您没有权限查看考核台账。"))


# --- Reads ----------------------------------------------------------------------------------


def current_ruling(complaint: Complaint) -> Ruling | None:
    return (
        Ruling.objects.filter(complaint=complaint)
        .select_related("unit", "person", "by", "rule")
        .order_by("-at", "-id")
        .first()
    )


def rulings_for_complaint(*, complaint: Complaint, by: Actor) -> list[Ruling]:
    """The complaint's rulings, newest first, with their dispute (constant queries)."""
    require_view(by)
    complaint_services.authorize(by, "view_complaint", complaint)
    rows = (
        Ruling.objects.visible_to(by)
        .filter(complaint=complaint)
        .select_related("unit", "person", "by", "rule", "dispute", "dispute__filed_by")
        .order_by("-at", "-id")
    )
    return list(rows)


def get_ruling_for_staff(*, ruling_id: int, by: Actor) -> Ruling:
    require_view(by)
    if not 0 < ruling_id < 2**63:
        raise NotFound(_("判责记录不存在。"))
    ruling = (
        Ruling.objects.visible_to(by)
        .select_related("complaint", "unit", "person", "by", "rule")
        .filter(pk=ruling_id)
        .first()
    )
    if ruling is None:
        raise NotFound(_("判责记录不存在。"))
    return ruling


def get_dispute_for_staff(*, dispute_id: int, by: Actor) -> Dispute:
    require_dispute_view(by)
    if not 0 < dispute_id < 2**63:
        raise NotFound(_("申诉不存在。"))
    dispute = (
        Dispute.objects.visible_to(by)
        .select_related(
            "complaint", "unit", "filed_by", "decided_by", "ruling", "ruling__unit", "ruling__by"
        )
        .prefetch_related("evidence")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        raise NotFound(_("申诉不存在。"))
    return dispute


def rule_for(day: date) -> AssessmentRule | None:
    """The rule version valid on `day` (at most one: the versions never overlap)."""
    return (
        AssessmentRule.objects.filter(valid_from__lte=day)
        .exclude(valid_to__lt=day)
        .prefetch_related("lines")
        .first()
    )


def ruling_facts(complaint: Complaint, *, verdict: str, stage: str, now: datetime):
    """What the complaint's record says for the multipliers (issue 22), as RulingFacts."""
    overdue = False
    if complaint.resolution_due is not None:
        overdue = (complaint.answered_at or now) > complaint.resolution_due
    if complaint.statutory_due is not None:
        overdue = overdue or (complaint.first_answered_at or now) > complaint.statutory_due
    return charges.RulingFacts(
        verdict=charges.Verdict(verdict),
        category=complaint.category,
        stage=charges.Stage(stage) if stage else None,
        # 二次投诉: linked to an earlier complaint, or sent back after an unsatisfied follow-up.
        repeat=complaint.is_repeat,
        # The dashboard's 申诉/外部投诉: came through the regulator or was forwarded by it.
        appealed=complaint.channel == "regulator" or complaint.is_external,
        overdue=overdue,
    )


# --- Recording a ruling ---------------------------------------------------------------------


@dataclass(frozen=True)
class RulingInput:
    verdict: str
    reason: str
    stage: str = ""
    unit_id: int | None = None
    person_id: int | None = None
    no_fault_cause: str = ""
    reply_ids: tuple[int, ...] = ()
    attachment_tokens: tuple[str, ...] = ()
    # The ruling the person saw as current (None: none yet); a different one now is a Conflict.
    seen_ruling_id: int | None = None
    check_seen: bool = False
    errors: dict = field(default_factory=dict)  # parse errors found before the service


def _validated(complaint: Complaint, data: RulingInput) -> tuple[Unit | None, object, list]:
    errors = dict(data.errors)
    if data.verdict not in Verdict.values:
        errors["verdict"] = _("请选择判责结果（有责、部分有责或无责）。")
    fault = data.verdict in charges.FAULT_VERDICTS
    unit = person = None
    if fault:
        if data.stage not in Stage.values:
            errors["stage"] = _("请选择责任环节。")
        if data.unit_id is None:
            errors["unit"] = _("请选择责任单位。")
        else:
            unit = Unit.objects.filter(pk=data.unit_id, is_active=True).first()
            if unit is None:
                errors["unit"] = _("责任单位不存在或已停用。")
        if data.person_id is not None:
            profile = (
                StaffProfile.objects.select_related("user")
                .filter(user_id=data.person_id, user__is_active=True)
                .first()
            )
            if profile is None or (unit is not None and profile.unit_id != unit.pk):
                errors["person"] = _("责任人须为责任单位的在职员工。")
            else:
                person = profile.user
        if data.no_fault_cause:
            errors["no_fault_cause"] = _("有责判定不填写无责原因。")
    elif data.verdict == Verdict.NOT_AT_FAULT:
        if data.no_fault_cause not in (
            NoFaultCause.CUSTOMER,
            NoFaultCause.FORCE_MAJEURE,
            NoFaultCause.THIRD_PARTY,
        ):
            errors["no_fault_cause"] = _("请选择无责原因（客户原因、不可抗力或第三方原因）。")
        for name, given in (
            ("stage", data.stage),
            ("unit", data.unit_id),
            ("person", data.person_id),
        ):
            if given:
                errors[name] = _("无责判定不指定责任环节、单位或个人。")
    reason = _text(data.reason, "reason", _("判责理由"), errors)
    evidence = _evidence(complaint, data, errors)
    if errors:
        raise InvalidInput(_("判责信息有误，请修改后重试。"), field_errors=errors)
    return unit, person, [reason, evidence]


def _evidence(complaint: Complaint, data: RulingInput, errors: dict) -> list[dict]:
    """The replies and attachments the ruling rests on, each checked to be the complaint's."""
    items: list[dict] = []
    reply_ids = set(data.reply_ids)
    if reply_ids:
        replies = {
            r.pk: r
            for r in Reply.objects.filter(complaint=complaint, pk__in=reply_ids).select_related(
                "unit"
            )
        }
        if set(replies) != reply_ids:
            errors["replies"] = _("所选答复不属于本工单。")
        for pk in sorted(replies):
            reply = replies[pk]
            label = f"{reply.unit.name}答复（{to_shanghai(reply.at):%Y-%m-%d %H:%M}）"
            items.append({"kind": "reply", "id": pk, "label": label})
    tokens = set(data.attachment_tokens)
    if tokens:
        found = {
            a.token: a
            for a in Attachment.objects.filter(complaint=complaint, token__in=tokens).only(
                "token", "original_name", "content_type"
            )
        }
        if set(found) != tokens:
            errors["attachments"] = _("所选证据附件不属于本工单。")
        for token in sorted(found):
            item = found[token]
            label = item.original_name or item.content_type
            items.append({"kind": "attachment", "token": token, "label": label})
    # Scan events (tracking/) will join these once the waybill journey is stored (issue 22).
    if not items and "replies" not in errors and "attachments" not in errors:
        errors["evidence"] = _("请至少选择一项判责依据（答复或证据附件）。")
    return items


def _same(ruling: Ruling | None, data: RulingInput) -> bool:
    if ruling is None:
        return False
    return (
        ruling.verdict == data.verdict
        and ruling.stage == (data.stage or "")
        and ruling.unit_id == data.unit_id
        and ruling.person_id == data.person_id
        and ruling.no_fault_cause == (data.no_fault_cause or "")
    )


def _applicable_rule(complaint: Complaint) -> AssessmentRule:
    # The rules in force when the complaint was accepted apply, however late the ruling comes.
    day = to_shanghai(complaint.accepted_at).date()
    rule = rule_for(day)
    if rule is None:
        raise Unavailable(
            _("没有适用于%(day)s的考核规则，请质量监控主管在后台设置考核规则。")
            % {"day": day.isoformat()}
        )
    return rule


@transaction.atomic
def ruling_record(
    *, complaint: Complaint, by: Actor, data: RulingInput, now: datetime | None = None
) -> Ruling:
    """Record a ruling (判责) at or after the reply; a change is a new ruling, never an edit.

    In the same transaction: the previous ruling's charges are reversed, a fault writes its
    charge to the ledger, and 有理由投诉 follows the verdict.
    """
    now = workflow.now_or(now)
    by = _staff_user(by)
    complaint_services.authorize(by, "view_complaint", complaint)
    if not by.has_perm("rulings.rule_complaint"):
        raise NotAllowed(_("您没有权限判责。"))
    unit, person, (reason, evidence) = _validated(complaint, data)
    locked = workflow.lock(Complaint.objects, complaint.pk, not_found=_("工单不存在。"))
    if locked.first_answered_at is None or locked.status in NOT_RULABLE:
        raise Conflict(
            _("工单当前状态为“%(status)s”：答复后才能判责，不予受理或撤诉的工单不判责。")
            % {"status": locked.get_status_display()}
        )
    previous = current_ruling(locked)
    if data.check_seen and (previous.pk if previous else None) != data.seen_ruling_id:
        raise Conflict(_("判责已被他人更新，请刷新后查看最新判责再操作。"))
    if previous is not None and _pending_dispute(previous):
        raise Conflict(_("该判责的申诉尚待裁决，裁决后才能重新判责。"))
    if _same(previous, data):
        raise Conflict(_("判责结果与当前判责相同，无需重新判责。"))
    fault = data.verdict in charges.FAULT_VERDICTS
    rule = _applicable_rule(locked) if fault else None
    return _write_ruling(
        locked,
        by=by,
        now=now,
        verdict=data.verdict,
        stage=data.stage if fault else "",
        unit=unit,
        person=person,
        no_fault_cause="" if fault else data.no_fault_cause,
        reason=reason,
        evidence=evidence,
        rule=rule,
        previous=previous,
        source=RulingSource.STAFF,
    )


def _pending_dispute(ruling: Ruling) -> bool:
    return Dispute.objects.filter(ruling=ruling, status=DisputeStatus.PENDING).exists()


def _write_ruling(
    locked: Complaint,
    *,
    by: User,
    now: datetime,
    verdict: str,
    stage: str,
    unit: Unit | None,
    person,
    no_fault_cause: str,
    reason: str,
    evidence: list,
    rule: AssessmentRule | None,
    previous: Ruling | None,
    source: str,
) -> Ruling:
    facts = ruling_facts(locked, verdict=verdict, stage=stage, now=now)
    assessment = charges.assess(facts, rule.to_rule()) if rule is not None else None
    ruling = Ruling.objects.create(
        complaint=locked,
        verdict=verdict,
        stage=stage,
        unit=unit,
        person=person,
        no_fault_cause=no_fault_cause,
        reason=reason,
        evidence=evidence,
        source=source,
        supersedes=previous,
        rule=rule,
        facts={
            "category": facts.category,
            "repeat": facts.repeat,
            "appealed": facts.appealed,
            "overdue": facts.overdue,
        },
        amount=assessment.amount if assessment else Decimal("0.00"),
        points=assessment.points if assessment else Decimal("0.0"),
        steps=assessment.steps_dict() if assessment else [],
        dispute_until=(
            charges.dispute_closes_at(now, rule.to_rule(), refdata.current()["calendar"])
            if rule is not None and verdict in charges.FAULT_VERDICTS
            else None
        ),
        by=by,
        at=now,
    )
    if previous is not None:
        _reverse_charges(previous, cause=ruling, by=by, now=now)
    if assessment is not None and assessment.charges:
        LedgerEntry.objects.create(
            at=now,
            period=local_month(now),
            kind=EntryKind.CHARGE,
            unit=unit,  # type: ignore[misc]  # charges come from a fault verdict, which names one
            person=person,
            complaint=locked,
            ruling=ruling,
            count=1,
            amount=assessment.amount,
            points=assessment.points,
            rule=rule,
            category=locked.category,
            stage=stage,
            reason=_("%(verdict)s：%(reason)s")
            % {"verdict": ruling.get_verdict_display(), "reason": reason[:200]},
            by=by,
        )
    complaint_services.complaint_apply_ruling(
        complaint=locked,
        by=by,
        justified=charges.is_justified(verdict),
        reason=reason,
        now=now,
        ruling_id=ruling.pk,
        verdict=verdict,
        stage=stage,
        unit=unit.code if unit else None,
        source=source,
    )
    return ruling


def _reverse_charges(
    previous: Ruling, *, cause: Ruling, by: User, now: datetime
) -> list[LedgerEntry]:
    """A new entry with the opposite sign for each charge of `previous` not reversed yet."""
    open_charges = LedgerEntry.objects.filter(
        ruling=previous, kind=EntryKind.CHARGE, reversed_by__isnull=True
    )
    reason = _("申诉改判冲销") if cause.source == RulingSource.OVERTURN else _("重新判责冲销")
    reversals = []
    for entry in open_charges:
        try:
            with transaction.atomic():  # the one-reversal-per-entry key refuses a second
                reversals.append(
                    LedgerEntry.objects.create(
                        at=now,
                        period=local_month(now),
                        kind=EntryKind.REVERSAL,
                        unit_id=entry.unit_id,
                        person_id=entry.person_id,
                        complaint_id=entry.complaint_id,
                        ruling=cause,
                        reverses=entry,
                        count=-entry.count,
                        amount=-entry.amount,
                        points=-entry.points,
                        rule_id=entry.rule_id,
                        category=entry.category,
                        stage=entry.stage,
                        reason=f"{reason}（原记录#{entry.pk}）",
                        by=by,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(_("该考核记录已被冲销，请刷新后再操作。")) from exc
    return reversals


# --- Disputes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    kind: attachments.Kind
    name: str


def check_dispute_files(uploads) -> list[CheckedFile]:
    """Read and check every file before anything is stored (images or PDF, by content)."""
    uploads = [u for u in uploads if u is not None]
    if not uploads:
        message = _("请上传至少一份证据（照片或PDF）。")
        raise InvalidInput(message, field_errors={"files": message})
    if len(uploads) > MAX_DISPUTE_FILES:
        message = _("每次申诉最多上传%(n)s个文件。") % {"n": MAX_DISPUTE_FILES}
        raise InvalidInput(message, field_errors={"files": message})
    checked = []
    for upload in uploads:
        data = attachments.read_upload(upload)
        kind = attachments.sniff(data)
        if kind is None:
            message = _("只接受JPEG、PNG、WebP图片或PDF文件（按文件内容判断）。")
            raise InvalidInput(message, field_errors={"files": message})
        checked.append(CheckedFile(data, kind, attachments.clean_name(getattr(upload, "name", ""))))
    return checked


@transaction.atomic
def dispute_file(
    *, ruling: Ruling, by: Actor, reason: str, uploads, now: datetime | None = None
) -> Dispute:
    """The unit at fault disputes a ruling (申诉改判) with its reason and evidence.

    Refused after the window (N working days on the official calendar) with the day it
    closed; one dispute per ruling; only on the complaint's current ruling.
    """
    now = workflow.now_or(now)
    by = _staff_user(by)
    if not by.has_perm("rulings.file_dispute"):
        raise NotAllowed(_("只有责任单位的网点人员可以提出判责申诉。"))
    if branch_unit_of(by) != ruling.unit_id or ruling.unit_id is None:
        raise NotFound(_("判责记录不存在。"))
    errors: dict = {}
    reason = _text(reason, "reason", _("申诉理由"), errors)
    if errors:
        raise InvalidInput(_("申诉信息有误，请修改后重试。"), field_errors=errors)
    files = check_dispute_files(uploads)
    locked = workflow.lock(Complaint.objects, ruling.complaint.pk, not_found=_("工单不存在。"))
    latest = current_ruling(locked)
    if latest is None or latest.pk != ruling.pk:
        raise Conflict(_("该判责已被新的判责取代，请查看最新判责。"))
    if not ruling.is_fault:
        raise Conflict(_("无责判定无需申诉。"))
    if Dispute.objects.filter(ruling=ruling).exists():
        raise Conflict(_("该判责已提出过申诉，不能重复申诉。"))
    if not charges.may_dispute(verdict=ruling.verdict, closes_at=ruling.dispute_until, now=now):
        raise Conflict(
            _("申诉期已于%(closed)s截止，不能再申诉。")
            % {"closed": deadline_text(ruling.dispute_until)}  # type: ignore[arg-type]  # a fault's
        )
    rule = ruling.rule.to_rule() if ruling.rule else charges.RuleVersion("", ())
    dispute = Dispute(
        ruling=ruling,
        complaint=locked,
        unit_id=ruling.unit_id,
        reason=reason,
        filed_by=by,
        filed_at=now,
        decision_due=charges.decision_due_at(now, rule, refdata.current()["calendar"]),
    )
    dispute.complaint = locked
    hooks.refresh_record_timers(dispute, now=now)
    dispute.save()
    complaint_services.complaint_log_event(
        complaint=locked,
        by=by,
        event="dispute_filed",
        reason=reason,
        now=now,
        ruling_id=ruling.pk,
        dispute_id=dispute.pk,
        unit=ruling.unit.code if ruling.unit else None,
    )
    # Files last: a failure removes what was stored and rolls the dispute back with it.
    _store_files(dispute, files, now=now)
    return dispute


def _store_files(dispute: Dispute, files: list[CheckedFile], *, now: datetime) -> None:
    stored: list[DisputeEvidence] = []
    try:
        for item in files:
            evidence = attachments.describe(
                DisputeEvidence, item.data, item.kind, name=item.name, at=now, dispute=dispute
            )
            stored.append(evidence)
            attachments.write_file(evidence, item.data)
            evidence.save()
    except OSError as exc:  # disk full, read-only media folder: nothing of the dispute is kept
        _remove(stored)
        log.warning("dispute evidence storage unavailable: %s", exc)
        raise Unavailable(_("证据存储暂不可用，请稍后重试；判责与台账不受影响。")) from exc
    except Exception:
        _remove(stored)
        raise


def _remove(stored: list[DisputeEvidence]) -> None:
    for evidence in stored:
        attachments.remove_file(evidence)


@transaction.atomic
def dispute_decide(
    *, dispute: Dispute, by: Actor, outcome: str, reason: str, now: datetime | None = None
) -> Dispute:
    """A supervisor upholds the ruling or overturns it (改判无责: the charges are reversed)."""
    now = workflow.now_or(now)
    by = _staff_user(by)
    if not by.has_perm("rulings.decide_dispute"):
        raise NotAllowed(_("只有质量监控主管可以裁决判责申诉。"))
    errors: dict = {}
    if outcome not in ("uphold", "overturn"):
        errors["outcome"] = _("请选择裁决结果：维持原判或改判无责。")
    reason = _text(reason, "reason", _("裁决理由"), errors)
    if errors:
        raise InvalidInput(_("裁决信息有误，请修改后重试。"), field_errors=errors)
    locked_complaint = workflow.lock(
        Complaint.objects, dispute.complaint.pk, not_found=_("工单不存在。")
    )
    locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
    workflow.run_transition(  # outcome is "uphold" or "overturn", the transitions' names
        locked, outcome, refused=_("该申诉已裁决（%(status)s），请刷新后查看。"), labels={}
    )
    ruling = Ruling.objects.select_related("unit", "rule").get(pk=locked.ruling_id)
    locked.decided_by = by
    locked.decided_at = now
    locked.decision_reason = reason
    if outcome == "overturn":
        evidence = [
            {"kind": "dispute_evidence", "token": e.token, "label": e.original_name or e.token}
            for e in locked.evidence.all()
        ]
        locked.new_ruling = _write_ruling(
            locked_complaint,
            by=by,
            now=now,
            verdict=Verdict.NOT_AT_FAULT,
            stage="",
            unit=None,
            person=None,
            no_fault_cause=NoFaultCause.NOT_ESTABLISHED,
            reason=_("申诉改判：%(reason)s") % {"reason": reason},
            evidence=evidence,
            rule=None,
            previous=ruling,
            source=RulingSource.OVERTURN,
        )
    locked.complaint = locked_complaint
    hooks.refresh_record_timers(locked, now=now)
    locked.save()
    complaint_services.complaint_log_event(
        complaint=locked_complaint,
        by=by,
        event="dispute_overturned" if outcome == "overturn" else "dispute_upheld",
        reason=reason,
        now=now,
        ruling_id=ruling.pk,
        dispute_id=locked.pk,
    )
    return locked
