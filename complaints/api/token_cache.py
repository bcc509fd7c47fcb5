"""Forget cached tokens (complaints.api.authentication) when what they hold changes.

A token deleted or replaced, a user changed or deactivated, a staff profile's role or unit
changed, a user's groups or permissions or a group's permissions changed: each removes the
entries of the tokens concerned at once and again after the transaction commits, since a
request that read the old rows just before the commit could have stored them again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from rest_framework.authtoken.models import Token

from .authentication import cache_key, shared_cache


def forget_tokens(keys: Iterable[str]) -> None:
    cache = shared_cache()
    names = [cache_key(key) for key in keys]
    if cache is None or not names:
        return
    cache.delete_many(names)
    transaction.on_commit(lambda: cache.delete_many(names))


def forget_users(user_ids: Iterable[int | None]) -> None:
    """Forget the tokens of these users (one query; nothing when no cache is shared)."""
    ids = {pk for pk in user_ids if pk is not None}
    if ids and shared_cache() is not None:
        forget_tokens(Token.objects.filter(user_id__in=ids).values_list("key", flat=True))


def _users_of_groups(group_ids: Iterable[int]) -> list[int]:
    return list(
        get_user_model().objects.filter(groups__in=list(group_ids)).values_list("pk", flat=True)
    )


def _users_with_permissions(permission_ids: Iterable[int]) -> list[int]:
    ids = list(permission_ids)
    users = get_user_model().objects.filter(
        Q(user_permissions__in=ids) | Q(groups__permissions__in=ids)
    )
    return list(users.values_list("pk", flat=True).distinct())


def token_deleted(sender, instance, **kwargs):
    forget_tokens([instance.key])


def user_saved(sender, instance, update_fields=None, **kwargs):
    # Signing in to the console writes last_login alone: nothing a token answer holds.
    if update_fields and set(update_fields) <= {"last_login"}:
        return
    forget_users([instance.pk])


def profile_changed(sender, instance, **kwargs):
    forget_users([instance.user_id])


def user_relation_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A user's groups or own permissions; `reverse`: seen from the group or permission."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        forget_users([instance.pk])
    elif action == "pre_clear":
        forget_users(instance.user_set.values_list("pk", flat=True))
    else:
        forget_users(pk_set or ())


def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A group's permissions; `reverse`: seen from the permission (pk_set are groups)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        forget_users(_users_of_groups([instance.pk]))
    elif action == "pre_clear":
        forget_users(_users_of_groups(instance.group_set.values_list("pk", flat=True)))
    else:
        forget_users(_users_of_groups(pk_set or ()))


def group_deleted(sender, instance, **kwargs):
    forget_users(_users_of_groups([instance.pk]))


def permission_deleted(sender, instance, **kwargs):
    forget_users(_users_with_permissions([instance.pk]))


def connect_signals() -> None:
    from complaints.models import StaffProfile

    User = get_user_model()
    uid = "api-token-cache"
    post_delete.connect(token_deleted, sender=Token, dispatch_uid=f"{uid}-token")
    post_save.connect(user_saved, sender=User, dispatch_uid=f"{uid}-user")
    post_delete.connect(profile_changed, sender=StaffProfile, dispatch_uid=f"{uid}-profile-del")
    post_save.connect(profile_changed, sender=StaffProfile, dispatch_uid=f"{uid}-profile")
    m2m_changed.connect(
        user_relation_changed, sender=User.groups.through, dispatch_uid=f"{uid}-groups"
    )
    m2m_changed.connect(
        user_relation_changed, sender=User.user_permissions.through, dispatch_uid=f"{uid}-perms"
    )
    m2m_changed.connect(
        group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid=f"{uid}-group-perms",
    )
    pre_delete.connect(group_deleted, sender=Group, dispatch_uid=f"{uid}-group-del")
    pre_delete.connect(permission_deleted, sender=Permission, dispatch_uid=f"{uid}-perm-del")
