from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _subjects(ids) -> dict:
    """The complaints messages are about, with the unit their texts name."""
    from .models import Complaint

    return Complaint.objects.select_related("unit").in_bulk(list(ids))


def _staff_phones(user_ids) -> dict:
    from .models import StaffProfile

    rows = StaffProfile.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "phone")
    return {user_id: phone for user_id, phone in rows if phone}


class ComplaintsConfig(AppConfig):
    """Units, staff and roles, the complaint and its loop (受理 → 核实 → 反馈 → 回访 → 闭环)."""

    name = "complaints"
    verbose_name = _("投诉工单")

    def ready(self) -> None:
        from kernel import outbox, refdata

        from . import messages, roles
        from .models import Phrase
        from .signals import complaint_changed

        roles.connect_signals()
        refdata.register(lambda: {"phrases": Phrase.load_active()})
        outbox.register_subjects(_subjects)
        outbox.register_staff_phones(_staff_phones)
        # The messages a change causes (customers, staff, partners' webhooks).
        complaint_changed.connect(messages.on_complaint_changed, dispatch_uid="complaint-messages")
