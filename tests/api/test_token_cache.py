"""The cached token answer (complaints.api.authentication) follows every change at once.

A deleted or replaced token, a deactivated user, a new role or unit, a changed group or user
permission: the next request sees it, in this process and in any other (the entry is removed
from the shared cache). While Redis is down every request reads the database instead.
"""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.api import authentication
from complaints.models import Role
from complaints.roles import GROUP_NAMES
from kernel import resilient_cache

from .conftest import SUBMISSION, token_client

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/complaints/"


def _submit(client, n: int) -> int:
    body = {**SUBMISSION, "tracking_no": f"SF95000{n:05d}", "phone": f"1395000{n:04d}"}
    return client.post(URL, body, format="json").status_code


def _cached(user) -> Token | None:
    return cache.get(authentication.cache_key(Token.objects.get(user=user).key))


def test_the_answer_is_cached_without_the_password_hash(pat):
    client = token_client(pat)
    assert _submit(client, 1) == 201
    token = _cached(pat)
    assert token is not None and token.user.pk == pat.pk
    assert "password" not in token.user.__dict__
    # The partner role's permissions (complaints.roles, enquiries/apps.py), read with the token.
    assert token.user._perm_cache == {"complaints.add_complaint", "enquiries.add_enquiry"}


def test_a_deleted_token_is_refused_at_once(pat):
    client = token_client(pat)
    assert _submit(client, 1) == 201
    Token.objects.filter(user=pat).get().delete()
    assert _submit(client, 2) == 401


def test_a_replaced_token_is_refused_and_the_new_one_accepted(pat):
    old = token_client(pat)
    assert _submit(old, 1) == 201
    call_command("drf_create_token", "-r", pat.username, stdout=None)
    assert _submit(old, 2) == 401
    assert _submit(token_client(pat), 3) == 201


def test_a_deactivated_user_is_refused_at_once(pat):
    client = token_client(pat)
    assert _submit(client, 1) == 201
    pat.is_active = False
    pat.save()
    assert _submit(client, 2) == 401
    pat.is_active = True
    pat.save()
    assert _submit(client, 3) == 201


def test_a_new_role_takes_effect_at_once(alice, org):
    client = token_client(alice)
    assert _submit(client, 1) == 201  # agents take complaints
    alice.staff.role, alice.staff.unit = Role.BRANCH, org["a"]
    alice.staff.save()
    assert _submit(client, 2) == 403  # branch staff do not


def test_a_new_unit_takes_effect_at_once(bob, org, make_complaint):
    ticket = make_complaint(unit_code="A").ticket_no
    client = token_client(bob)
    assert client.get(f"{URL}{ticket}/").status_code == 200
    bob.staff.unit = org["b"]
    bob.staff.save()
    assert client.get(f"{URL}{ticket}/").status_code == 404  # another unit's: "not found"


def test_a_group_permission_change_takes_effect_at_once(pat):
    client = token_client(pat)
    assert _submit(client, 1) == 201
    group = Group.objects.get(name=GROUP_NAMES[Role.PARTNER])
    add = Permission.objects.get(content_type__app_label="complaints", codename="add_complaint")
    group.permissions.remove(add)
    assert _submit(client, 2) == 403
    add.group_set.add(group)  # the same change, seen from the permission
    assert _submit(client, 3) == 201


def test_a_group_membership_change_takes_effect_at_once(pat):
    client = token_client(pat)
    assert _submit(client, 1) == 201
    group = Group.objects.get(name=GROUP_NAMES[Role.PARTNER])
    group.user_set.remove(pat)
    assert _submit(client, 2) == 403
    pat.groups.add(group)
    assert _submit(client, 3) == 201


def test_a_user_permission_granted_takes_effect_at_once(nobody):
    client = token_client(nobody)
    assert _submit(client, 1) == 403  # no staff profile, no permission
    add = Permission.objects.get(content_type__app_label="complaints", codename="add_complaint")
    nobody.user_permissions.add(add)
    assert _submit(client, 2) == 201
    nobody.user_permissions.clear()
    assert _submit(client, 3) == 403


def test_a_superuser_has_every_permission_without_a_list_of_them(org, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw-for-tests-only")
    client = token_client(root)
    assert _submit(client, 1) == 201
    assert not hasattr(_cached(root).user, "_perm_cache")  # ModelBackend's own answer: all
    assert client.get(URL).status_code == 200


def test_signing_in_keeps_the_entry(pat):
    """The console's login writes last_login alone: nothing the cached answer holds."""
    assert _submit(token_client(pat), 1) == 201
    pat.save(update_fields=["last_login"])
    assert _cached(pat) is not None


@pytest.fixture
def redis_down(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    healthy = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "kernel.resilient_cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    resilient_cache.state.down_until = 0.0
    yield
    # Redis back before the API fixtures clear the cache, or the next test starts "down".
    settings.CACHES = healthy
    resilient_cache.state.down_until = 0.0


def test_without_redis_every_request_reads_the_database(pat, redis_down):
    client = token_client(pat)
    assert _submit(client, 1) == 201
    pat.is_active = False
    pat.save()
    assert _submit(client, 2) == 401


def test_a_wrong_token_is_refused(pat):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert _submit(client, 1) == 401
