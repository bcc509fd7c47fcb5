# ruff: noqa: E501  (the matrix is a table: one route per line, one column per role)
"""Who may call what: every role × every API endpoint and staff page, for a complaint at branch A.

Read a row of EXPECTED as the specification of one route. The roles, left to right:

    anon   anonymous (no code, no token, no session)
    cust   the customer, with this ticket's access code (X-Access-Code)
    other  a customer with another ticket's access code
    ptnr   the integration partner's token (on pages: its session)
    agent  customer-service agent (客服坐席)
    own    branch staff of the complaint's unit (branch A)
    else   branch staff of another unit (branch B)
    sup    supervisor (质量监控主管)

Statuses: 200/201 done; 400 the (deliberately empty) input is refused — often before the
role's permission is checked, so a 400 here does not say the role may act: who may actually
*do* each write action, with a valid body, and that a refusal changes nothing, is
test_action_matrix.py; 409 let in, but not in this state; 401 who are you; 403 known but not
allowed; 404 not found — also what a caller gets for a ticket they may not see, so a code
guesser or another unit learns nothing; 302 to the login page.

The complaint is in 核实 at branch A, with an evidence file, a proposed ¥60 claim and a 12305
appeal (see world.py). Every URL pattern the resolver knows must be here
(test_it_covers_every_route): a new route fails the suite until someone writes down who may
call it. Each cell runs in its own savepoint, so a POST that succeeds in one cell does not
change the world of the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import SUBMISSION
from tests.security.world import ROLES

DASHBOARD_PATHS = (
    "",
    "api/kpis.json",
    "api/trend.json",
    "api/categories.json",
    "api/ranking.json",
    "api/heatmap.json",
    "api/lists.json",
    "export.csv",
    "export.xlsx",
)
T = "<ticket:ticket_no>"  # the API's ticket converter
S = "<str:ticket_no>"
CL = "<int:claim_id>"
PK = "<int:pk>"


@dataclass(frozen=True)
class Route:
    pattern: str  # as the resolver spells it
    method: str
    path: str  # {t} ticket, {c} claim, {a} appeal, {e} evidence token

    @property
    def kind(self) -> str:
        return "api" if self.pattern.startswith("api/v1/") else "page"


def _route(pattern: str, method: str = "GET", **fill: str) -> Route:
    path = pattern
    for name, value in fill.items():
        path = path.replace(f"<str:{name}>", value)
    path = (
        path.replace(T, "{t}")
        .replace(S, "{t}")
        .replace(CL, "{c}")
        .replace(PK, "{a}")
        .replace("<str:token>", "{e}")
        .replace("<int:notice_id>", "{n}")
    )
    return Route(pattern, method, "/" + path)


API_ACTIONS = (
    "dispatch", "contact", "reply", "start_follow_up", "close", "reopen", "reassign", "reject",
    "withdraw", "pause", "resume", "escalate",
)  # fmt: skip

ROUTES: list[Route] = [
    _route("api/v1/complaints/"),
    _route("api/v1/complaints/", "POST"),
    _route(f"api/v1/complaints/{T}/"),
    _route(f"api/v1/complaints/{T}/evidence/", "POST"),
    _route(f"api/v1/complaints/{T}/chase/", "POST"),
    _route(f"api/v1/complaints/{T}/rating/", "POST"),
    _route(f"api/v1/complaints/{T}/reopen/", "POST"),
    *[_route(f"api/v1/complaints/{T}/actions/{name}/", "POST") for name in API_ACTIONS],
    _route("api/v1/compensation/quote/", "POST"),
    _route(f"api/v1/complaints/{S}/claims/"),
    _route(f"api/v1/complaints/{S}/claims/", "POST"),
    _route(f"api/v1/complaints/{S}/claims/{CL}/"),
    _route(f"api/v1/complaints/{S}/claims/{CL}/approve/", "POST"),
    _route(f"api/v1/complaints/{S}/claims/{CL}/reject/", "POST"),
    _route(f"api/v1/complaints/{S}/claims/{CL}/pay/", "POST"),
    _route("api/v1/appeals/eligibility/", "POST"),
    _route("api/v1/appeals/statistics/"),
    _route("api/v1/appeals/"),
    _route("api/v1/appeals/", "POST"),
    _route(f"api/v1/appeals/{PK}/"),
    _route(f"api/v1/appeals/{PK}/investigate/", "POST"),
    _route(f"api/v1/appeals/{PK}/report/"),
    _route(f"api/v1/appeals/{PK}/report/", "POST"),
    _route(f"api/v1/appeals/{PK}/report/draft/", "POST"),
    _route(f"api/v1/appeals/{PK}/report/send/", "POST"),
    _route(f"api/v1/appeals/{PK}/report.docx"),
    _route(f"api/v1/appeals/{PK}/mediation/", "POST"),
    _route(f"api/v1/appeals/{PK}/mediation/answer/", "POST"),
    _route(f"api/v1/appeals/{PK}/close/", "POST"),
    # --- staff pages ---
    _route(""),
    _route("console/"),
    _route("console/", "POST"),
    _route("console/earlier/"),
    _route(f"console/done/{S}/"),
    _route("queue/"),
    _route("queue/rows/"),
    _route("search/"),
    _route("notices/"),
    _route("notices/badge/"),
    _route("notices/read-all/", "POST"),
    _route("notices/<int:notice_id>/read/", "POST"),
    _route("notices/<int:notice_id>/open/", "POST"),
    *[_route(f"dashboard/{path}") for path in DASHBOARD_PATHS],
    _route(f"tickets/{S}/"),
    _route(f"tickets/{S}/do/<str:name>/", "POST", name="contact"),
    _route(f"tickets/{S}/reply-check/", "POST"),
    _route(f"tickets/{S}/reveal/", "POST"),
    _route(f"tickets/{S}/evidence/<str:token>/"),
    _route(f"compensation/complaints/{S}/claims/panel/"),
    _route(f"compensation/complaints/{S}/claims/quote/", "POST"),
    _route(f"compensation/complaints/{S}/claims/propose/", "POST"),
    _route(f"compensation/complaints/{S}/claims/{CL}/<str:action>/", "POST", action="approve"),
    _route("regulators/appeals/"),
    _route("regulators/appeals/new/"),
    _route("regulators/appeals/new/", "POST"),
    _route("regulators/statistics/"),
    _route("admin/"),
    _route("admin/complaints/complaint/"),
    _route("admin/complaints/complainttransition/"),
    _route("admin/complaints/personaldataaccess/"),
]  # fmt: skip

# fmt: off
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    #                                                                 anon cust other ptnr agent own else  sup
    ("api/v1/complaints/", "GET"):                                    (401, 401, 401, 403, 200, 200, 200, 200),
    # Anyone may complain (rate-limited per address); branch staff answer complaints, they do not take them.
    ("api/v1/complaints/", "POST"):                                   (201, 201, 201, 201, 201, 403, 403, 201),
    # A wrong or missing code is the same 404 as no ticket; a partner reads only with the customer's code.
    ("api/v1/complaints/<ticket:ticket_no>/", "GET"):                 (404, 200, 404, 403, 200, 200, 404, 200),
    # 415: let in, but evidence must be multipart (tests/security/test_hostile_uploads.py sends files).
    ("api/v1/complaints/<ticket:ticket_no>/evidence/", "POST"):       (404, 415, 404, 403, 415, 415, 404, 415),
    ("api/v1/complaints/<ticket:ticket_no>/chase/", "POST"):          (404, 200, 404, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/rating/", "POST"):         (404, 400, 404, 403, 400, 400, 404, 400),
    # The customer's "not satisfied" (issue 18): a reason is required before anything else.
    ("api/v1/complaints/<ticket:ticket_no>/reopen/", "POST"):         (404, 400, 404, 403, 400, 400, 404, 400),
    # Actions: staff tokens only; the role's permissions decide after the input (409: not in 核实's state).
    ("api/v1/complaints/<ticket:ticket_no>/actions/dispatch/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/contact/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reply/", "POST"):  (401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/start_follow_up/", "POST"):(401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/close/", "POST"):  (401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reopen/", "POST"): (401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reassign/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reject/", "POST"): (401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/withdraw/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/pause/", "POST"):  (401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<ticket:ticket_no>/actions/resume/", "POST"): (401, 401, 401, 403, 409, 409, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/escalate/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/compensation/quote/", "POST"):                           (401, 401, 401, 403, 400, 400, 400, 400),
    ("api/v1/complaints/<str:ticket_no>/claims/", "GET"):             (401, 401, 401, 403, 200, 200, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/claims/", "POST"):            (401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/", "GET"):(401, 401, 401, 403, 200, 200, 404, 200),
    # The ¥60 claim is below the ¥500 threshold: an agent may approve it; branch staff never.
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/approve/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/reject/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/pay/", "POST"):(401, 401, 401, 403, 400, 400, 404, 400),
    # Public: "may I appeal to 12305 yet?" (throttled per address).
    ("api/v1/appeals/eligibility/", "POST"):                          (400, 400, 400, 400, 400, 400, 400, 400),
    # 12305 appeals and the regulator's statistics: supervisors only.
    ("api/v1/appeals/statistics/", "GET"):                            (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/", "GET"):                                       (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/", "POST"):                                      (401, 401, 401, 403, 403, 403, 403, 400),
    ("api/v1/appeals/<int:pk>/", "GET"):                              (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/investigate/", "POST"):                 (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/report/", "GET"):                       (401, 401, 401, 403, 403, 403, 403, 405),
    ("api/v1/appeals/<int:pk>/report/", "POST"):                      (401, 401, 401, 403, 403, 403, 403, 405),
    ("api/v1/appeals/<int:pk>/report/draft/", "POST"):                (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/report/send/", "POST"):                 (401, 401, 401, 403, 403, 403, 403, 400),
    ("api/v1/appeals/<int:pk>/report.docx", "GET"):                   (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/mediation/", "POST"):                   (401, 401, 401, 403, 403, 403, 403, 400),
    ("api/v1/appeals/<int:pk>/mediation/answer/", "POST"):            (401, 401, 401, 403, 403, 403, 403, 400),
    ("api/v1/appeals/<int:pk>/close/", "POST"):                       (401, 401, 401, 403, 403, 403, 403, 400),
    # --- Staff pages: customers have no accounts (302 to the login page); partners are API-only:
    # a partner signed in with a password is refused (403, with why) on every page, the admin too.
    ("", "GET"):                                                      (302, 302, 302, 403, 302, 302, 302, 302),
    # The intake console: agents and supervisors (the partner's right to take complaints is the API's).
    ("console/", "GET"):                                              (302, 302, 302, 403, 200, 403, 403, 200),
    ("console/", "POST"):                                             (302, 302, 302, 403, 400, 403, 403, 400),
    ("console/earlier/", "GET"):                                      (302, 302, 302, 403, 200, 200, 200, 200),
    ("console/done/<str:ticket_no>/", "GET"):                         (302, 302, 302, 403, 200, 200, 404, 200),
    ("queue/", "GET"):                                                (302, 302, 302, 403, 200, 200, 200, 200),
    ("queue/rows/", "GET"):                                           (302, 302, 302, 403, 200, 200, 200, 200),
    ("search/", "GET"):                                               (302, 302, 302, 403, 200, 200, 200, 200),
    # Staff notices: every staff account has an inbox; a notice (bob's here) is only its owner's.
    ("notices/", "GET"):                                              (302, 302, 302, 403, 200, 200, 200, 200),
    ("notices/badge/", "GET"):                                        (302, 302, 302, 403, 200, 200, 200, 200),
    ("notices/read-all/", "POST"):                                    (302, 302, 302, 403, 302, 302, 302, 302),
    ("notices/<int:notice_id>/read/", "POST"):                        (302, 302, 302, 403, 404, 302, 404, 404),
    ("notices/<int:notice_id>/open/", "POST"):                        (302, 302, 302, 403, 404, 302, 404, 404),
    # The dashboard: supervisors see every unit; branch staff only their own unit's figures; agents none.
    # Its JSON endpoints answer 401 rather than a login redirect the charts could not follow.
    ("dashboard/", "GET"):                                            (302, 302, 302, 403, 403, 200, 200, 200),
    ("dashboard/api/kpis.json", "GET"):                               (401, 401, 401, 403, 403, 200, 200, 200),
    ("dashboard/api/trend.json", "GET"):                              (401, 401, 401, 403, 403, 200, 200, 200),
    ("dashboard/api/categories.json", "GET"):                         (401, 401, 401, 403, 403, 200, 200, 200),
    ("dashboard/api/ranking.json", "GET"):                            (401, 401, 401, 403, 403, 200, 200, 200),
    ("dashboard/api/heatmap.json", "GET"):                            (401, 401, 401, 403, 403, 200, 200, 200),
    ("dashboard/api/lists.json", "GET"):                              (401, 401, 401, 403, 403, 200, 200, 200),
    ("dashboard/export.csv", "GET"):                                  (302, 302, 302, 403, 403, 200, 200, 200),
    ("dashboard/export.xlsx", "GET"):                                 (302, 302, 302, 403, 403, 200, 200, 200),
    ("tickets/<str:ticket_no>/", "GET"):                              (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/do/<str:name>/", "POST"):               (302, 302, 302, 403, 400, 400, 404, 400),
    ("tickets/<str:ticket_no>/reply-check/", "POST"):                 (302, 302, 302, 403, 403, 200, 404, 200),
    ("tickets/<str:ticket_no>/reveal/", "POST"):                      (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/evidence/<str:token>/", "GET"):         (302, 302, 302, 403, 200, 200, 404, 200),
    ("compensation/complaints/<str:ticket_no>/claims/panel/", "GET"): (302, 302, 302, 403, 200, 200, 404, 200),
    ("compensation/complaints/<str:ticket_no>/claims/quote/", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    ("compensation/complaints/<str:ticket_no>/claims/propose/", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    # The panel answers 200 and shows a refusal inside it (htmx swaps the panel); branch staff's approval is refused.
    ("compensation/complaints/<str:ticket_no>/claims/<int:claim_id>/<str:action>/", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    ("regulators/appeals/", "GET"):                                   (302, 302, 302, 403, 403, 403, 403, 200),
    # Registering a forwarded appeal in the browser: the supervisor (the regulator liaison) only.
    ("regulators/appeals/new/", "GET"):                               (302, 302, 302, 403, 403, 403, 403, 200),
    ("regulators/appeals/new/", "POST"):                              (302, 302, 302, 403, 403, 403, 403, 400),
    ("regulators/statistics/", "GET"):                                (302, 302, 302, 403, 403, 403, 403, 200),
    # The admin: only the supervisor is an admin user (is_staff), as in the demo data.
    ("admin/", "GET"):                                                (302, 302, 302, 403, 302, 302, 302, 200),
    ("admin/complaints/complaint/", "GET"):                           (302, 302, 302, 403, 302, 302, 302, 200),
    ("admin/complaints/complainttransition/", "GET"):                 (302, 302, 302, 403, 302, 302, 302, 200),
    ("admin/complaints/personaldataaccess/", "GET"):                  (302, 302, 302, 403, 302, 302, 302, 200),
}
# fmt: on

# Public by design, the same for everyone: (pattern, method, status for an anonymous caller).
PUBLIC = {
    ("healthz", "GET"): 200,
    ("accounts/login/", "GET"): 200,
    ("accounts/logout/", "POST"): 302,
    ("i18n/setlang/", "POST"): 302,
    ("api/schema/", "GET"): 200,
    ("api/docs/", "GET"): 200,
}
# Django's admin has ~150 generated routes; its own permission check guards them all. The
# matrix checks its index and the audit changelists above, and the admin's refusal to change
# or delete audit rows is in test_audit_trail.py.
ADMIN_PREFIX = "admin/"


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


# Routes where the input decides more than access: these get a valid body, so that the row
# says who may do it (every other POST is sent `{}`, and 400 means "let in").
BODIES = {("api/v1/complaints/", "POST"): SUBMISSION}


def _call(world, route: Route, role: str):
    path = route.path.format(
        t=world.ticket_no,
        c=world.claim_id,
        a=world.appeal_id,
        e=world.evidence_token,
        n=world.notice_id,
    )
    if route.kind == "api":
        client = world.api_client(role)
        if route.method == "GET":
            return client.get(path)
        return client.post(path, BODIES.get((route.pattern, route.method), {}), format="json")
    client = world.page_client(role)
    if route.method == "GET":
        return client.get(path)
    return client.post(path, {})


def test_it_covers_every_route():
    known = {route.pattern for route in ROUTES} | {pattern for pattern, _ in PUBLIC}
    missing = [
        pattern
        for pattern in _walk(get_resolver())
        if pattern not in known and not pattern.startswith(ADMIN_PREFIX)
    ]
    assert missing == [], f"routes without a row in the access matrix: {missing}"
    assert set(EXPECTED) == {(route.pattern, route.method) for route in ROUTES}


def test_it_answers_each_role_as_the_matrix_says(world):
    wrong = []
    for route in ROUTES:
        for role, expected in zip(ROLES, EXPECTED[(route.pattern, route.method)], strict=True):
            savepoint = transaction.savepoint()
            try:
                status = _call(world, route, role).status_code
            finally:
                transaction.savepoint_rollback(savepoint)
            if status != expected:
                wrong.append(
                    f"{route.method} {route.pattern} as {role}: {status}, expected {expected}"
                )
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(("pattern", "method"), sorted(PUBLIC))
def test_it_keeps_public_routes_public(pattern, method, client, db):
    response = client.get(f"/{pattern}") if method == "GET" else client.post(f"/{pattern}")
    assert response.status_code == PUBLIC[(pattern, method)]


def test_it_answers_another_units_staff_exactly_as_a_missing_ticket(world):
    """Branch B learns nothing about branch A's ticket: same status and body as no ticket."""
    client = world.api_client("branch_other_unit")
    theirs = client.get(f"/api/v1/complaints/{world.ticket_no}/")
    missing = client.get("/api/v1/complaints/TS20990101999999/")
    assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)


def test_it_does_not_serve_the_media_folder():
    # Evidence leaves only through the ticket page's download view (access checked, attachment
    # headers); no route may serve MEDIA_ROOT directly.
    assert not [p for p in _walk(get_resolver()) if p.startswith("media")]
