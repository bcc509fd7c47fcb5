"""Every write to a complaint goes through here.

Each service checks the actor (django-fsm does not enforce `permission=`), locks the row, runs
the transition, recomputes the deadlines, saves, audits and tells listeners in one transaction:
the second of two people acting at once gets a Conflict, never a silent overwrite. Callers use
the package; its modules: docs/architecture.md, "complaints — the complaint and the people…".
"""

from .assignment import (
    complaint_assign_handler,
    complaint_take,
    may_assign,
    may_take,
    staff_loads,
    staff_set_on_duty,
    unit_set_auto_assign,
)
from .authorization import (
    CUSTOMER,
    CUSTOMER_ACTIONS,
    SYSTEM,
    access_code_matches,
    authorize,
    get_for_customer,
    get_for_staff,
    hash_access_code,
    new_access_code,
)
from .category import complaint_set_category
from .flags import (
    RULING_EVENT,
    complaint_apply_ruling,
    complaint_chase,
    complaint_is_ruled,
    complaint_mark_escalated,
    complaint_mark_external,
    complaint_reinstate_for_appeal,
    complaint_set_justified,
    complaint_set_priority,
)
from .follow_up import (
    RATEABLE_STATES,
    UNSATISFIED_SCORE,
    CustomerReopen,
    complaint_rate,
    complaint_record_follow_up,
    complaint_reopen,
    complaint_reopen_by_customer,
    complaint_start_follow_up,
)
from .intake import (
    EarlierComplaint,
    NewComplaint,
    complaint_create,
    find_earlier_complaint,
    is_valid_tracking_no,
    normalize_tracking_no,
    validate_new_complaint,
)
from .pause import complaint_pause, complaint_resume
from .personal_data import complaint_record_access, complaint_reveal_personal_data
from .records import complaint_add_note, complaint_log_contact, complaint_log_event
from .steps import ACTION_LABELS
from .transitions import (
    ReplyInput,
    complaint_dispatch,
    complaint_reassign,
    complaint_reject,
    complaint_reply,
    complaint_withdraw,
)

__all__ = [
    "ACTION_LABELS",
    "CUSTOMER",
    "CUSTOMER_ACTIONS",
    "RATEABLE_STATES",
    "RULING_EVENT",
    "SYSTEM",
    "UNSATISFIED_SCORE",
    "CustomerReopen",
    "EarlierComplaint",
    "NewComplaint",
    "ReplyInput",
    "access_code_matches",
    "authorize",
    "complaint_add_note",
    "complaint_apply_ruling",
    "complaint_assign_handler",
    "complaint_chase",
    "complaint_create",
    "complaint_dispatch",
    "complaint_is_ruled",
    "complaint_log_contact",
    "complaint_log_event",
    "complaint_mark_escalated",
    "complaint_mark_external",
    "complaint_pause",
    "complaint_rate",
    "complaint_reassign",
    "complaint_record_access",
    "complaint_record_follow_up",
    "complaint_reinstate_for_appeal",
    "complaint_reject",
    "complaint_reopen",
    "complaint_reopen_by_customer",
    "complaint_reply",
    "complaint_resume",
    "complaint_reveal_personal_data",
    "complaint_set_category",
    "complaint_set_justified",
    "complaint_set_priority",
    "complaint_start_follow_up",
    "complaint_take",
    "complaint_withdraw",
    "find_earlier_complaint",
    "get_for_customer",
    "get_for_staff",
    "hash_access_code",
    "is_valid_tracking_no",
    "may_assign",
    "may_take",
    "new_access_code",
    "normalize_tracking_no",
    "staff_loads",
    "staff_set_on_duty",
    "unit_set_auto_assign",
    "validate_new_complaint",
]
