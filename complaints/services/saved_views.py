"""Saved views of a list (issue 20 §3): a named filter set, personal or shared with a unit.

Stored in canonical form by complaints.filters, so a saved view is exactly a URL the page would
build; the list of views is cached under a generation number so the queue keeps its five
queries. See docs/console.md, "Saved views".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from kernel.actors import Actor, is_user
from kernel.errors import InvalidInput, NotAllowed, NotFound

from .. import filters
from ..models import Role, SavedView, Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_OWN_VIEWS = 20
# Shown beside a user's own: a unit's shared views, the first by name.
MAX_SHARED_VIEWS = 10
_GENERATION_KEY = "saved_views:generation"
_CACHE_SECONDS = 3600


def _staff_role(user: Actor | None) -> str | None:
    profile = getattr(user, "staff", None)
    return str(profile.role) if profile else None


def _member_unit_id(user: Actor | None) -> int | None:
    profile = getattr(user, "staff", None)
    return int(profile.unit_id) if profile and profile.role == Role.BRANCH else None


def _visible(user: User, list_name: str) -> QuerySet[SavedView]:
    scope = Q(owner=user)
    unit_id = _member_unit_id(user)
    if unit_id is not None:
        scope |= Q(shared_unit_id=unit_id)
    return SavedView.objects.filter(scope, list=list_name)


def saved_views_for(user: User, list_name: str) -> list[SavedView]:
    """The user's own views of the list, then those shared with their unit (bounded)."""
    generation = cache.get(_GENERATION_KEY)
    if generation is None and cache.add(_GENERATION_KEY, 1, None):
        generation = 1
    key = f"saved_views:{generation}:{user.pk}:{_member_unit_id(user)}:{list_name}"
    if generation is not None:
        cached: list[SavedView] | None = cache.get(key)
        if cached is not None:
            return cached
    # Own views first (a head's shared ones included), so the bound never cuts one of them.
    views = list(
        _visible(user, list_name)
        .select_related("shared_unit")
        .order_by(Case(When(owner=user, then=Value(0)), default=Value(1)), "name")[
            : MAX_OWN_VIEWS + MAX_SHARED_VIEWS
        ]
    )
    own = [v for v in views if v.owner_id == user.pk]
    views = own + [v for v in views if v.owner_id != user.pk][:MAX_SHARED_VIEWS]
    if generation is not None:
        cache.set(key, views, _CACHE_SECONDS)
    return views


def _changed() -> None:
    """Make every cached list stale at once (views change rarely): now and after commit.

    The second bump drops a list that a page read between the first and the commit.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    if cache.add(_GENERATION_KEY, 1, None) is False:
        try:
            cache.incr(_GENERATION_KEY)
        except ValueError:
            cache.set(_GENERATION_KEY, 1, None)


def _clean_name(name: object) -> str:
    name = (name if isinstance(name, str) else "").replace("\x00", "").strip()
    if not name:
        raise InvalidInput(_("请填写视图名称。"), field_errors={"name": _("请填写视图名称。")})
    if len(name) > 40:
        message = _("视图名称不能超过40个字。")
        raise InvalidInput(message, field_errors={"name": message})
    return name


def _list_name(value: object) -> str:
    if not isinstance(value, str) or value not in SavedView.List.values:
        message = _("列表无效：可选 queue（工单队列）或 console（客服工作台）。")
        raise InvalidInput(message, field_errors={"list": message})
    return value


def _share_unit(by: User) -> Unit:
    """The unit `by` may share with: the one they head (a supervisor's views stay personal)."""
    if _staff_role(by) == Role.SUPERVISOR:
        raise NotAllowed(_("质量监控主管的视图仅限个人使用，不能共享给单位。"))
    profile = getattr(by, "staff", None)
    own_unit = profile.unit_id if profile else None
    # Their own unit first if they head it, however many other units they head.
    headed: list[Unit] = list(
        Unit.objects.filter(head=by, is_active=True).order_by(
            Case(When(pk=own_unit, then=Value(0)), default=Value(1)), "code"
        )[:2]
    )
    if headed and (headed[0].pk == own_unit or len(headed) == 1):
        return headed[0]
    raise NotAllowed(_("只有单位负责人可以把视图共享给本单位。"))


def require_list_user(by: Actor | None) -> User:
    """`by` if they have a work list (and so may save views of it), else NotAllowed."""
    if not is_user(by) or not by.is_authenticated:
        raise NotAllowed(_("请先登录。"))
    if not (by.is_superuser or _staff_role(by) in (Role.AGENT, Role.BRANCH, Role.SUPERVISOR)):
        raise NotAllowed(_("您没有工单列表，不能保存视图。"))
    return by


def saved_view_create(
    *, by: Actor, list_name: object, name: object, query: object, share: bool = False
) -> SavedView:
    """Save a filter set under a name; `share` puts it in the list of the unit `by` heads."""
    user = require_list_user(by)
    list_name = _list_name(list_name)
    name = _clean_name(name)
    if not isinstance(query, str):
        raise InvalidInput(
            _("筛选条件格式不正确。"), field_errors={"query": _("筛选条件格式不正确。")}
        )
    try:
        canonical = filters.parse(query).querystring()
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field_errors={"query": exc.message}) from exc
    shared_unit = _share_unit(user) if share else None
    with transaction.atomic():
        if SavedView.objects.filter(owner=user, list=list_name).count() >= MAX_OWN_VIEWS:
            message = _("每个列表最多保存%(n)d个视图，请先删除不用的。") % {"n": MAX_OWN_VIEWS}
            raise InvalidInput(message, field_errors={"name": message})
        try:
            with transaction.atomic():
                view = SavedView.objects.create(
                    owner=user,
                    list=list_name,
                    name=name,
                    query=canonical,
                    shared_unit=shared_unit,
                )
        except IntegrityError as exc:
            message = _("已有同名的视图。")
            raise InvalidInput(message, field_errors={"name": message}) from exc
    _changed()
    return view


def _own_view(view_id: int | str, by: Actor) -> SavedView:
    """The view `view_id` if `by` owns it; a view they see but do not own is refused."""
    user = require_list_user(by)
    try:
        number = int(view_id)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise NotFound(_("视图不存在。"))
    view: SavedView | None = SavedView.objects.filter(pk=number).first()
    if view is None:
        raise NotFound(_("视图不存在。"))
    if view.owner_id != user.pk:
        if view.shared_unit_id is not None and view.shared_unit_id == _member_unit_id(user):
            raise NotAllowed(_("这是单位负责人共享的视图，只有创建人可以修改或删除。"))
        raise NotFound(_("视图不存在。"))
    return view


@transaction.atomic
def saved_view_rename(*, view_id: int | str, by: Actor, name: object) -> SavedView:
    view = _own_view(view_id, by)
    name = _clean_name(name)
    if (
        SavedView.objects.filter(owner=view.owner_id, list=view.list, name=name)
        .exclude(pk=view.pk)
        .exists()
    ):
        message = _("已有同名的视图。")
        raise InvalidInput(message, field_errors={"name": message})
    view.name = name
    view.save(update_fields=["name", "updated_at"])
    _changed()
    return view


@transaction.atomic
def saved_view_delete(*, view_id: int | str, by: Actor) -> None:
    view = _own_view(view_id, by)
    view.delete()
    _changed()
