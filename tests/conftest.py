"""Shared test setup: named personas on a small organisation, and a clock to pass in.

Personas (as in healthchecks' test base):
- alice: customer-service agent (客服坐席)
- bob: branch staff of branch A (网点甲)
- carol: branch staff of branch B (网点乙)
- sam: supervisor (质量监控主管)
- pat: integration partner (API token user)
- nobody: a logged-in user without a staff profile
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection, reset_queries
from playwright.sync_api import expect

from complaints import services
from complaints.models import Role, StaffProfile, Unit


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "(none)")
    return f"database: {url.split('@')[-1] if '@' in url else url}"


_DATABASE = {"name": "not used"}

# Modules that are one scenario in steps (start the stack, use it, Ctrl-C, start it again):
# their tests keep the file's order when pytest-randomly shuffles the rest of the suite.
IN_FILE_ORDER = {"tests/test_dev_stack.py"}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config, items):
    collected = {item.nodeid: index for index, item in enumerate(items)}
    result = yield  # pytest-randomly shuffles inside (modules stay together)
    for module in IN_FILE_ORDER:
        where = [i for i, item in enumerate(items) if item.nodeid.startswith(f"{module}::")]
        in_order = sorted((items[i] for i in where), key=lambda item: collected[item.nodeid])
        for i, item in zip(where, in_order, strict=True):
            items[i] = item
    return result


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, remembering the database for the closing line. Only database tests
    set it up: the others run without a server (settings accept PostgreSQL only)."""
    with django_db_blocker.unblock():
        major, minor = divmod(connection.pg_version, 10000)
        _DATABASE["name"] = f"PostgreSQL {major}.{minor}"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"tests ran on database: {_DATABASE['name']}")
    # pytest-randomly shuffles the order (make test); say how to run this order again.
    seed = _random_seed(terminalreporter.config)
    if seed is not None:
        terminalreporter.write_line(
            f"random order: --randomly-seed={seed} "
            f'(again: make test PYTEST_ARGS="--randomly-seed={seed}")'
        )


def _random_seed(config):
    if not config.pluginmanager.hasplugin("randomly"):
        return None
    try:
        return config.getoption("randomly_seed")
    except ValueError:
        return None


# A page's assertions wait as long as its actions (15 s, tests/browser/conftest.py): on a loaded
# machine a server answer can take longer than Playwright's 5 s default (a reply's refusal was
# missed so in a CI run beside a mutation run); a missing element still fails, only later.
expect.set_options(timeout=15_000)

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def org(db):
    company = Unit.objects.create(code="C", name="测试公司", kind=Unit.Kind.COMPANY)
    region = Unit.objects.create(code="R", name="测试区域", kind=Unit.Kind.REGION, parent=company)
    branch_a = Unit.objects.create(code="A", name="网点甲", kind=Unit.Kind.BRANCH, parent=region)
    branch_b = Unit.objects.create(code="B", name="网点乙", kind=Unit.Kind.BRANCH, parent=region)
    return {"company": company, "region": region, "a": branch_a, "b": branch_b}


def _user(username: str, role: str | None, unit: Unit | None = None):
    User = get_user_model()
    user = User.objects.create_user(username=username, password="pw-for-tests-only")
    if role:
        StaffProfile.objects.create(user=user, role=role, unit=unit)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def alice(org):
    return _user("alice", Role.AGENT)


@pytest.fixture
def bob(org):
    return _user("bob", Role.BRANCH, org["a"])


@pytest.fixture
def carol(org):
    return _user("carol", Role.BRANCH, org["b"])


@pytest.fixture
def sam(org):
    return _user("sam", Role.SUPERVISOR, org["company"])


@pytest.fixture
def pat(org):
    return _user("pat", Role.PARTNER)


@pytest.fixture
def nobody(org):
    return _user("nobody", None)


def new_complaint(**overrides) -> services.NewComplaint:
    fields = {
        "tracking_no": "SF1234567890",
        "complainant_name": "测试客户",
        "phone": "13800000000",
        "party": "recipient",
        "category": "delay",
        "description": "快件超时三天未送达，物流信息不更新。",
        "channel": "phone",
    }
    fields.update(overrides)
    return services.NewComplaint(**fields)


GOOD_REPLY = services.ReplyInput(
    basic_facts="经查，该快件11月14日16:20收寄，次日到达网点甲，因分拣错误滞留一天。",
    handling="网点甲投诉专员于11月16日10:30电话联系客户，说明原因并致歉，当日安排专人派送。",
    result="快件已于11月16日15:00妥投，客户本人签收，表示认可。",
    customer_accepts=True,
    facts_confirmed=True,
    our_fault=True,
)


@pytest.fixture
def make_complaint(alice, now):
    """Create a complaint through the intake service (as alice unless told otherwise)."""

    def make(by=None, at=None, **overrides):
        complaint, _code = services.complaint_create(
            data=new_complaint(**overrides), by=by or alice, now=at or now
        )
        return complaint

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.2 s per user; the tests create many users and check no password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_query_log():
    # Django logs at most 9 000 queries per connection, and CaptureQueriesContext (so also
    # django_assert_num_queries) counts by the log's length: a log that earlier tests' captures
    # filled up makes a count come up short (16 statements read as 14). Start each test empty.
    reset_queries()


@pytest.fixture
def one_throttle_window():
    """Stop the clock inside one rate-limit window for a test that counts requests.

    The API's limits count per window of the clock (a minute, an hour): on the real clock a
    window can end between the requests of a count and let the last one through.
    """
    with time_machine.travel(datetime(2026, 11, 16, 2, 20, 30, tzinfo=UTC), tick=False):
        yield
