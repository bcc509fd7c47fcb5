from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What the SLA sweep loads of a dispute to run its decision timer.
DISPUTE_TIMER_FIELDS = ("id", "status", "filed_at", "decision_due", "sla_next_check")
DISPUTE_DECISION = "dispute_decision"


def _dispute_timers(dispute):
    from complaints.hooks import RecordTimer

    # A supervisor decides within M working days of the dispute (issue 22); the sweep warns
    # at the complaint's policy's share of that span and records the breach at its end.
    return (
        RecordTimer(
            DISPUTE_DECISION,
            dispute.filed_at,
            dispute.decision_due,
            dispute.status == "pending",
        ),
    )


def _dispute_message(dispute) -> dict:
    return {"dispute_id": dispute.pk}


class RulingsConfig(AppConfig):
    """Fault rulings (判责), the assessment ledger (考核) and the branch's disputes (申诉改判)."""

    name = "rulings"
    verbose_name = _("判责与考核")

    def ready(self) -> None:
        from complaints import hooks

        from .demo import seed_demo_rulings
        from .models import Dispute
        from .seeding import ensure_default_rule, grant_ruling_permissions

        hooks.demo_seeders.append(seed_demo_rulings)

        hooks.timed_records.append(
            hooks.TimedRecords(
                model=Dispute,
                fields=DISPUTE_TIMER_FIELDS,
                running={"status": "pending"},
                timers=_dispute_timers,
                message=_dispute_message,
                message_prefix="staff_dispute_",
            )
        )
        post_migrate.connect(grant_ruling_permissions, sender=self, dispatch_uid="rulings-roles")
        post_migrate.connect(ensure_default_rule, sender=self, dispatch_uid="rulings-default-rule")
