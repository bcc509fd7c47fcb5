"""Sign-in lock-out per username and per address, behind the configured proxies (issue 19 §11),
and full phone numbers kept out of URLs (access and proxy logs keep those).

The lock-out used to be keyed on username + address: password spraying (one password on many
usernames) was not slowed, a username's guesses from many addresses were not either, and
behind a proxy every client had the proxy's address.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from complaints.models import Role, StaffProfile
from tests.api.conftest import token_client

LOGIN = "/accounts/login/"
PASSWORD = "pw-for-tests-only"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8


def sign_in(username: str, password: str, *, address: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": address}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    client = Client(**headers)
    return client.post(LOGIN, {"username": username, "password": password})


def test_a_username_is_locked_whatever_address_the_guesses_come_from(alice):
    for n in range(5):
        # The failure that reaches the limit is answered with the lock-out page already.
        assert sign_in("alice", "wrong", address=f"203.0.113.{n}").status_code == (
            429 if n == 4 else 200
        )
    assert sign_in("alice", PASSWORD, address="198.51.100.1").status_code == 429
    # Another username from those addresses is not held back by alice's lock.
    assert sign_in("bob", PASSWORD, address="203.0.113.0").status_code in (200, 302)


def test_an_address_is_locked_whatever_usernames_it_tries(alice, org):
    users = [get_user_model().objects.create_user(f"staff{n}", password=PASSWORD) for n in range(8)]
    for n, user in enumerate(users):  # password spraying: one guess per username, one address
        response = sign_in(user.username, "Spring2026!", address="203.0.113.50")
        assert response.status_code == (429 if n == 7 else 200)
    assert sign_in("alice", PASSWORD, address="203.0.113.50").status_code == 429
    # The people themselves, from their own addresses, are not locked (one failure each).
    assert sign_in("staff0", PASSWORD, address="198.51.100.7").status_code == 302


def test_a_few_typos_behind_one_office_address_lock_nobody(alice, org):
    for n in range(4):
        user = get_user_model().objects.create_user(f"clerk{n}", password=PASSWORD)
        assert sign_in(user.username, "typo", address="203.0.113.60").status_code == 200
    assert sign_in("alice", PASSWORD, address="203.0.113.60").status_code == 302


def test_behind_a_trusted_proxy_the_client_address_is_the_one_the_proxy_saw(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for n in range(8):  # a sprayer behind the proxy, pretending to be many addresses
        response = sign_in(
            f"nobody{n}", "wrong", address=proxy, forwarded=f"192.0.2.{n}, 203.0.113.70"
        )
        assert response.status_code == (429 if n == 7 else 200)
    # The sprayer is locked out by its real address, whatever it writes in X-Forwarded-For…
    assert sign_in("alice", PASSWORD, address=proxy, forwarded="203.0.113.70").status_code == 429
    # …and the others behind the same proxy are not.
    assert sign_in("alice", PASSWORD, address=proxy, forwarded="203.0.113.71").status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(8):
        sign_in(f"nobody{n}", "wrong", address="203.0.113.80", forwarded=f"192.0.2.{n}")
    assert sign_in("alice", PASSWORD, address="203.0.113.80").status_code == 429


# --- Full phone numbers stay out of URLs --------------------------------------------------


@pytest.fixture
def agent_client(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_the_search_box_and_the_console_lookup_post_their_terms(agent_client):
    console = agent_client.get(reverse("web:console")).content.decode()
    assert 'hx-post="/console/earlier/"' in console and 'hx-get="/console/' not in console
    assert 'role="search" method="post" action="/search/"' in console
    search = agent_client.get(reverse("web:search")).content.decode()
    assert 'method="post" role="search"' in search


def test_a_phone_in_a_search_url_is_not_searched_nor_shown(agent_client, make_complaint):
    complaint = make_complaint(phone="13900001111")
    response = agent_client.get(reverse("web:search"), {"q": "13900001111"}, follow=True)
    assert response.redirect_chain == [(reverse("web:search"), 302)]
    page = response.content.decode()
    assert complaint.ticket_no not in page and "13900001111" not in page
    assert "电话号码不能放在网址中" in page
    page = agent_client.post(reverse("web:search"), {"q": "13900001111"}).content.decode()
    assert complaint.ticket_no in page


def test_the_console_lookup_reads_a_phone_from_the_body_only(agent_client, make_complaint):
    complaint = make_complaint(phone="13900002222")
    url = reverse("web:earlier")
    assert (
        complaint.ticket_no not in agent_client.get(url, {"phone": "13900002222"}).content.decode()
    )
    assert complaint.ticket_no in agent_client.post(url, {"phone": "13900002222"}).content.decode()


def test_the_api_refuses_a_phone_in_the_query_string_and_searches_it_by_post(alice, make_complaint):
    complaint = make_complaint(phone="13900003333")
    api = token_client(alice)
    response = api.get("/api/v1/complaints/", {"phone": "13900003333"})
    assert response.status_code == 400
    assert "POST /api/v1/complaints/search/" in response.json()["error"]["fields"]["phone"]
    response = api.post("/api/v1/complaints/search/", {"phone": "13900003333"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [r["ticket_no"] for r in body["results"]] == [complaint.ticket_no]
    assert body["next_cursor"] is None


def test_the_api_search_pages_with_a_cursor_in_the_body(alice, make_complaint):
    made = {
        make_complaint(tracking_no=f"SF00000000{n}", phone="13900004444").ticket_no
        for n in range(3)
    }
    api = token_client(alice)
    seen, cursor = [], None
    while True:
        body = {"phone": "13900004444", "page_size": 2, **({"cursor": cursor} if cursor else {})}
        page = api.post("/api/v1/complaints/search/", body, format="json").json()
        seen += [r["ticket_no"] for r in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)


def test_the_api_search_is_for_staff_only(api_client_for_partner, pat, make_complaint):
    response = api_client_for_partner.post(
        "/api/v1/complaints/search/", {"phone": "13900000000"}, format="json"
    )
    assert response.status_code == 403


@pytest.fixture
def api_client_for_partner(pat):
    StaffProfile.objects.filter(user=pat).update(role=Role.PARTNER)
    return token_client(pat)
