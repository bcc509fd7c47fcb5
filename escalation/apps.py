from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The timers' names as SLA messages quote them (templates: {{ timer_label }}).
TIMER_LABELS = {
    "first_response": "首次响应（24小时内联系客户）",
    "resolution": "处理完毕（给出答复）",
    "follow_up": "回访",
    "statutory": "法定答复（7日）",
    "claim_assessment": "赔偿定损（48小时）",
    "claim_settlement": "赔偿支付（72小时）",
    "dispute_decision": "判责申诉裁决",
}


def _reference_parts() -> dict:
    """The SLA policies, and the supervisors' calendar in place of the kernel's official one."""
    from .sla_policies import PolicyBook

    book = PolicyBook.load()
    return {"sla": book, "calendar": book.calendar}


def _refresh_deadlines(complaint, *, now, reference=None) -> None:
    from kernel import refdata

    from .sla_deadlines import refresh_deadlines

    refresh_deadlines(complaint, now=now, book=(reference or refdata.current())["sla"])


def _timer_label(context: dict) -> dict:
    return {"timer_label": TIMER_LABELS.get(context.get("timer"), "")}


class EscalationConfig(AppConfig):
    """The SLA engine: policies, deadlines, the sweep that warns, escalates and records breaches."""

    name = "escalation"
    verbose_name = _("时限与升级")

    def ready(self) -> None:
        from complaints import hooks
        from kernel import outbox, refdata

        from .clocks import nearest_clock
        from .permissions import grant_supervisor_permissions
        from .records import record_timer_levels, record_timers_refresh

        refdata.register(_reference_parts)
        hooks.refresh_deadlines.register(_refresh_deadlines)
        hooks.nearest_clock.register(nearest_clock)
        hooks.refresh_record_timers.register(record_timers_refresh)
        hooks.record_timer_levels.register(record_timer_levels)
        outbox.register_context(_timer_label)
        post_migrate.connect(
            grant_supervisor_permissions, sender=self, dispatch_uid="escalation-supervisor-perms"
        )
