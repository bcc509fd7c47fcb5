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

Every write sends a valid body (BODIES, issue 19 §12), so a cell's status is about the caller,
never about what was sent: 200/201 done (302 for a page that redirects after doing it); 409
let in, but not in this state; 401 who are you; 403 known but not allowed; 404 not found —
also what a caller gets for a ticket they may not see, so a code guesser or another unit
learns nothing; 302 to the login page. A refused cell must leave every table and the media
folder as they were (the tables of every app: matrix_tables()). test_action_matrix.py runs
each action on an object in the state it starts from.

The complaint is in 核实 at branch A, with an evidence file, a proposed ¥60 claim and a 12305
appeal (see world.py). Every URL pattern the resolver knows must be here
(test_it_covers_every_route): a new route fails the suite until someone writes down who may
call it. Each cell runs in its own savepoint, so a POST that succeeds in one cell does not
change the world of the next.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from complaints import actions as action_registry
from tests import unchanged
from tests.api.conftest import SUBMISSION
from tests.security.world import PNG_1PX, ROLES

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
TICKET_RE = "(?P<ticket_no>[A-Za-z0-9]{1,24})"  # the journey's routes are regular expressions


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


# From the one registry of actions (issue 26 §2): a new action has no row below until written.
API_ACTIONS = tuple(action_registry.API_ACTIONS)

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
    _route("api/v1/complaints/search/", "POST"),
    # Issue 20 §3: bulk actions and the caller's saved views ({a} is no view's id).
    _route("api/v1/complaints/bulk/", "POST"),
    _route("api/v1/views/"),
    _route("api/v1/views/", "POST"),
    Route("api/v1/views/<int:view_id>/", "PATCH", "/api/v1/views/{a}/"),
    Route("api/v1/views/<int:view_id>/", "DELETE", "/api/v1/views/{a}/"),
    # The journey (issue 21): the TMS's signed push, a complaint's scans, the staff fragments.
    _route("api/v1/tracking/events/", "POST"),
    Route(f"api/v1/^complaints/{TICKET_RE}/journey/$", "GET", "/api/v1/complaints/{t}/journey/"),
    _route("tracking/lookup/"),
    Route(f"tracking/^tickets/{TICKET_RE}/$", "GET", "/tracking/tickets/{t}/"),
    Route(f"tracking/^tickets/{TICKET_RE}/refresh/$", "POST", "/tracking/tickets/{t}/refresh/"),
    Route("tracking/suggestions/<int:decision_id>/<str:choice>/", "POST", "/tracking/suggestions/{a}/accept/"),
    _route("api/v1/parcel-volumes/", "POST"),
    _route("api/v1/enquiries/", "POST"),
    _route(f"api/v1/enquiries/{PK}/resolve/", "POST"),
    _route(f"api/v1/enquiries/{PK}/convert/", "POST"),
    # --- staff pages ---
    _route(""),
    _route("console/"),
    _route("console/", "POST"),
    _route("console/earlier/"),
    _route(f"console/done/{S}/"),
    _route("queue/"),
    _route("queue/rows/"),
    _route("lists/views/", "POST"),
    Route("lists/views/<int:view_id>/<str:change>/", "POST", "/lists/views/{a}/rename/"),
    _route("lists/bulk/", "POST"),
    # The unit's team (issue 20 §2); {b} is bob, branch staff of branch A.
    _route("queue/team/"),
    Route("queue/team/duty/<int:user_id>/", "POST", "/queue/team/duty/{b}/"),
    _route("queue/team/settings/", "POST"),
    _route("api/v1/staff/me/duty/", "POST"),
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
    _route(f"tickets/{S}/evidence/<str:token>/view/"),
    _route(f"tickets/{S}/evidence/<str:token>/thumb/"),
    _route(f"tickets/{S}/print/"),
    _route(f"tickets/{S}/print.pdf"),
    _route(f"compensation/complaints/{S}/claims/panel/"),
    _route(f"compensation/complaints/{S}/claims/quote/", "POST"),
    _route(f"compensation/complaints/{S}/claims/propose/", "POST"),
    _route(f"compensation/complaints/{S}/claims/{CL}/<str:action>/", "POST", action="approve"),
    _route("regulators/appeals/"),
    _route("regulators/appeals/new/"),
    _route("regulators/appeals/new/", "POST"),
    _route("regulators/statistics/"),
    _route("regulators/indicators/"),
    _route("regulators/indicators.xlsx"),
    _route("regulators/volumes/import/", "POST"),
    _route("enquiries/"),
    _route("enquiries/", "POST"),
    _route(f"enquiries/{PK}/resolve/", "POST"),
    _route(f"enquiries/{PK}/convert/", "POST"),
    # Fault rulings (issue 22); {a} is no ruling's or dispute's id.
    _route("api/v1/rulings/"),
    Route("api/v1/rulings/<int:ruling_id>/", "GET", "/api/v1/rulings/{a}/"),
    Route("api/v1/rulings/<int:ruling_id>/disputes/", "POST", "/api/v1/rulings/{a}/disputes/"),
    _route(f"api/v1/complaints/{S}/rulings/"),
    _route(f"api/v1/complaints/{S}/rulings/", "POST"),
    _route("api/v1/disputes/"),
    Route("api/v1/disputes/<int:dispute_id>/", "GET", "/api/v1/disputes/{a}/"),
    Route("api/v1/disputes/<int:dispute_id>/decision/", "POST", "/api/v1/disputes/{a}/decision/"),
    _route("api/v1/ledger/"),
    _route("rulings/"),
    _route(f"rulings/complaints/{S}/panel/"),
    _route(f"rulings/complaints/{S}/record/", "POST"),
    _route("rulings/persons/"),
    Route("rulings/<int:ruling_id>/dispute/", "GET", "/rulings/{a}/dispute/"),
    Route("rulings/disputes/<int:dispute_id>/", "GET", "/rulings/disputes/{a}/"),
    Route("rulings/disputes/<int:dispute_id>/evidence/<str:token>/", "GET", "/rulings/disputes/{a}/evidence/{e}/"),
    _route("rulings/scorecard/"),
    _route("rulings/scorecard/export.xlsx"),
    Route("rulings/scorecard/<str:kind>/<int:key>/", "GET", "/rulings/scorecard/unit/{u}/"),
    # Reply templates and macros (issue 20 §1); {a} is no template's or macro's id.
    _route(f"api/v1/complaints/{S}/templates/"),
    Route(f"api/v1/complaints/{S}/templates/<str:template_id>/use/", "POST", "/api/v1/complaints/{t}/templates/{a}/use/"),
    _route(f"api/v1/complaints/{S}/macros/"),
    Route(f"api/v1/complaints/{S}/macros/<str:macro_id>/apply/", "POST", "/api/v1/complaints/{t}/macros/{a}/apply/"),
    _route("api/v1/templates/"),
    _route("api/v1/templates/", "POST"),
    Route("api/v1/templates/<str:template_id>/", "POST", "/api/v1/templates/{a}/"),
    Route("api/v1/templates/<str:template_id>/deactivate/", "POST", "/api/v1/templates/{a}/deactivate/"),
    _route("playbook/templates/"),
    _route("playbook/templates/", "POST"),
    Route("playbook/templates/<int:template_id>/", "GET", "/playbook/templates/{a}/"),
    Route("playbook/templates/<int:template_id>/", "POST", "/playbook/templates/{a}/"),
    Route("playbook/templates/<int:template_id>/off/", "POST", "/playbook/templates/{a}/off/"),
    _route(f"playbook/tickets/{S}/macros/"),
    Route(f"playbook/tickets/{S}/macros/<int:macro_id>/run/", "POST", "/playbook/tickets/{t}/macros/{a}/run/"),
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
    # Evidence: a real one-pixel PNG, multipart (hostile files: tests/security/test_hostile_uploads.py).
    ("api/v1/complaints/<ticket:ticket_no>/evidence/", "POST"):       (404, 201, 404, 403, 201, 201, 404, 201),
    ("api/v1/complaints/<ticket:ticket_no>/chase/", "POST"):          (404, 200, 404, 403, 200, 403, 404, 200),
    # The rating is the customer's alone (issue 19 §5): staff tokens 403 whatever the ticket;
    # the customer's 409: the complaint is in 核实, not answered yet.
    ("api/v1/complaints/<ticket:ticket_no>/rating/", "POST"):         (404, 409, 404, 403, 403, 403, 403, 403),
    # The customer's "not satisfied" (issue 18): only after the answer (409 in 核实).
    ("api/v1/complaints/<ticket:ticket_no>/reopen/", "POST"):         (404, 409, 404, 403, 409, 403, 404, 409),
    # Actions: staff tokens only; 403 the role may not, 409 the role may but not in 核实.
    ("api/v1/complaints/<ticket:ticket_no>/actions/dispatch/", "POST"):(401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/contact/", "POST"):(401, 401, 401, 403, 200, 200, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reply/", "POST"):  (401, 401, 401, 403, 403, 200, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/actions/start_follow_up/", "POST"):(401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/close/", "POST"):  (401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reopen/", "POST"): (401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reassign/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/actions/reject/", "POST"): (401, 401, 401, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/actions/withdraw/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/actions/pause/", "POST"):  (401, 401, 401, 403, 200, 200, 404, 200),
    ("api/v1/complaints/<ticket:ticket_no>/actions/resume/", "POST"): (401, 401, 401, 403, 409, 409, 404, 409),
    ("api/v1/complaints/<ticket:ticket_no>/actions/escalate/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    # Changing the category is triage (issue 20 §1): agents and supervisors, never branch staff.
    ("api/v1/complaints/<ticket:ticket_no>/actions/category/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    # The 处理人 (issue 20 §2): the unit's own staff take it; agents, supervisors and the unit's
    # head (nobody here: test_assignment_api.py) give it to a staff member of the unit.
    ("api/v1/complaints/<ticket:ticket_no>/actions/take/", "POST"):   (401, 401, 401, 403, 403, 200, 404, 403),
    ("api/v1/complaints/<ticket:ticket_no>/actions/assign/", "POST"): (401, 401, 401, 403, 200, 403, 404, 200),
    # On duty: branch staff switch themselves; other roles have no duty to switch.
    ("api/v1/staff/me/duty/", "POST"):                                (401, 401, 401, 403, 403, 200, 200, 403),
    # The staff list's filters in a POST body (a phone must not travel in a URL): whoever may list.
    ("api/v1/complaints/search/", "POST"):                            (401, 401, 401, 403, 200, 200, 200, 200),
    # Bulk (issue 20 §3): whoever has a work list; each ticket is then checked on its own and
    # refused inside the 200 (another unit's: "not found", tests/api/test_bulk_api.py).
    ("api/v1/complaints/bulk/", "POST"):                              (401, 401, 401, 403, 200, 200, 200, 200),
    # Saved views: one's own (and one's unit's); {a} is nobody's view, so 404 for every staff caller.
    ("api/v1/views/", "GET"):                                         (401, 401, 401, 403, 200, 200, 200, 200),
    ("api/v1/views/", "POST"):                                        (401, 401, 401, 403, 201, 201, 201, 201),
    ("api/v1/views/<int:view_id>/", "PATCH"):                         (401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/views/<int:view_id>/", "DELETE"):                        (401, 401, 401, 403, 404, 404, 404, 404),
    # The journey (issue 21). The push has no account: a body signed with the TMS's secret is
    # taken from whoever sends it (a bad signature: test_it_refuses_a_push_with_a_bad_signature).
    ("api/v1/tracking/events/", "POST"):                              (200, 200, 200, 200, 200, 200, 200, 200),
    # A complaint's scans: read as the complaint itself is.
    ("api/v1/^complaints/(?P<ticket_no>[A-Za-z0-9]{1,24})/journey/$", "GET"):(404, 200, 404, 403, 200, 200, 404, 200),
    # Beside intake: whoever takes complaints (complaints.add_complaint).
    ("tracking/lookup/", "GET"):                                      (302, 302, 302, 403, 200, 403, 403, 200),
    ("tracking/^tickets/(?P<ticket_no>[A-Za-z0-9]{1,24})/$", "GET"):  (302, 302, 302, 403, 200, 200, 404, 200),
    ("tracking/^tickets/(?P<ticket_no>[A-Za-z0-9]{1,24})/refresh/$", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    # {a} is no routing decision's id.
    ("tracking/suggestions/<int:decision_id>/<str:choice>/", "POST"): (302, 302, 302, 403, 404, 404, 404, 404),
    ("api/v1/compensation/quote/", "POST"):                           (401, 401, 401, 403, 200, 200, 200, 200),
    ("api/v1/complaints/<str:ticket_no>/claims/", "GET"):             (401, 401, 401, 403, 200, 200, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/claims/", "POST"):            (401, 401, 401, 403, 409, 409, 404, 409),
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/", "GET"):(401, 401, 401, 403, 200, 200, 404, 200),
    # The ¥60 claim is below the ¥500 threshold: an agent may approve it; branch staff never.
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/approve/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/reject/", "POST"):(401, 401, 401, 403, 200, 403, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/claims/<int:claim_id>/pay/", "POST"):(401, 401, 401, 403, 409, 403, 404, 409),
    # Public: "may I appeal to 12305 yet?" (throttled per address).
    ("api/v1/appeals/eligibility/", "POST"):                          (200, 200, 200, 200, 200, 200, 200, 200),
    # 12305 appeals and the regulator's statistics: supervisors only.
    # Parcel volume from the operations system; enquiries (issue 23): anyone submits, agents
    # and supervisors resolve and convert ({a} is no enquiry's id).
    ("api/v1/parcel-volumes/", "POST"):                               (401, 401, 401, 403, 403, 403, 403, 200),
    # A customer's enquiry needs no account; a signed-in caller needs enquiries.add_enquiry
    # (enquiries/apps.py: agents, supervisors and partners), so branch staff are refused.
    ("api/v1/enquiries/", "POST"):                                    (201, 201, 201, 201, 201, 403, 403, 201),
    ("api/v1/enquiries/<int:pk>/resolve/", "POST"):                   (401, 401, 401, 403, 404, 403, 403, 404),
    ("api/v1/enquiries/<int:pk>/convert/", "POST"):                   (401, 401, 401, 403, 404, 403, 403, 404),
    ("api/v1/appeals/statistics/", "GET"):                            (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/", "GET"):                                       (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/", "POST"):                                      (401, 401, 401, 403, 403, 403, 403, 201),
    ("api/v1/appeals/<int:pk>/", "GET"):                              (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/investigate/", "POST"):                 (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/report/", "GET"):                       (401, 401, 401, 403, 403, 403, 403, 405),
    ("api/v1/appeals/<int:pk>/report/", "POST"):                      (401, 401, 401, 403, 403, 403, 403, 405),
    ("api/v1/appeals/<int:pk>/report/draft/", "POST"):                (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/report/send/", "POST"):                 (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/report.docx", "GET"):                   (401, 401, 401, 403, 403, 403, 403, 200),
    ("api/v1/appeals/<int:pk>/mediation/", "POST"):                   (401, 401, 401, 403, 403, 403, 403, 409),
    ("api/v1/appeals/<int:pk>/mediation/answer/", "POST"):            (401, 401, 401, 403, 403, 403, 403, 409),
    ("api/v1/appeals/<int:pk>/close/", "POST"):                       (401, 401, 401, 403, 403, 403, 403, 200),
    # --- Staff pages: customers have no accounts (302 to the login page); partners are API-only:
    # a partner signed in with a password is refused (403, with why) on every page, the admin too.
    ("", "GET"):                                                      (302, 302, 302, 403, 302, 302, 302, 302),
    # The intake console: agents and supervisors (the partner's right to take complaints is the API's).
    ("console/", "GET"):                                              (302, 302, 302, 403, 200, 403, 403, 200),
    ("console/", "POST"):                                             (302, 302, 302, 403, 302, 403, 403, 302),
    ("console/earlier/", "GET"):                                      (302, 302, 302, 403, 200, 200, 200, 200),
    ("console/done/<str:ticket_no>/", "GET"):                         (302, 302, 302, 403, 200, 200, 404, 200),
    ("queue/", "GET"):                                                (302, 302, 302, 403, 200, 200, 200, 200),
    ("queue/rows/", "GET"):                                           (302, 302, 302, 403, 200, 200, 200, 200),
    # The lists' saved views and bulk form (issue 20 §3), as their API above.
    ("lists/views/", "POST"):                                         (302, 302, 302, 403, 302, 302, 302, 302),
    ("lists/views/<int:view_id>/<str:change>/", "POST"):              (302, 302, 302, 403, 404, 404, 404, 404),
    ("lists/bulk/", "POST"):                                          (302, 302, 302, 403, 200, 200, 200, 200),
    # The team page: a branch sees its own, agents and supervisors pick one. bob's duty: his own
    # switch (or his unit head's); the automatic assignment: the unit head's alone (none here).
    ("queue/team/", "GET"):                                           (302, 302, 302, 403, 200, 200, 200, 200),
    ("queue/team/duty/<int:user_id>/", "POST"):                       (302, 302, 302, 403, 403, 302, 403, 403),
    ("queue/team/settings/", "POST"):                                 (302, 302, 302, 403, 403, 403, 403, 403),
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
    ("tickets/<str:ticket_no>/do/<str:name>/", "POST"):               (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/reply-check/", "POST"):                 (302, 302, 302, 403, 403, 200, 404, 200),
    ("tickets/<str:ticket_no>/reveal/", "POST"):                      (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/evidence/<str:token>/", "GET"):         (302, 302, 302, 403, 200, 200, 404, 200),
    # Issue 20 §5: evidence shown inline (each look recorded), its thumbnail, the print-out
    # (recorded): the download's access.
    ("tickets/<str:ticket_no>/evidence/<str:token>/view/", "GET"):    (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/evidence/<str:token>/thumb/", "GET"):   (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/print/", "GET"):                        (302, 302, 302, 403, 200, 200, 404, 200),
    ("tickets/<str:ticket_no>/print.pdf", "GET"):                     (302, 302, 302, 403, 200, 200, 404, 200),
    ("compensation/complaints/<str:ticket_no>/claims/panel/", "GET"): (302, 302, 302, 403, 200, 200, 404, 200),
    ("compensation/complaints/<str:ticket_no>/claims/quote/", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    ("compensation/complaints/<str:ticket_no>/claims/propose/", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    # The panel answers 200 and shows a refusal inside it (htmx swaps the panel); branch staff's approval is refused.
    ("compensation/complaints/<str:ticket_no>/claims/<int:claim_id>/<str:action>/", "POST"):(302, 302, 302, 403, 200, 200, 404, 200),
    ("regulators/appeals/", "GET"):                                   (302, 302, 302, 403, 403, 403, 403, 200),
    # Registering a forwarded appeal in the browser: the supervisor (the regulator liaison) only.
    ("regulators/appeals/new/", "GET"):                               (302, 302, 302, 403, 403, 403, 403, 200),
    ("regulators/appeals/new/", "POST"):                              (302, 302, 302, 403, 403, 403, 403, 302),
    ("regulators/statistics/", "GET"):                                (302, 302, 302, 403, 403, 403, 403, 200),
    # The bureau's figures and the volume import (issue 23): supervisors only.
    ("regulators/indicators/", "GET"):                                (302, 302, 302, 403, 403, 403, 403, 200),
    ("regulators/indicators.xlsx", "GET"):                            (302, 302, 302, 403, 403, 403, 403, 200),
    ("regulators/volumes/import/", "POST"):                           (302, 302, 302, 403, 403, 403, 403, 302),
    # The enquiry desk (issue 23): agents and supervisors; {a} is no enquiry's id.
    ("enquiries/", "GET"):                                            (302, 302, 302, 403, 200, 403, 403, 200),
    ("enquiries/", "POST"):                                           (302, 302, 302, 403, 302, 403, 403, 302),
    ("enquiries/<int:pk>/resolve/", "POST"):                          (302, 302, 302, 403, 404, 403, 403, 404),
    ("enquiries/<int:pk>/convert/", "POST"):                          (302, 302, 302, 403, 404, 403, 403, 404),
    # Fault rulings, disputes, the ledger (issue 22): staff only, a branch its own unit's; the
    # ticket has no ruling yet, {a} is no ruling's or dispute's id (404 for whoever may look).
    # Only agents and supervisors rule (the panel answers 200 with the refusal inside it); the
    # ledger and scorecards are branch staff's (their own unit) and supervisors'; the export
    # the supervisors'.
    ("api/v1/rulings/", "GET"):                                       (401, 401, 401, 403, 200, 200, 200, 200),
    ("api/v1/rulings/<int:ruling_id>/", "GET"):                       (401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/rulings/<int:ruling_id>/disputes/", "POST"):             (401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/complaints/<str:ticket_no>/rulings/", "GET"):            (401, 401, 401, 403, 200, 200, 404, 200),
    # The ticket is in 核实, not answered yet: those who may rule are let in, then 409.
    ("api/v1/complaints/<str:ticket_no>/rulings/", "POST"):           (401, 401, 401, 403, 409, 403, 404, 409),
    ("api/v1/disputes/", "GET"):                                      (401, 401, 401, 403, 200, 200, 200, 200),
    ("api/v1/disputes/<int:dispute_id>/", "GET"):                     (401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/disputes/<int:dispute_id>/decision/", "POST"):           (401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/ledger/", "GET"):                                        (401, 401, 401, 403, 403, 200, 200, 200),
    ("rulings/", "GET"):                                              (302, 302, 302, 403, 200, 200, 200, 200),
    ("rulings/complaints/<str:ticket_no>/panel/", "GET"):             (302, 302, 302, 403, 200, 200, 404, 200),
    ("rulings/complaints/<str:ticket_no>/record/", "POST"):           (302, 302, 302, 403, 200, 200, 404, 200),
    ("rulings/persons/", "GET"):                                      (302, 302, 302, 403, 200, 403, 403, 200),
    ("rulings/<int:ruling_id>/dispute/", "GET"):                      (302, 302, 302, 403, 404, 404, 404, 404),
    ("rulings/disputes/<int:dispute_id>/", "GET"):                    (302, 302, 302, 403, 404, 404, 404, 404),
    ("rulings/disputes/<int:dispute_id>/evidence/<str:token>/", "GET"):(302, 302, 302, 403, 404, 404, 404, 404),
    ("rulings/scorecard/", "GET"):                                    (302, 302, 302, 403, 403, 200, 200, 200),
    ("rulings/scorecard/export.xlsx", "GET"):                         (302, 302, 302, 403, 403, 403, 403, 200),
    ("rulings/scorecard/<str:kind>/<int:key>/", "GET"):               (302, 302, 302, 403, 403, 200, 404, 200),
    # Templates and macros (issue 20 §1): staff who see the complaint list them; supervisors keep
    # the company's, a branch its unit's (its head's, or its staff's when it has none); agents keep none.
    ("api/v1/complaints/<str:ticket_no>/templates/", "GET"):          (401, 401, 401, 403, 200, 200, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/templates/<str:template_id>/use/", "POST"):(401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/complaints/<str:ticket_no>/macros/", "GET"):             (401, 401, 401, 403, 200, 200, 404, 200),
    ("api/v1/complaints/<str:ticket_no>/macros/<str:macro_id>/apply/", "POST"):(401, 401, 401, 403, 404, 404, 404, 404),
    ("api/v1/templates/", "GET"):                                     (401, 401, 401, 403, 403, 200, 200, 200),
    # The body is a company-wide template: the supervisor's alone.
    ("api/v1/templates/", "POST"):                                    (401, 401, 401, 403, 403, 403, 403, 201),
    ("api/v1/templates/<str:template_id>/", "POST"):                  (401, 401, 401, 403, 403, 404, 404, 404),
    ("api/v1/templates/<str:template_id>/deactivate/", "POST"):       (401, 401, 401, 403, 403, 404, 404, 404),
    ("playbook/templates/", "GET"):                                   (302, 302, 302, 403, 403, 200, 200, 200),
    # The page saves into the caller's own scope: unit A's, unit B's, the company's.
    ("playbook/templates/", "POST"):                                  (302, 302, 302, 403, 403, 302, 302, 302),
    ("playbook/templates/<int:template_id>/", "GET"):                 (302, 302, 302, 403, 403, 404, 404, 404),
    # The same page saves an edit: who keeps templates, of a template they keep ({a}: none).
    ("playbook/templates/<int:template_id>/", "POST"):                (302, 302, 302, 403, 403, 404, 404, 404),
    ("playbook/templates/<int:template_id>/off/", "POST"):            (302, 302, 302, 403, 404, 404, 404, 404),
    ("playbook/tickets/<str:ticket_no>/macros/", "GET"):              (302, 302, 302, 403, 200, 200, 404, 200),
    ("playbook/tickets/<str:ticket_no>/macros/<int:macro_id>/run/", "POST"):(302, 302, 302, 403, 404, 404, 404, 404),
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


# A valid body for every write route (issue 19 §12): a refusal in the matrix is then a refusal
# of *who* calls, never of what they sent, and a 400 can no longer hide a missing permission.
REASON = "客户来电说明情况"
REPLY = {
    "facts": "经查，该快件11月14日16:20收寄，次日到达网点甲，因分拣错误滞留一天。",
    "process": "网点甲投诉专员于11月16日10:30电话联系客户，说明原因并致歉，当日安排专人派送。",
    "result": "快件已于11月16日15:00妥投，客户本人签收，表示认可。",
    "customer_accepts": True,
    "facts_confirmed": True,
    "our_fault": True,
}
CLAIM = {
    "service": "postal_registered",
    "incident": "loss",
    "freight": "20.00",
    "actual_loss": "500.00",
    "limit_clause_shown": True,
}
CLAIM_FORM = {
    "service": "postal_registered",
    "incident": "loss",
    "freight": "20.00",
    "actual_loss": "500",
    "insured": "false",
    "limit_clause_shown": ["false", "true"],  # hidden "false", then the ticked checkbox
    "value_evidence": ["false", "true"],
    "policy": "insured_amount_3x",
}
APPEAL = {
    "case_no": "SG2026110099",
    "regulator_received_on": "2026-11-14",
    "received_at": "2026-11-16T09:30:00+08:00",
    "province": "GD",
    "appellant_name": "测试客户",
    "appellant_phone": "13800000000",
    "facts": "快件超时未送达，向企业投诉7日未获处理。",
    "request": "要求尽快投递并赔偿运费。",
    "tracking_no": "SF1234567890",
    "category": "delay",
    "party": "recipient",
}
INTAKE = {
    "tracking_no": "YT9988776655",
    "phone": "139 0000 1234",
    "complainant_name": "测试来电人",
    "party": "recipient",
    "channel": "phone",
    "category": "damage",
    "description": "收到时外箱破损，里面的瓷碗碎了。",
    "demand": "compensation",
    "demand_detail": "",
    "service": "express",
}
PLAYBOOK_TEMPLATE = {
    "kind": "contact",
    "title": "首次联系",
    "text": "已电话联系{客户称呼}，告知运单{运单号}的投诉已受理，正在核实。",
}
SEARCH = {"phone": "13900000000"}
ENQUIRY = {
    "tracking_no": "YT9988776600",
    "phone": "13900000077",
    "name": "测试查件人",
    "question": "快件三天没有更新，现在到哪里了？",
}
ENQUIRY_FORM = {
    **ENQUIRY,
    "answer": "",
    "category": "delay",
    "party": "recipient",
    "channel": "phone",
}
VOLUME = {"month": "2026-11", "parcels": 40000000}
VOLUME_CSV = "月份,业务量\n2026-11,40000000\n".encode("utf-8-sig")
# 无责 needs no unit; its basis is the ticket's evidence file ({e}, filled in by _call).
RULING = {
    "verdict": "not_at_fault",
    "no_fault_cause": "customer",
    "reason": "客户填写地址有误。",
    "attachments": ["{e}"],
    "current_ruling": None,
}
RULING_FORM = {**RULING, "stage": "", "unit": "", "person": "", "current_ruling": ""}
PUSH_PATTERN = "api/v1/tracking/events/"
PUSH_SECRET = "matrix-test-push-secret"  # set as TRACKING["PUSH_SECRETS"] by the tests


def push_batch() -> dict:
    """One scan of the ticket's waybill an hour ago (now: the real clock, as the push's window)."""
    at = datetime.now(UTC) - timedelta(hours=1)
    return {
        "events": [
            {
                "id": f"MATRIX-{at:%Y%m%d%H%M%S}",
                "waybill": "SF1234567890",
                "time": at.isoformat(),
                "type": "到达",
                "unit_code": "A",
                "unit_name": "测试网点甲",
                "operator": "测试操作员",
                "text": "快件已到达网点甲",
            }
        ]
    }


def push_headers(raw: bytes, *, secret: str = PUSH_SECRET) -> dict:
    """The documented recipe (docs and tracking/api.py), computed here with hmac, not with the
    product's own signing module: X-TMS-Signature = "sha256=" + HMAC-SHA256(secret, "ts.body")."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"HTTP_X_TMS_TIMESTAMP": stamp, "HTTP_X_TMS_SIGNATURE": f"sha256={digest}"}


ACTION_BODIES = {
    "dispatch": {"unit": "A", "reason": ""},
    "contact": {"channel": "phone", "note": REASON, "reached": True},
    "reply": REPLY,
    "start_follow_up": {},
    "close": {"satisfied": True, "note": ""},
    "reopen": {"reason": "客户仍不满意"},
    "reassign": {"unit": "B", "reason": "地址属网点乙"},
    "reject": {"reason": "非快递服务问题"},
    "withdraw": {"reason": "客户撤诉"},
    "pause": {"reason": "等待客户补充照片"},
    "resume": {"reason": "客户已补充"},
    "escalate": {"reason": "客户称将向12305申诉"},
    "category": {"category": "delay", "reason": "客户反映的是延误"},
    "take": {},
    "assign": {"handler": "bob", "reason": ""},
}
BODIES = {
    ("api/v1/complaints/", "POST"): SUBMISSION,
    (f"api/v1/complaints/{T}/evidence/", "POST"): lambda: {
        "file": SimpleUploadedFile("box.png", PNG_1PX, content_type="image/png")
    },
    (f"api/v1/complaints/{T}/chase/", "POST"): {"note": "还没有人联系我"},
    (f"api/v1/complaints/{T}/rating/", "POST"): {"score": 5, "comment": "处理及时"},
    (f"api/v1/complaints/{T}/reopen/", "POST"): {"reason": "客户仍不满意"},
    **{
        (f"api/v1/complaints/{T}/actions/{name}/", "POST"): body
        for name, body in ACTION_BODIES.items()
    },
    ("api/v1/compensation/quote/", "POST"): CLAIM,
    (f"api/v1/complaints/{S}/claims/", "POST"): CLAIM,
    (f"api/v1/complaints/{S}/claims/{CL}/approve/", "POST"): {"note": "同意"},
    (f"api/v1/complaints/{S}/claims/{CL}/reject/", "POST"): {"reason": "快件已找回"},
    (f"api/v1/complaints/{S}/claims/{CL}/pay/", "POST"): {
        "payment_reference": "BANK-0001",
        "paid_on": "2026-11-16",
    },
    ("api/v1/appeals/eligibility/", "POST"): {
        "standing": "sender",
        "complained_at": "2026-11-01T10:00:00+08:00",
    },
    ("api/v1/appeals/", "POST"): APPEAL,
    (f"api/v1/appeals/{PK}/investigate/", "POST"): {"note": "已调取派送记录"},
    (f"api/v1/appeals/{PK}/report/", "POST"): {"sections": {"handling": "已联系用户并赔偿。"}},
    (f"api/v1/appeals/{PK}/report/draft/", "POST"): {},
    (f"api/v1/appeals/{PK}/report/send/", "POST"): {"via": "监管申诉系统"},
    (f"api/v1/appeals/{PK}/mediation/", "POST"): {"proposal": "建议按实际损失赔偿。"},
    (f"api/v1/appeals/{PK}/mediation/answer/", "POST"): {"answer": "同意调解方案。"},
    (f"api/v1/appeals/{PK}/close/", "POST"): {"outcome": "withdrawn", "reason": "用户撤回"},
    ("console/", "POST"): INTAKE,
    ("notices/read-all/", "POST"): {},
    ("queue/team/duty/<int:user_id>/", "POST"): {"on_duty": "0"},
    ("queue/team/settings/", "POST"): {"unit": "A", "auto_assign": "1", "assign_cap": "10"},
    ("api/v1/staff/me/duty/", "POST"): {"on_duty": False},
    ("notices/<int:notice_id>/read/", "POST"): {},
    ("notices/<int:notice_id>/open/", "POST"): {},
    (f"tickets/{S}/do/<str:name>/", "POST"): {
        "contact-method": "phone",
        "contact-reached": "on",
        "contact-summary": REASON,
    },
    (f"tickets/{S}/reply-check/", "POST"): {"reply-basic_facts": REPLY["facts"]},
    (f"tickets/{S}/reveal/", "POST"): {},
    (f"compensation/complaints/{S}/claims/quote/", "POST"): CLAIM_FORM,
    (f"compensation/complaints/{S}/claims/propose/", "POST"): CLAIM_FORM,
    (f"compensation/complaints/{S}/claims/{CL}/<str:action>/", "POST"): {"note": "同意"},
    (f"api/v1/complaints/{S}/templates/<str:template_id>/use/", "POST"): {},
    (f"api/v1/complaints/{S}/macros/<str:macro_id>/apply/", "POST"): {},
    ("api/v1/templates/", "POST"): PLAYBOOK_TEMPLATE,
    ("api/v1/templates/<str:template_id>/", "POST"): PLAYBOOK_TEMPLATE,
    ("api/v1/templates/<str:template_id>/deactivate/", "POST"): {},
    ("playbook/templates/", "POST"): PLAYBOOK_TEMPLATE,
    ("playbook/templates/<int:template_id>/", "POST"): PLAYBOOK_TEMPLATE,
    ("playbook/templates/<int:template_id>/off/", "POST"): {},
    (f"playbook/tickets/{S}/macros/<int:macro_id>/run/", "POST"): {},
    ("api/v1/complaints/search/", "POST"): SEARCH,
    ("api/v1/complaints/bulk/", "POST"): {"action": "note", "tickets": ["{t}"], "text": REASON},
    ("api/v1/views/", "POST"): {"name": "矩阵视图", "list": "queue", "query": "due=overdue"},
    ("api/v1/views/<int:view_id>/", "PATCH"): {"name": "新名称"},
    ("api/v1/views/<int:view_id>/", "DELETE"): {},
    ("lists/views/", "POST"): {"list": "queue", "name": "矩阵视图", "query": "due=overdue"},
    ("lists/views/<int:view_id>/<str:change>/", "POST"): {"list": "queue", "name": "新名称"},
    ("lists/bulk/", "POST"): {
        "action": "note",
        "tickets": ["{t}"],
        "text": REASON,
        "list": "queue",
    },
    (PUSH_PATTERN, "POST"): push_batch,
    (f"tracking/^tickets/{TICKET_RE}/refresh/$", "POST"): {},
    ("tracking/suggestions/<int:decision_id>/<str:choice>/", "POST"): {},
    ("api/v1/parcel-volumes/", "POST"): VOLUME,
    ("api/v1/enquiries/", "POST"): ENQUIRY,
    (f"api/v1/enquiries/{PK}/resolve/", "POST"): {"answer": "已告知客户快件位置。"},
    (f"api/v1/enquiries/{PK}/convert/", "POST"): {},
    ("regulators/volumes/import/", "POST"): lambda: {
        "file": SimpleUploadedFile("业务量.csv", VOLUME_CSV, content_type="text/csv"),
        "period": "2026-11",
    },
    ("enquiries/", "POST"): ENQUIRY_FORM,
    (f"enquiries/{PK}/resolve/", "POST"): {"answer": "已告知客户快件位置。"},
    (f"enquiries/{PK}/convert/", "POST"): {},
    ("api/v1/rulings/<int:ruling_id>/disputes/", "POST"): lambda: {
        "reason": "客户本人签收，有签收底单。",
        "files": SimpleUploadedFile("proof.png", PNG_1PX, content_type="image/png"),
    },
    (f"api/v1/complaints/{S}/rulings/", "POST"): RULING,
    ("api/v1/disputes/<int:dispute_id>/decision/", "POST"): {
        "outcome": "overturn",
        "reason": "底单属实。",
    },
    (f"rulings/complaints/{S}/record/", "POST"): RULING_FORM,
    ("regulators/appeals/new/", "POST"): {
        **APPEAL,
        "received_at": "2026-11-16T09:30",
        "ticket_no": "",
        "report_days": "",
    },
}
# The claim panel answers a refusal with 200 and shows it inside the panel (htmx swaps only
# 2xx): these cells are refusals all the same, and must change nothing.
REFUSED_INSIDE_THE_PANEL = {
    # One claim is already in progress: nobody may propose a second.
    (f"compensation/complaints/{S}/claims/propose/", "POST"): {
        "agent",
        "branch_of_unit",
        "supervisor",
    },
    # Branch staff may not approve.
    (f"compensation/complaints/{S}/claims/{CL}/<str:action>/", "POST"): {"branch_of_unit"},
    # The ruling panel: branch staff may not rule; agents and supervisors may, but the ticket in
    # 核实 is not answered yet.
    (f"rulings/complaints/{S}/record/", "POST"): {"agent", "branch_of_unit", "supervisor"},
}


def _refused(route: Route, role: str, status: int) -> bool:
    """A cell whose caller is refused: it must leave the database as it was."""
    if status >= 400:
        return True
    if (
        status == 302
        and route.kind == "page"
        and role in ("anonymous", "customer", "other_customer")
    ):
        return True  # sent to the login page
    return role in REFUSED_INSIDE_THE_PANEL.get((route.pattern, route.method), ())


def _client(world, route: Route, role: str):
    return world.api_client(role) if route.kind == "api" else world.page_client(role)


def _fill(value, world):
    """A body's "{e}" is the ticket's evidence file, "{t}" its number (other braces, a
    template's {客户称呼}, stay)."""
    if isinstance(value, str):
        return value.replace("{e}", world.evidence_token).replace("{t}", world.ticket_no)
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _call(world, route: Route, client):
    path = route.path.format(
        t=world.ticket_no,
        c=world.claim_id,
        a=world.appeal_id,
        e=world.evidence_token,
        n=world.notice_id,
        u=world.unit_id,
        b=world.users["branch_of_unit"].pk,
    )
    if route.method == "GET":
        return client.get(path)
    body = BODIES[(route.pattern, route.method)]
    body = body() if callable(body) else body
    body = {k: _fill(v, world) for k, v in body.items()}
    if route.pattern == PUSH_PATTERN:
        # No account: the TMS signs the raw body; the cell's credentials go along, unused.
        raw = json.dumps(body).encode()
        return client.post(path, raw, content_type="application/json", **push_headers(raw))
    if route.kind == "api":
        uploads = any(hasattr(v, "read") for v in body.values())
        send = getattr(client, route.method.lower())  # POST, PATCH, DELETE
        return send(path, body, format="multipart" if uploads else "json")
    return client.post(path, body)


def test_it_covers_every_route():
    known = {route.pattern for route in ROUTES} | {pattern for pattern, _ in PUBLIC}
    missing = [
        pattern
        for pattern in _walk(get_resolver())
        if pattern not in known and not pattern.startswith(ADMIN_PREFIX)
    ]
    assert missing == [], f"routes without a row in the access matrix: {missing}"
    assert set(EXPECTED) == {(route.pattern, route.method) for route in ROUTES}


def test_it_has_a_valid_body_for_every_write_route():
    """A new write route fails here until its row sends a valid body (issue 19 §12)."""
    writes = {(r.pattern, r.method) for r in ROUTES if r.method != "GET"}
    assert sorted(writes - set(BODIES)) == []
    assert sorted(set(BODIES) - writes) == []


# unchanged.tables() covers the first apps; the later ones' tables are as much "the database".
LATER_APPS = ("tracking", "rulings", "enquiries", "playbook")


def matrix_tables() -> list[str]:
    later = {
        model._meta.db_table
        for model in django_apps.get_models(include_auto_created=True)
        if model._meta.app_label in LATER_APPS and model._meta.managed
    }
    return sorted(set(unchanged.tables()) | later)


@pytest.fixture
def push_secret(settings):
    settings.TRACKING = {**settings.TRACKING, "PUSH_SECRETS": [PUSH_SECRET]}


def test_it_answers_each_role_as_the_matrix_says(world, push_secret):
    """Every cell with a valid body; a refused caller leaves every table and file as it was."""
    tables = matrix_tables()
    wrong = []
    for route in ROUTES:
        for role, expected in zip(ROLES, EXPECTED[(route.pattern, route.method)], strict=True):
            client = _client(world, route, role)  # a session or token is not the cell's doing
            refused = _refused(route, role, expected)
            savepoint = transaction.savepoint()
            try:
                before = unchanged.snapshot(tables) if refused else None
                response = _call(world, route, client)
                after = unchanged.snapshot(tables) if refused else None
            finally:
                transaction.savepoint_rollback(savepoint)
            where = f"{route.method} {route.pattern} as {role}"
            if response.status_code != expected:
                detail = response.content[:200].decode(errors="replace")
                wrong.append(f"{where}: {response.status_code}, expected {expected} {detail}")
            if refused and unchanged.changed(before, after):
                wrong.append(f"{where}: refused, but changed {unchanged.changed(before, after)}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda raw: push_headers(raw, secret="not-the-tms-secret"), id="wrong key"),
        pytest.param(
            lambda raw: {
                **push_headers(raw),
                "HTTP_X_TMS_SIGNATURE": push_headers(raw)["HTTP_X_TMS_SIGNATURE"].removeprefix(
                    "sha256="
                ),
            },
            id="no sha256= prefix",
        ),
        pytest.param(
            lambda raw: {**push_headers(raw), "HTTP_X_TMS_TIMESTAMP": str(int(time.time()) - 3600)},
            id="stale timestamp",
        ),
        pytest.param(lambda raw: {}, id="unsigned"),
    ],
)
def test_it_refuses_a_push_with_a_bad_signature(world, push_secret, headers):
    """The push's own door (the matrix row sends it signed): 401 in the one error shape, nothing
    stored, whatever the caller's credentials."""
    raw = json.dumps(push_batch()).encode()
    client = world.api_client("supervisor")  # its token is made here, not by the push
    before = unchanged.snapshot(matrix_tables())
    response = client.post("/" + PUSH_PATTERN, raw, content_type="application/json", **headers(raw))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert unchanged.changed(before, unchanged.snapshot(matrix_tables())) == []


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
