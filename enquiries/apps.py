from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Enquiries are handled by agents and watched by supervisors; partners (platforms acting for
# their customers) submit them as they submit complaints, and read or handle none (complaints.
# roles lists the roles; this app's permissions exist only after its own migrate, so it adds
# them to the groups).
ROLE_PERMISSIONS = {
    "agent": ("view_enquiry", "add_enquiry", "change_enquiry"),
    "supervisor": ("view_enquiry", "add_enquiry", "change_enquiry"),
    "partner": ("add_enquiry",),
}


def grant_role_permissions(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    from complaints.roles import GROUP_NAMES

    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="enquiries", codename__in=codenames)
        )


class EnquiriesConfig(AppConfig):
    name = "enquiries"
    verbose_name = _("查件咨询")

    def ready(self) -> None:
        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="enquiries-roles")
