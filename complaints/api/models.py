"""Idempotency keys of complaint submissions (the `Idempotency-Key` header).

Scoped to the client and stored hashed, with a hash of the body (another body is refused). The
access code is encrypted with a key derived from the Idempotency-Key, which is never stored: a
replay can return it, a copy of the database cannot.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    client = models.CharField(_("客户端"), max_length=80)
    key_hash = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("工单"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sealed_access_code = models.CharField(max_length=64, blank=True)
    # Indexed: the hourly purge deletes the oldest keys in batches by this column.
    created_at = models.DateTimeField(_("创建时间"), db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            # Two identical requests racing: the second INSERT waits for the first to commit,
            # then fails here and replays the winner's complaint.
            models.UniqueConstraint(fields=["client", "key_hash"], name="unique_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.key_hash[:8]}"
