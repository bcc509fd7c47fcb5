"""Signals other apps listen to, so regulators stays unaware of notifications.

Both are sent inside the transaction that made the change: receivers may only write to the
database (an outbox row, say) and must leave talking to the outside world to on_commit.
"""

from django.dispatch import Signal

# kwargs: appeal (the saved instance), event (str: "register", "investigate", "report", …),
# actor (User or None), details (dict).
appeal_changed = Signal()

# A deadline of an appeal is near or past. kwargs: appeal, kind ("company_report",
# "mediation_feedback", "regulator_reply"), stage ("due_soon" | "overdue"), due_at (aware
# datetime), reminder (the AppealReminder row that claimed it: sent exactly once).
appeal_deadline_due = Signal()
