"""Saved views at the service level (complaints.services.saved_views, docs/console.md).

Who may save, share, rename and delete a view; how a name is cleaned and bounded; which views a
user sees (their own, then those their unit's head shared, bounded) and how that list is cached
under a generation number that every change bumps. Each refusal: exact class, Chinese message,
field, and nothing stored; the web and API tests (tests/web, tests/api) cover the pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from complaints.models import Role, SavedView, Unit
from complaints.services import saved_views as sv
from kernel.errors import InvalidInput, NotAllowed, NotFound
from tests.conftest import _user
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

GEN = "saved_views:generation"
NO_LIST = "您没有工单列表，不能保存视图。"
LOG_IN = "请先登录。"
NO_NAME = "请填写视图名称。"
TOO_LONG = "视图名称不能超过40个字。"
BAD_LIST = "列表无效：可选 queue（工单队列）或 console（客服工作台）。"
BAD_QUERY = "筛选条件格式不正确。"
SAME_NAME = "已有同名的视图。"
FULL = "每个列表最多保存20个视图，请先删除不用的。"
SUPERVISOR_SHARE = "质量监控主管的视图仅限个人使用，不能共享给单位。"
HEAD_ONLY = "只有单位负责人可以把视图共享给本单位。"
SHARED_BY_HEAD = "这是单位负责人共享的视图，只有创建人可以修改或删除。"
GONE = "视图不存在。"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The generation and the cached lists live in Redis, which outlives each test's rollback.
    cache.clear()
    yield
    cache.clear()


def _redis_ttl(key: str) -> int:
    """Seconds left on a cache key in Redis (-1: never expires, -2: absent)."""
    full = cache.make_and_validate_key(key)
    return cache._cache.get_client(full).ttl(full)


def _view(owner, name, *, list_name="queue", query="due=4h", shared_unit=None, **extra):
    return SavedView.objects.create(
        owner=owner, list=list_name, name=name, query=query, shared_unit=shared_unit, **extra
    )


def _names(views):
    return [v.name for v in views]


def _refused(exc_info, cls, message, field=None):
    exc = exc_info.value
    assert type(exc) is cls
    assert str(exc) == message and exc.message == message
    assert exc.field_errors == ({field: message} if field else {})


@pytest.fixture
def dora(org):
    """A second member of branch A (bob's colleague)."""
    return _user("dora", Role.BRANCH, org["a"])


@pytest.fixture
def head(bob, org):
    """bob heads branch A, his own unit."""
    Unit.objects.filter(pk=org["a"].pk).update(head=bob)
    return bob


# --- who has a work list -------------------------------------------------------------------


def test_every_role_with_a_list_and_a_superuser_may_save(alice, bob, sam):
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    for user in (alice, bob, sam, root):
        view = sv.saved_view_create(by=user, list_name="queue", name="我的", query="")
        assert view.owner == user


def test_a_superuser_without_a_staff_profile_lists_shares_and_is_refused_like_anyone(head, org):
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    shared = _view(head, "shared-a", shared_unit=org["a"])
    _view(root, "root-own")
    assert _names(sv.saved_views_for(root, "queue")) == ["root-own"]
    with nothing_changed(), pytest.raises(NotFound) as refused:
        sv.saved_view_rename(view_id=shared.pk, by=root, name="改掉")
    _refused(refused, NotFound, GONE)
    Unit.objects.filter(pk=org["b"].pk).update(head=root)
    view = sv.saved_view_create(by=root, list_name="queue", name="共享", query="", share=True)
    assert SavedView.objects.get(pk=view.pk).shared_unit_id == org["b"].pk


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("none", LOG_IN),
        ("anonymous", LOG_IN),
        ("customer", LOG_IN),
        ("nobody", NO_LIST),  # logged in, no staff profile
        ("pat", NO_LIST),  # an integration partner has no work list
    ],
)
def test_someone_without_a_work_list_is_refused_and_nothing_is_saved(who, message, request):
    by = {"none": None, "anonymous": AnonymousUser(), "customer": "customer"}.get(who)
    if by is None and who != "none":
        by = request.getfixturevalue(who)
    with nothing_changed(), pytest.raises(NotAllowed) as refused:
        sv.saved_view_create(by=by, list_name="queue", name="我的", query="")
    _refused(refused, NotAllowed, message)
    assert cache.get(GEN) is None


# --- creating: every field, canonical query, cache bump -------------------------------------


