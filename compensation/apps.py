from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What the SLA sweep loads of a claim to run its timers.
CLAIM_TIMER_FIELDS = (
    "id",
    "status",
    "amount",
    "proposed_at",
    "assess_due",
    "settle_due",
    "sla_next_check",
)


def _claim_timers(claim):
    from complaints.hooks import RecordTimer

    from .timers import claim_timers

    return tuple(
        RecordTimer(*timer)
        for timer in claim_timers(
            status=claim.status,
            proposed_at=claim.proposed_at,
            assess_due=claim.assess_due,
            settle_due=claim.settle_due,
        )
    )


def _claim_message(claim) -> dict:
    return {"claim_id": claim.pk, "amount": f"{claim.amount:.2f}"}


class CompensationConfig(AppConfig):
    """Compensation by the Postal Law and the carrier's policy: quotes, claims, their approval."""

    name = "compensation"
    verbose_name = _("赔偿")

    def ready(self) -> None:
        from complaints import hooks

        from .models import ACTIVE_CLAIM_STATES, Claim
        from .seeding import ensure_preset_policies, grant_claim_permissions

        # A claim must be assessed within 48 h, a loss settled within 72 h (seed 003): the SLA
        # sweep runs these timers with the complaints' and tells the unit head and supervisors.
        hooks.timed_records.append(
            hooks.TimedRecords(
                model=Claim,
                fields=CLAIM_TIMER_FIELDS,
                running={"status__in": ACTIVE_CLAIM_STATES},
                timers=_claim_timers,
                message=_claim_message,
                message_prefix="staff_claim_",
            )
        )

        # The claims and their decisions on a complaint's print-out (issue 20 §5).
        from .printing import claims_section

        hooks.print_sections.append(claims_section)

        # The role groups are first built after the complaints app migrates, before this app's
        # permissions exist; add ours once they do (on top: other apps add theirs too).
        post_migrate.connect(
            grant_claim_permissions, sender=self, dispatch_uid="compensation-roles"
        )
        post_migrate.connect(
            ensure_preset_policies, sender=self, dispatch_uid="compensation-preset-policies"
        )
