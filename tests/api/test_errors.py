"""Every failure under /api/ speaks the one error shape, whoever produced it."""

from __future__ import annotations

import re

import pytest

from .conftest import SUBMISSION


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/nothing-here/", 404),
        ("get", "/api/v1/complaints/not-a-ticket!/", 404),
        ("get", "/api/v1/complaints/%00/", 404),
        ("post", "/api/v1/complaints", 404),  # no trailing slash: no redirect, no DEBUG 500
        ("delete", "/api/v1/complaints/TS20990101000001/chase/", 405),
        ("put", "/api/v1/complaints/TS20990101000001/", 405),
    ],
)
def test_it_answers_outside_the_views_in_the_error_shape(api, db, method, path, status):
    response = getattr(api, method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]


def test_it_refuses_a_huge_upload_before_reading_it(api, db):
    response = api.generic(
        "POST",
        "/api/v1/complaints/TS20990101000001/evidence/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_it_turns_too_many_form_fields_into_400(api, db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{i}=1" for i in range(20))
    response = api.generic(
        "POST", "/api/v1/complaints/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed"


def test_it_accepts_a_form_submission_too(api, db):
    response = api.post("/api/v1/complaints/", SUBMISSION)  # multipart, as a plain web form
    assert response.status_code == 201


def test_it_serves_the_schema_and_the_docs_without_a_cdn(api, db):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/complaints/{ticket_no}/actions/reply/" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    # Every script and stylesheet comes from our own /static/: no address of another host. (A
    # bare "cdn" substring also matched, now and then, inside the page's random CSRF token.)
    sources = re.findall(rb'(?:src|href)\s*=\s*["\']([^"\']+)', docs.content)
    assert sources and not [s for s in sources if s.startswith((b"http:", b"https:", b"//"))]
    assert b"cdn." not in docs.content.lower() and b"jsdelivr" not in docs.content.lower()