def test_a_view_is_stored_with_its_owner_list_clean_name_and_canonical_query(
    bob, django_capture_on_commit_callbacks
):
    cache.set(GEN, 5, None)
    with django_capture_on_commit_callbacks(execute=True):
        view = sv.saved_view_create(
            by=bob, list_name="console", name="  超时\x00件 ", query="due=overdue&flag=urgent"
        )
        assert cache.get(GEN) == 6  # bumped at once...
    assert cache.get(GEN) == 7  # ...and again after the commit
    stored = SavedView.objects.get()
    assert stored.pk == view.pk
    assert (stored.owner_id, stored.list, stored.name, stored.query, stored.shared_unit_id) == (
        bob.pk,
        "console",
        "超时件",
        "flag=urgent&due=overdue",
        None,
    )


def test_the_first_change_starts_the_generation_at_one_that_never_expires(
    bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sv.saved_view_create(by=bob, list_name="queue", name="一", query="")
        assert cache.get(GEN) == 1
        assert _redis_ttl(GEN) == -1
    assert cache.get(GEN) == 2
    assert _redis_ttl(GEN) == -1


@pytest.mark.parametrize(
    ("kwargs", "cls", "message", "field"),
    [
        ({"list_name": "elsewhere"}, InvalidInput, BAD_LIST, "list"),
        ({"list_name": None}, InvalidInput, BAD_LIST, "list"),
        ({"list_name": ["queue"]}, InvalidInput, BAD_LIST, "list"),
        ({"name": ""}, InvalidInput, NO_NAME, "name"),
        ({"name": " \t "}, InvalidInput, NO_NAME, "name"),
        ({"name": "\x00\x00"}, InvalidInput, NO_NAME, "name"),
        ({"name": None}, InvalidInput, NO_NAME, "name"),
        ({"name": 123}, InvalidInput, NO_NAME, "name"),
        ({"name": "名" * 41}, InvalidInput, TOO_LONG, "name"),
        ({"name": " " + "名" * 41 + " "}, InvalidInput, TOO_LONG, "name"),
        ({"query": None}, InvalidInput, BAD_QUERY, "query"),
        ({"query": {"due": "4h"}}, InvalidInput, BAD_QUERY, "query"),
        ({"query": "status=lost"}, InvalidInput, "筛选条件有误：状态“lost”无效。", "query"),
        ({"share": True}, NotAllowed, HEAD_ONLY, None),  # bob does not head a unit
    ],
)
def test_a_wrong_view_is_refused_with_its_message_and_field_and_nothing_is_saved(
    bob, kwargs, cls, message, field
):
    call = {"by": bob, "list_name": "queue", "name": "好名字", "query": "due=4h", **kwargs}
    with nothing_changed(), pytest.raises(cls) as refused:
        sv.saved_view_create(**call)
    _refused(refused, cls, message, field)
    assert cache.get(GEN) is None


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("名" * 40, "名" * 40),  # at the limit
        ("  " + "名" * 40 + "\x00 ", "名" * 40),  # the limit counts after cleaning
        ("a\x00b", "ab"),
        ("x", "x"),
    ],
)
def test_a_name_up_to_forty_characters_after_cleaning_is_kept(bob, given, stored):
    view = sv.saved_view_create(by=bob, list_name="queue", name=given, query="")
    view.refresh_from_db()
    assert view.name == stored


def test_twenty_views_per_list_and_the_twenty_first_is_refused(bob, alice):
    for i in range(19):
        _view(bob, f"v{i:02d}")
    for i in range(20):  # other lists and other people do not count
        _view(bob, f"c{i:02d}", list_name="console")
        _view(alice, f"a{i:02d}")
    twentieth = sv.saved_view_create(by=bob, list_name="queue", name="第二十个", query="")
    assert SavedView.objects.filter(owner=bob, list="queue").count() == 20
    assert twentieth.name == "第二十个"
    cache.set(GEN, 3, None)
    with nothing_changed(), pytest.raises(InvalidInput) as refused:
        sv.saved_view_create(by=bob, list_name="queue", name="第二十一个", query="")
    _refused(refused, InvalidInput, FULL, "name")
    assert cache.get(GEN) == 3
    # The same name in another list, or another person's, is fine.
    sv.saved_view_create(by=alice, list_name="console", name="v00", query="")


