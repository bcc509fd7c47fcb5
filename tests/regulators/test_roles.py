"""Supervisors hold the appeal permissions; the role sync adds them without taking others away."""

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from complaints.models import Role
from complaints.roles import GROUP_NAMES
from regulators.apps import grant_role_permissions

APPEAL_PERMISSIONS = {
    "view_appeal",
    "register_appeal",
    "handle_appeal",
    "export_regulator_statistics",
    "view_appealevent",
    "view_appealreminder",
    # The bureau's figures (issue 23): volumes, the problem-type mapping, industry averages.
    "view_parcelvolume",
    "add_parcelvolume",
    "change_parcelvolume",
    "view_problemtypemapping",
    "change_problemtypemapping",
    "view_industryaverage",
    "add_industryaverage",
    "change_industryaverage",
}


def _regulator_perms(role):
    group = Group.objects.get(name=GROUP_NAMES[role])
    return set(
        group.permissions.filter(content_type__app_label="regulators").values_list(
            "codename", flat=True
        )
    )


def test_it_gives_supervisors_and_only_supervisors_the_appeal_permissions(db):
    assert _regulator_perms(Role.SUPERVISOR) == APPEAL_PERMISSIONS
    for role in (Role.AGENT, Role.BRANCH, Role.PARTNER):
        assert _regulator_perms(role) == set()


def test_it_adds_without_removing_what_other_apps_granted(db):
    group = Group.objects.get(name=GROUP_NAMES[Role.SUPERVISOR])
    other = Permission.objects.get(content_type__app_label="auth", codename="view_group")
    group.permissions.add(other)
    grant_role_permissions()
    assert group.permissions.filter(pk=other.pk).exists()
    assert _regulator_perms(Role.SUPERVISOR) == APPEAL_PERMISSIONS


def test_it_survives_a_second_migrate(db):
    call_command("migrate", verbosity=0)
    assert _regulator_perms(Role.SUPERVISOR) == APPEAL_PERMISSIONS
