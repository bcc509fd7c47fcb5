"""The staff directory: who works where, who heads which unit, how each person is reached.

Read once per sweep (or per assignment, for one unit) by every app that tells staff something.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class StaffDirectory:
    """Active staff by role and unit, and the unit tree with its heads."""

    unit_staff: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    unit_parent: dict[int, int | None] = field(default_factory=dict)
    unit_head: dict[int, int | None] = field(default_factory=dict)
    supervisors: list[int] = field(default_factory=list)
    email: dict[int, str] = field(default_factory=dict)
    phone: dict[int, str] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)

    @classmethod
    def load(cls) -> StaffDirectory:
        from django.contrib.auth import get_user_model

        from complaints.models import Role, StaffProfile, Unit

        directory = cls()
        for user_id, role, unit_id, phone, email in StaffProfile.objects.filter(
            user__is_active=True
        ).values_list("user_id", "role", "unit_id", "phone", "user__email"):
            directory.active.add(user_id)
            if role == Role.BRANCH and unit_id:
                directory.unit_staff[unit_id].append(user_id)
            if role == Role.SUPERVISOR:
                directory.supervisors.append(user_id)
            if email:
                directory.email[user_id] = email
            if phone:
                directory.phone[user_id] = phone
        # Unit heads need not have a staff profile of their own (a manager account).
        for unit_id, parent_id, head_id in Unit.objects.values_list("id", "parent_id", "head_id"):
            directory.unit_parent[unit_id] = parent_id
            directory.unit_head[unit_id] = head_id
        heads = {h for h in directory.unit_head.values() if h}
        for user_id, email in (
            get_user_model()
            .objects.filter(pk__in=heads - directory.active, is_active=True)
            .values_list("pk", "email")
        ):
            directory.active.add(user_id)
            if email:
                directory.email[user_id] = email
        return directory

    @classmethod
    def for_unit(cls, unit_id: int) -> StaffDirectory:
        """Just what an assignment notice needs: the unit's staff and the supervisors.

        One query, instead of the whole directory (every profile and every unit) per event.
        Unit heads are not loaded: head_of() answers None on this directory.
        """
        from django.db.models import Q

        from complaints.models import Role, StaffProfile

        directory = cls()
        for user_id, role, phone, email in StaffProfile.objects.filter(
            Q(role=Role.BRANCH, unit_id=unit_id) | Q(role=Role.SUPERVISOR), user__is_active=True
        ).values_list("user_id", "role", "phone", "user__email"):
            directory.active.add(user_id)
            if role == Role.BRANCH:
                directory.unit_staff[unit_id].append(user_id)
            else:
                directory.supervisors.append(user_id)
            if email:
                directory.email[user_id] = email
            if phone:
                directory.phone[user_id] = phone
        return directory

    def head_of(self, unit_id: int | None) -> int | None:
        """The unit's head, or the nearest head up the tree (a branch without one)."""
        seen = set()
        while unit_id and unit_id not in seen:
            seen.add(unit_id)
            head = self.unit_head.get(unit_id)
            if head and head in self.active:
                return head
            unit_id = self.unit_parent.get(unit_id)
        return None

    def managers(self, *, unit_id: int | None) -> list[int]:
        """The unit's head (or the nearest up the tree) and the supervisors: for management
        matters such as money owed to a customer (a claim timer's warning or breach)."""
        head = self.head_of(unit_id)
        return list(dict.fromkeys(([head] if head else []) + list(self.supervisors)))

    def channels(self, user_id: int, *, urgent: bool) -> list[str]:
        """In-app always; e-mail with an address; SMS only for what cannot wait (`urgent`)."""
        channels = ["in_app"]
        if user_id in self.email:
            channels.append("email")
        if urgent and user_id in self.phone:
            channels.append("sms")
        return channels
