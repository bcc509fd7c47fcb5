"""In-app notices for staff: reading them and marking them read (the console's notices page).

The outbox writes notices as it delivers in-app messages (delivery._write_notices); staff only read
them and mark them read. Every query filters by the user first, on the `notice_inbox` index
(user, read_at, created_at), so the header's unread count costs one index-only count.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from kernel.errors import NotFound
from kernel.models import Notice


def notices_for(user):
    """The user's notices, newest first (own notices only, whatever the role)."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


@transaction.atomic
def notice_mark_read(*, notice_id: int, by, now: datetime | None = None) -> Notice:
    """Mark one of the user's notices read; another user's notice is "not found"."""
    if not 0 < notice_id < 2**63:
        raise NotFound(gettext("通知不存在。"))
    notice = Notice.objects.select_for_update(of=("self",)).filter(pk=notice_id, user=by).first()
    if notice is None:
        raise NotFound(gettext("通知不存在。"))
    if notice.read_at is None:  # reading twice keeps the first time
        notice.read_at = now or timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def notices_mark_all_read(*, by, now: datetime | None = None) -> int:
    """Mark every unread notice of the user read, in one UPDATE; return how many."""
    return Notice.objects.filter(user=by, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
