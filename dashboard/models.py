"""The daily rollup the dashboard reads instead of millions of complaints (issue 8).

One row per day (Asia/Shanghai) × responsible unit × category. Cohort columns describe the
complaints *accepted* that day and are recomputed whenever one of them changes; activity columns
(closed, breaches, claims) count what *happened* that day. How each KPI counts reopened, paused,
withdrawn and rejected complaints: docs/dashboard.md.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

# Upper bounds (hours) of the handling-time histogram buckets; the last bucket is open-ended.
# Hourly up to a day, then 6-hourly up to a week, then daily up to 30 days: p90 is read from it.
HANDLING_BUCKETS: tuple[int, ...] = (
    tuple(range(1, 25)) + tuple(range(30, 169, 6)) + tuple(range(192, 721, 24))
)


class DailyRollup(models.Model):
    """Aggregates of one day × unit × category; `unit_key` 0 means not yet dispatched."""

    day = models.DateField(_("日期"))
    unit_key = models.IntegerField(_("责任单位"), help_text=_("单位ID；0 表示尚未下发"))
    category = models.CharField(_("投诉类别"), max_length=16)

    # Cohort: complaints accepted this day.
    received = models.IntegerField(_("受理量"), default=0)
    rejected = models.IntegerField(_("不予受理"), default=0)
    withdrawn = models.IntegerField(_("撤诉"), default=0)
    handled = models.IntegerField(_("有效投诉"), default=0)
    urgent = models.IntegerField(_("重大紧急"), default=0)
    fr_decided = models.IntegerField(default=0)
    fr_on_time = models.IntegerField(default=0)
    res_decided = models.IntegerField(default=0)
    res_on_time = models.IntegerField(default=0)
    fu_decided = models.IntegerField(default=0)
    fu_on_time = models.IntegerField(default=0)
    justified_yes = models.IntegerField(default=0)
    sat_base = models.IntegerField(default=0)
    sat_yes = models.IntegerField(default=0)
    reply_judged = models.IntegerField(default=0)
    reply_valid = models.IntegerField(default=0)
    repeats = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    appealed = models.IntegerField(default=0)
    closed_cohort = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    handling_hist = ArrayField(models.IntegerField(), default=list)
    by_hour = ArrayField(models.IntegerField(), default=list)

    # Activity: what happened this day.
    closed = models.IntegerField(_("闭环量"), default=0)
    breaches = models.IntegerField(_("超时事件"), default=0)
    claims_proposed = models.IntegerField(default=0)
    claims_proposed_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    claims_approved = models.IntegerField(default=0)
    claims_approved_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    claims_paid = models.IntegerField(default=0)
    claims_paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit_key", "category"], name="dashboard_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_key} {self.category}"


class MonthlyRollup(models.Model):
    """The daily rows of one calendar month summed (long periods read 24 rows, not 730).

    Recomputed from DailyRollup whenever one of its days is; `by_dow_hour` keeps the heat map
    (ISO weekday × hour, 7 × 24) that the daily rows carry as day + by_hour.
    """

    month = models.DateField(_("月份"))
    unit_key = models.IntegerField(_("责任单位"))
    category = models.CharField(_("投诉类别"), max_length=16)
    received = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    urgent = models.IntegerField(default=0)
    fr_decided = models.IntegerField(default=0)
    fr_on_time = models.IntegerField(default=0)
    res_decided = models.IntegerField(default=0)
    res_on_time = models.IntegerField(default=0)
    fu_decided = models.IntegerField(default=0)
    fu_on_time = models.IntegerField(default=0)
    justified_yes = models.IntegerField(default=0)
    sat_base = models.IntegerField(default=0)
    sat_yes = models.IntegerField(default=0)
    reply_judged = models.IntegerField(default=0)
    reply_valid = models.IntegerField(default=0)
    repeats = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    appealed = models.IntegerField(default=0)
    closed_cohort = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    handling_hist = ArrayField(models.IntegerField(), default=list)
    by_dow_hour = ArrayField(models.IntegerField(), default=list)
    closed = models.IntegerField(default=0)
    breaches = models.IntegerField(default=0)
    claims_proposed = models.IntegerField(default=0)
    claims_proposed_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    claims_approved = models.IntegerField(default=0)
    claims_approved_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    claims_paid = models.IntegerField(default=0)
    claims_paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("月汇总")
        verbose_name_plural = _("月汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_key", "category"], name="dashboard_monthly_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_key} {self.category}"


class DirtyMark(models.Model):
    """A mark that a day's rollup rows are stale; the refresh task recomputes and removes it.

    A day has up to SLOTS marks, one per writer slot: every change upserts the mark of its
    slot and keeps that row locked until it commits, so the refresher's claim (a DELETE of the
    day's marks) waits for the change and then recomputes with it. With one row per day every
    submission of the day queued behind the previous one's commit for that row lock (a hard
    ceiling on submissions per second); concurrent writers now lock different rows.
    """

    SLOTS = 64

    day = models.DateField()
    slot = models.PositiveSmallIntegerField(default=0)
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("待重算日期")
        verbose_name_plural = _("待重算日期")
        constraints = [models.UniqueConstraint(fields=["day", "slot"], name="dashboard_mark_slot")]

    def __str__(self) -> str:
        return self.day.isoformat()


class RollupState(models.Model):
    """One row: the last SLA event the refresh task has looked at (events mark days dirty)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sla_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("汇总状态")
        verbose_name_plural = _("汇总状态")

    def __str__(self) -> str:
        return f"SLA事件 #{self.last_sla_event_id}"
