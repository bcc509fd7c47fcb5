"""Who sees which figures: supervisors everything, branch staff their own unit, agents nothing."""

from __future__ import annotations

from dataclasses import dataclass

from complaints.models import Role, Unit
from kernel.errors import InvalidInput, NotAllowed


@dataclass(frozen=True)
class UnitTree:
    """All units in memory (a few hundred rows): parent links, names and kinds."""

    by_id: dict[int, tuple[str, str, int | None]]  # id → (name, kind, parent_id)
    children: dict[int | None, list[int]]

    @classmethod
    def load(cls) -> UnitTree:
        by_id, children = {}, {}
        for uid, name, kind, parent in Unit.objects.order_by("code").values_list(
            "id", "name", "kind", "parent_id"
        ):
            by_id[uid] = (name, kind, parent)
            children.setdefault(parent, []).append(uid)
        return cls(by_id, children)

    def subtree(self, unit_id: int) -> list[int]:
        out, stack = [], [unit_id]
        while stack:
            uid = stack.pop()
            out.append(uid)
            stack.extend(self.children.get(uid, ()))
        return out

    def path(self, unit_id: int | None) -> list[int]:
        """The unit and its ancestors, company first (for the breadcrumb)."""
        out = []
        while unit_id is not None:
            out.append(unit_id)
            unit_id = self.by_id[unit_id][2]
        return out[::-1]

    def name(self, unit_id: int) -> str:
        return self.by_id[unit_id][0] if unit_id in self.by_id else "未下发"

    def groups_under(self, unit_id: int | None) -> dict[int, int]:
        """Map every unit_key below the selection to the child unit it rolls up into.

        Nothing selected: the top-level units' children (regions under the company) — or the
        top-level units themselves when they have no children.
        """
        if unit_id is None:
            tops = self.children.get(None, [])
            kids = [k for t in tops for k in self.children.get(t, [])] or tops
        else:
            kids = self.children.get(unit_id, []) or [unit_id]
        return {leaf: kid for kid in kids for leaf in self.subtree(kid)}


def role_of(user) -> str | None:
    if user.is_superuser:
        return Role.SUPERVISOR
    profile = getattr(user, "staff", None)
    return profile.role if profile else None


def dashboard_unit(*, user, requested: str | None, tree: UnitTree) -> int | None:
    """The unit whose figures the user may see for this request (None = the whole company).

    Supervisors choose freely; branch staff always get their own unit (asking for another one
    is refused); everyone else is refused (SPEC §1: the dashboard is the supervisors').
    """
    role = role_of(user)
    wanted = None
    if requested:
        try:
            wanted = int(requested)
        except ValueError:
            raise InvalidInput("单位参数无效。", field_errors={"unit": "单位参数无效。"}) from None
        if wanted not in tree.by_id:
            raise InvalidInput("单位不存在。", field_errors={"unit": "单位不存在。"})
    if role == Role.SUPERVISOR:
        return wanted
    if role == Role.BRANCH:
        own = user.staff.unit_id
        if wanted is not None and wanted not in tree.subtree(own):
            raise NotAllowed("您只能查看本单位的统计数据。")
        return wanted or own
    raise NotAllowed("只有质量监控主管和网点人员可以查看统计看板。")


def can_see_dashboard(user) -> bool:
    return user.is_authenticated and role_of(user) in (Role.SUPERVISOR, Role.BRANCH)
