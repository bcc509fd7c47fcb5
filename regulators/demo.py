"""make run's demo: appeals the 12305 line forwarded this month, so 监管指标 and 申诉 show work.

Registered through the services as a supervisor would from the forwarding notices (one on a
closed complaint, which goes back into handling; one at the report stage; one closed as
resolved). Idempotent: nothing is added once this month's demo cases exist.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from complaints.models import Complaint, Role, Status
from kernel.clock import SHANGHAI

from . import services
from .models import Appeal, AppealOutcome

DEMO_TRACKING_PREFIX = "DEMO"  # the demo complaints' waybills (complaints' seed_demo)

# (province, facts, request, how far the demo takes it)
CASES = [
    (
        "GD",
        "用户称投诉后营业部答复不属实，快件实际未妥投。",
        "要求查明快件下落并赔偿。",
        "received",
    ),
    ("ZJ", "用户称快件延误五天，投诉后七日内未获答复。", "要求企业说明延误原因。", "reported"),
    ("GD", "用户称快件外包装破损，内件损坏。", "要求按保价金额赔偿。", "closed"),
]


def seed_demo_appeals(stdout=None) -> int:
    supervisor = (
        get_user_model()
        .objects.filter(staff__role=Role.SUPERVISOR, is_active=True)
        .order_by("pk")
        .first()
    )
    if supervisor is None:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    prefix = f"DEMO-{today:%Y%m}-"
    if Appeal.objects.filter(case_no__startswith=prefix).exists():
        return 0
    month_start = datetime.combine(today.replace(day=1), time(0), tzinfo=SHANGHAI)
    complaints = list(
        Complaint.objects.filter(
            tracking_no__startswith=DEMO_TRACKING_PREFIX, status=Status.CLOSED
        ).order_by("pk")[: len(CASES)]
    )
    added = 0
    for number, ((province, facts, request, stage), complaint) in enumerate(
        zip(CASES, complaints, strict=False), start=1
    ):
        # Received in the last days, never before this month: the indicators count by month.
        received = max(now - timedelta(days=len(CASES) - number, hours=2), month_start)
        appeal = services.appeal_register(
            data=services.NewAppeal(
                case_no=f"{prefix}{number:03d}",
                received_at=received,
                province=province,
                appellant_name=complaint.complainant_name,
                appellant_phone=complaint.phone,
                facts=facts,
                request=request,
                tracking_no=complaint.tracking_no,
                ticket_no=complaint.ticket_no,
                category=complaint.category,
                party=complaint.party,
                regulator_received_on=max(
                    (received - timedelta(days=1)).date(), month_start.date()
                ),
            ),
            by=supervisor,
        )
        if stage in ("reported", "closed"):
            appeal = services.appeal_investigate(
                appeal=appeal, by=supervisor, note="已调取物流轨迹与营业部答复记录。"
            )
            appeal = services.appeal_draft_report(appeal=appeal, by=supervisor)
            appeal = services.appeal_send_report(appeal=appeal, by=supervisor, via="12305系统")
        if stage == "closed":
            services.appeal_close(appeal=appeal, by=supervisor, outcome=AppealOutcome.RESOLVED)
        added += 1
    if stdout is not None and added:
        stdout.write(f"demo appeals: {added}")
    return added