def test_a_second_view_of_the_same_name_in_the_same_list_is_refused(bob, alice):
    _view(bob, "紧急")
    cache.set(GEN, 3, None)
    with nothing_changed(), pytest.raises(InvalidInput) as refused:
        sv.saved_view_create(by=bob, list_name="queue", name=" 紧急 ", query="flag=urgent")
    _refused(refused, InvalidInput, SAME_NAME, "name")
    assert cache.get(GEN) == 3
    assert sv.saved_view_create(by=bob, list_name="console", name="紧急", query="").list == (
        "console"
    )
    assert sv.saved_view_create(by=alice, list_name="queue", name="紧急", query="").owner == alice


# --- sharing --------------------------------------------------------------------------------


def test_a_head_shares_with_their_own_unit(head, org):
    view = sv.saved_view_create(by=head, list_name="queue", name="共享", query="", share=True)
    view.refresh_from_db()
    assert view.shared_unit_id == org["a"].pk


def test_a_head_of_one_unit_other_than_their_own_shares_with_that_unit(bob, alice, org):
    Unit.objects.filter(pk=org["b"].pk).update(head=bob)  # bob works in A, heads B
    Unit.objects.filter(pk=org["region"].pk).update(head=alice, is_active=False)
    view = sv.saved_view_create(by=bob, list_name="queue", name="共享", query="", share=True)
    assert SavedView.objects.get(pk=view.pk).shared_unit_id == org["b"].pk
    # An agent heading one unit shares with it; an inactive unit does not count.
    Unit.objects.filter(pk=org["company"].pk).update(head=alice)
    view = sv.saved_view_create(by=alice, list_name="queue", name="共享", query="", share=True)
    assert SavedView.objects.get(pk=view.pk).shared_unit_id == org["company"].pk


def test_a_head_of_several_units_shares_with_their_own_one(carol, org):
    Unit.objects.filter(pk__in=[org["a"].pk, org["b"].pk]).update(head=carol)  # carol is in B
    view = sv.saved_view_create(by=carol, list_name="queue", name="共享", query="", share=True)
    assert SavedView.objects.get(pk=view.pk).shared_unit_id == org["b"].pk


def test_a_head_of_many_units_shares_with_their_own_whatever_the_others_codes(carol, org):
    extra = Unit.objects.create(
        code="AA", name="网点丙", kind=Unit.Kind.BRANCH, parent=org["region"]
    )
    Unit.objects.filter(pk__in=[org["a"].pk, extra.pk, org["b"].pk]).update(head=carol)
    view = sv.saved_view_create(by=carol, list_name="queue", name="共享", query="", share=True)
    assert SavedView.objects.get(pk=view.pk).shared_unit_id == org["b"].pk  # B, not A or AA


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("supervisor heading a unit", SUPERVISOR_SHARE),
        ("heads two units, neither their own", HEAD_ONLY),
        ("heads only an inactive unit", HEAD_ONLY),
        ("agent heading nothing", HEAD_ONLY),
    ],
)
def test_sharing_is_refused_with_its_message_and_nothing_is_saved(
    case, message, sam, bob, alice, org
):
    by = {"supervisor": sam, "heads two": bob, "heads only": bob, "agent": alice}
    by = next(user for prefix, user in by.items() if case.startswith(prefix))
    if case.startswith("supervisor"):
        Unit.objects.filter(pk=org["company"].pk).update(head=sam)
    elif case.startswith("heads two"):
        Unit.objects.filter(pk__in=[org["b"].pk, org["region"].pk]).update(head=bob)
    elif case.startswith("heads only"):
        Unit.objects.filter(pk=org["a"].pk).update(head=bob, is_active=False)
    with nothing_changed(), pytest.raises(NotAllowed) as refused:
        sv.saved_view_create(by=by, list_name="queue", name="共享", query="", share=True)
    _refused(refused, NotAllowed, message)


# --- who sees which views -------------------------------------------------------------------


def test_a_member_sees_their_own_then_their_units_shared_views_by_name(head, dora, carol, org):
    _view(dora, "b-own")
    _view(dora, "a-own")
    _view(dora, "own-console", list_name="console")
    _view(head, "z-shared", shared_unit=org["a"])
    _view(head, "c-shared", shared_unit=org["a"])
    _view(head, "head-personal")
    _view(carol, "b-shared", shared_unit=org["b"])
    _view(carol, "carol-personal")
    _view(head, "console-shared", list_name="console", shared_unit=org["a"])
    assert _names(sv.saved_views_for(dora, "queue")) == ["a-own", "b-own", "c-shared", "z-shared"]
    assert _names(sv.saved_views_for(dora, "console")) == ["own-console", "console-shared"]
    assert _names(sv.saved_views_for(carol, "queue")) == ["b-shared", "carol-personal"]


