"""make run's demo: fault rulings on answered demo complaints, so 判责 and 考核 show work.

Recorded through the service as a quality supervisor would: a branch at fault (with its charge
in the ledger, which the branch may dispute), partly at fault, and not at fault for a customer
cause. Idempotent: complaints that already have a ruling are left alone.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from complaints.models import Complaint, Role, Status

from . import services
from .models import NoFaultCause, Ruling, Stage, Verdict

DEMO_TRACKING_PREFIX = "DEMO"  # the demo complaints' waybills (complaints' seed_demo)

RULINGS = [
    (Verdict.AT_FAULT, Stage.DELIVERY, "", "派送环节未按址投递，营业部答复与轨迹一致，责任成立。"),
    (Verdict.PARTLY, Stage.HUB, "", "分拨中心分拣错误致延误一天，营业部及时补救，部分有责。"),
    (Verdict.NOT_AT_FAULT, "", NoFaultCause.CUSTOMER, "客户填写地址有误，已按原址投递，无责。"),
]


def seed_demo_rulings(stdout=None) -> int:
    supervisor = (
        get_user_model()
        .objects.filter(staff__role=Role.SUPERVISOR, is_active=True)
        .order_by("pk")
        .first()
    )
    if (
        supervisor is None
        or Ruling.objects.filter(complaint__tracking_no__startswith=DEMO_TRACKING_PREFIX).exists()
    ):
        return 0
    complaints = Complaint.objects.filter(
        tracking_no__startswith=DEMO_TRACKING_PREFIX,
        status__in=(Status.ANSWERED, Status.FOLLOW_UP),
        first_answered_at__isnull=False,
        unit__isnull=False,
    ).order_by("pk")[: len(RULINGS)]
    added = 0
    for (verdict, stage, cause, reason), complaint in zip(RULINGS, complaints, strict=False):
        fault = verdict != Verdict.NOT_AT_FAULT
        services.ruling_record(
            complaint=complaint,
            by=supervisor,
            data=services.RulingInput(
                verdict=verdict,
                reason=reason,
                stage=stage,
                unit_id=complaint.unit_id if fault else None,
                no_fault_cause=cause,
                # A ruling rests on evidence: the unit's reply is the demo's.
                reply_ids=tuple(complaint.replies.values_list("pk", flat=True)[:1]),
            ),
        )
        added += 1
    if stdout is not None and added:
        stdout.write(f"demo rulings: {added}")
    return added
