"""The access-code guessing limit holds under a burst of parallel guesses (issue 19 §9).

The limit used to be checked, then counted after the lookup: requests arriving together all
read the count before any of them wrote it, and a burst of parallel wrong codes got 20+
comparisons against a limit of 10. Now one Redis script adds the attempt and refuses it past
the limit in one atomic step, before the code is compared. Run against the production web
server (several processes and threads) on the test Redis.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from complaints import services
from tests.conftest import new_complaint
from tests.web_server import serving

LIMIT = 10
BURST = 40


@pytest.fixture
def web_server(transactional_db, tmp_path, settings):
    # Access codes are keyed hashes: the test and the server must share the key.
    settings.SECRET_KEY = "web-server-test-only"
    env = {
        "API_THROTTLE_CODE_GUESS": f"{LIMIT}/hour",
        "API_THROTTLE_CUSTOMER": "100000/min",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "8",
    }
    cache.clear()  # the server shares the test Redis: no count left from another test
    with serving(tmp_path, env=env) as base:
        yield base
    cache.clear()


def _get(url: str, code: str) -> int:
    request = urllib.request.Request(url, headers={"X-Access-Code": code})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_wrong_codes_gets_exactly_the_limit_of_comparisons(
    web_server, alice, org
):
    complaint, code = services.complaint_create(data=new_complaint(channel="api"), by=alice)
    url = f"{web_server}/api/v1/complaints/{complaint.ticket_no}/"
    start = threading.Barrier(BURST)

    def guess(n: int) -> int:
        start.wait()  # all at once
        return _get(url, f"WRONG{n:05d}")

    with ThreadPoolExecutor(BURST) as pool:
        answers = Counter(pool.map(guess, range(BURST)))
    assert answers == {404: LIMIT, 429: BURST - LIMIT}
    # Past the limit the address is refused for the rest of the window, even with the code.
    assert _get(url, code) == 429


@pytest.mark.django_db(transaction=True)
def test_right_codes_do_not_use_up_the_guessing_budget(web_server, alice, org):
    complaint, code = services.complaint_create(data=new_complaint(channel="api"), by=alice)
    url = f"{web_server}/api/v1/complaints/{complaint.ticket_no}/"
    with ThreadPoolExecutor(8) as pool:
        answers = Counter(pool.map(lambda _n: _get(url, code), range(3 * LIMIT)))
    assert answers == {200: 3 * LIMIT}
    assert [_get(url, "WRONG") for _ in range(LIMIT + 1)] == [404] * LIMIT + [429]
