from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _reference_parts() -> dict:
    """The SLA policies, and the supervisors' calendar in place of the kernel's official one."""
    from .policies import PolicyBook

    book = PolicyBook.load()
    return {"sla": book, "calendar": book.calendar}


def _refresh_deadlines(complaint, *, now, reference=None) -> None:
    from kernel import refdata

    from .deadlines import refresh_deadlines

    refresh_deadlines(complaint, now=now, book=(reference or refdata.current())["sla"])


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("时限与升级")

    def ready(self) -> None:
        from complaints.signals import complaint_changed

        from .notify import on_complaint_changed
        from .permissions import grant_supervisor_permissions

        complaint_changed.connect(on_complaint_changed, dispatch_uid="escalation-outbox")
        from complaints import hooks
        from kernel import refdata

        from .clocks import nearest_clock

        refdata.register(_reference_parts)
        hooks.refresh_deadlines.register(_refresh_deadlines)
        hooks.nearest_clock.register(nearest_clock)
        from regulators.signals import appeal_deadline_due

        from .appeal_notices import on_appeal_deadline_due

        appeal_deadline_due.connect(on_appeal_deadline_due, dispatch_uid="escalation-appeals")
        post_migrate.connect(
            grant_supervisor_permissions, sender=self, dispatch_uid="escalation-supervisor-perms"
        )
