"""Who acts: a staff user, the customer, or the system.

Every write service takes `by: Actor`. The customer and the system are plain strings rather
than users so that a service can be called from a public page or a worker with no login;
`complaints.services.authorization.authorize` decides what each may do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, TypeAlias, Union

if TYPE_CHECKING:  # neither is needed at run time
    from django.contrib.auth.models import User
    from typing_extensions import TypeIs

# Actors that are not staff users.
CUSTOMER: Final = "customer"
SYSTEM: Final = "system"

# A staff user (django.contrib.auth's User: `is_active`, `has_perm`, `.staff`), or one of the two.
Actor: TypeAlias = Union["User", Literal["customer", "system"]]


def is_user(by: Actor | None) -> TypeIs[User]:
    """Whether `by` is a user (any, active or not), not the customer, the system or nobody."""
    return by is not None and not isinstance(by, str)
