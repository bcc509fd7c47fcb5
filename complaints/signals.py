"""Signals other apps listen to, so complaints stays unaware of notifications and SLAs.

`complaint_changed` is sent inside the service's transaction, after the change and its audit
row are saved: receivers may only write to the database (an outbox row, say) and must leave
anything that talks to the outside world to `transaction.on_commit`.
"""

from django.dispatch import Signal

# kwargs: complaint (the saved instance), event (str: "created", a transition name, "contact",
# "pause", …), actor (User or None), details (dict), audit (the ComplaintTransition row written),
# reference (the kernel.refdata the service read for this change, or None: read it yourself).
complaint_changed = Signal()