def test_an_agent_or_a_supervisor_sees_only_their_own(alice, sam, bob, org):
    _view(alice, "b-mine")
    _view(alice, "a-mine")
    _view(sam, "sam-mine")
    _view(bob, "bob-personal")
    _view(bob, "to-company", shared_unit=org["company"])
    _view(bob, "to-a", shared_unit=org["a"])
    assert _names(sv.saved_views_for(alice, "queue")) == ["a-mine", "b-mine"]
    assert _names(sv.saved_views_for(sam, "queue")) == ["sam-mine"]


def test_own_views_are_all_listed_and_shared_ones_at_most_ten(dora, head, org):
    for i in range(12):
        _view(head, f"s{i:02d}", shared_unit=org["a"])
    for i in range(11, -1, -1):
        _view(dora, f"o{i:02d}")
    views = sv.saved_views_for(dora, "queue")
    assert _names(views) == [f"o{i:02d}" for i in range(12)] + [f"s{i:02d}" for i in range(10)]


def test_a_member_with_the_most_own_views_sees_every_one_of_them_and_ten_shared(dora, head, org):
    for i in range(11):
        _view(head, f"a{i:02d}", shared_unit=org["a"])  # shared names sort before the own ones
    for i in range(20):
        _view(dora, f"o{i:02d}")
    views = sv.saved_views_for(dora, "queue")
    assert _names(views) == [f"o{i:02d}" for i in range(20)] + [f"a{i:02d}" for i in range(10)]


def test_a_shared_views_unit_is_read_with_the_list_in_one_query(
    dora, head, org, django_assert_num_queries
):
    _view(head, "shared", shared_unit=org["a"])
    _view(dora, "own")
    dora = get_user_model().objects.select_related("staff").get(pk=dora.pk)
    with django_assert_num_queries(1):
        views = sv.saved_views_for(dora, "queue")
        assert [v.shared_unit.code if v.shared_unit else None for v in views] == [None, "A"]


# --- the cached list ------------------------------------------------------------------------


def test_the_list_is_cached_under_the_generation_until_a_change_bumps_it(
    dora, head, org, django_capture_on_commit_callbacks
):
    _view(dora, "first")
    views = sv.saved_views_for(dora, "queue")
    assert cache.get(GEN) == 1
    assert _redis_ttl(GEN) == -1
    key = f"saved_views:1:{dora.pk}:{org['a'].pk}:queue"
    assert _names(cache.get(key)) == ["first"]
    assert 3590 <= _redis_ttl(key) <= 3600
    _view(dora, "second")  # written behind the service's back: the cached list stands
    assert _names(sv.saved_views_for(dora, "queue")) == _names(views) == ["first"]
    # Each user has their own cached list.
    _view(head, "heads-own")
    assert _names(sv.saved_views_for(head, "queue")) == ["heads-own"]
    with django_capture_on_commit_callbacks(execute=True):
        sv.saved_view_create(by=dora, list_name="queue", name="third", query="")
    assert _names(sv.saved_views_for(dora, "queue")) == ["first", "second", "third"]
    assert _names(cache.get(f"saved_views:3:{dora.pk}:{org['a'].pk}:queue")) == _names(
        sv.saved_views_for(dora, "queue")
    )


def test_a_list_is_cached_under_the_current_generation(alice):
    cache.set(GEN, 5, None)
    _view(alice, "mine")
    assert _names(sv.saved_views_for(alice, "console")) == []
    assert _names(sv.saved_views_for(alice, "queue")) == ["mine"]
    assert cache.get(GEN) == 5
    assert _names(cache.get(f"saved_views:5:{alice.pk}:None:queue")) == ["mine"]
    assert cache.get(f"saved_views:1:{alice.pk}:None:queue") is None


# --- renaming and deleting one's own --------------------------------------------------------


