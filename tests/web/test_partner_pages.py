"""Partners are API-only: with a password they still get no staff page (SPEC §9).

The access matrix (tests/security/test_access_matrix.py) holds the 403 on every page; these
tests show what the partner reads and that the API stays open to them.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint
from tests.api.conftest import SUBMISSION

EXPLANATION = "接口合作方账号只能通过接口（API）提交投诉，不能使用员工页面。"


def test_it_refuses_a_partner_who_signs_in_with_a_password(pat):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "pat", "password": "pw-for-tests-only"}, follow=True
    )
    assert response.status_code == 403
    assert EXPLANATION in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/console/", "/queue/", "/search/?q=SF1", "/notices/", "/dashboard/", "/admin/"],
)
def test_it_explains_the_refusal_on_staff_pages(client_as, pat, url):
    response = client_as(pat).get(url)
    assert response.status_code == 403
    assert EXPLANATION in response.content.decode()


def test_it_takes_no_complaint_from_a_partner_on_the_intake_console(client_as, pat):
    response = client_as(pat).post(reverse("web:console"), SUBMISSION)
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_it_still_lets_the_partner_submit_through_the_api_and_sign_out(client_as, pat):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=pat).key}")
    assert api.post("/api/v1/complaints/", SUBMISSION, format="json").status_code == 201
    client = client_as(pat)
    assert client.post(reverse("logout")).status_code == 302


def test_it_still_lets_agents_and_supervisors_in(client_as, alice, sam):
    assert client_as(alice).get(reverse("web:console")).status_code == 200
    assert client_as(sam).get(reverse("web:console")).status_code == 200