def test_the_owner_renames_a_view_and_only_its_name_and_time_change(
    bob, org, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(datetime(2026, 11, 1, 2, 0, tzinfo=UTC), tick=False)
    view = _view(bob, "旧名", query="flag=urgent")
    _view(bob, "新名", list_name="console")  # the same name in another list is fine
    cache.set(GEN, 5, None)
    later = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)
    time_machine.move_to(later, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        renamed = sv.saved_view_rename(view_id=str(view.pk), by=bob, name=" 新\x00名 ")
        assert cache.get(GEN) == 6
    assert cache.get(GEN) == 7
    assert renamed.pk == view.pk and renamed.name == "新名"
    stored = SavedView.objects.get(pk=view.pk)
    assert (stored.owner_id, stored.list, stored.name, stored.query, stored.shared_unit_id) == (
        bob.pk,
        "queue",
        "新名",
        "flag=urgent",
        None,
    )
    assert stored.updated_at == later
    assert stored.created_at == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def test_a_view_may_keep_its_own_name_and_take_another_persons(bob, alice):
    view = _view(bob, "同名")
    _view(bob, "别的")
    _view(alice, "爱丽丝的")
    assert sv.saved_view_rename(view_id=view.pk, by=bob, name="同名").name == "同名"
    assert sv.saved_view_rename(view_id=view.pk, by=bob, name="爱丽丝的").name == "爱丽丝的"
    assert SavedView.objects.get(pk=view.pk).name == "爱丽丝的"


@pytest.mark.parametrize(
    ("name", "message"),
    [("另一个", SAME_NAME), (" 另一个 ", SAME_NAME), ("", NO_NAME), ("名" * 41, TOO_LONG)],
)
def test_a_wrong_new_name_is_refused_and_nothing_changes(bob, name, message):
    view = _view(bob, "原名")
    _view(bob, "另一个")
    cache.set(GEN, 3, None)
    with nothing_changed(), pytest.raises(InvalidInput) as refused:
        sv.saved_view_rename(view_id=view.pk, by=bob, name=name)
    _refused(refused, InvalidInput, message, "name")
    assert cache.get(GEN) == 3


def test_the_owner_deletes_a_view(bob, django_capture_on_commit_callbacks):
    view = _view(bob, "删掉")
    kept = _view(bob, "留着")
    cache.set(GEN, 5, None)
    with django_capture_on_commit_callbacks(execute=True):
        assert sv.saved_view_delete(view_id=view.pk, by=bob) is None
        assert cache.get(GEN) == 6
    assert cache.get(GEN) == 7
    assert list(SavedView.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize(
    ("who", "which", "cls", "message"),
    [
        ("dora", "shared", NotAllowed, SHARED_BY_HEAD),  # sees it, may not change it
        ("dora", "personal", NotFound, GONE),  # does not see it
        ("carol", "shared", NotFound, GONE),  # another unit's
        ("alice", "personal", NotFound, GONE),
        ("alice", "alices-colleague", NotFound, GONE),  # an agent's unit is none
        ("sam", "shared", NotFound, GONE),
        ("nobody", "shared", NotAllowed, NO_LIST),
        ("none", "shared", NotAllowed, LOG_IN),
    ],
)
@pytest.mark.parametrize("change", ["rename", "delete"])
def test_a_view_one_does_not_own_cannot_be_renamed_or_deleted(
    change, who, which, cls, message, head, org, request
):
    views = {
        "shared": _view(head, "共享", shared_unit=org["a"]),
        "personal": _view(head, "个人"),
        "alices-colleague": _view(_user("eve", Role.AGENT), "同事的"),
    }
    by = None if who == "none" else request.getfixturevalue(who)
    cache.set(GEN, 3, None)
    with nothing_changed(), pytest.raises(cls) as refused:
        if change == "rename":
            sv.saved_view_rename(view_id=views[which].pk, by=by, name="改掉")
        else:
            sv.saved_view_delete(view_id=views[which].pk, by=by)
    _refused(refused, cls, message)
    assert cache.get(GEN) == 3


@pytest.mark.parametrize("view_id", ["abc", "", None, 0, -1, "1.5", 2**63, 2**63 - 1, 2**64])
def test_an_id_that_is_no_view_is_not_found(bob, view_id):
    # View 1 exists (bob's), so an id read wrongly as 1 would find it.
    _view(bob, "一号", pk=1)
    with nothing_changed(), pytest.raises(NotFound) as refused:
        sv.saved_view_rename(view_id=view_id, by=bob, name="改掉")
    _refused(refused, NotFound, GONE)


@pytest.mark.parametrize("pk", [1, 2**62])
def test_views_at_either_end_of_the_id_range_are_found(bob, pk):
    _view(bob, "边界", pk=pk)
    assert sv.saved_view_rename(view_id=pk, by=bob, name="改名").name == "改名"
    sv.saved_view_delete(view_id=str(pk), by=bob)
    assert not SavedView.objects.exists()
