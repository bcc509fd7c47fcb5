"""The world the action matrix runs in: one complaint in each state an action starts from.

Every complaint but `new` is at branch A (bob's unit); carol works at branch B. Each object is
named by the state it is in, so a row of the matrix reads "reply on `verifying`":

    new        受理, not dispatched yet: no unit (the "none" scope)
    verifying  核实 at branch A, no claim
    claimed    核实 at branch A with a proposed ¥60 claim (below the ¥500 approval threshold)
    approved   核实 at branch A with an approved ¥60 claim
    paused     核实 at branch A, the clock paused (waiting for the customer)
    answered   反馈 at branch A (the branch has replied)
    closed     闭环 at branch A, a minute ago, with a fault ruling against branch A (`ruling`)
    stranger   another customer's complaint: its access code is the "other" column's
    disputed   闭环 at branch A, its fault ruling disputed by bob (`dispute`, pending)

and three 12305 appeals linked to `verifying`: `appeal` (received), `reported` (the company's
report sent) and `mediation` (the regulator proposed a mediation). Every staff member has one
unread notice; bob's is the one the notice rows open. An open enquiry (`enquiry`) and a routing
suggestion to branch A for `new` (`suggestion`) complete it, with the company's contact template
(`template`) and note macro (`macro`) and branch A's own template (`unit_template`).

Clients are made once, before the matrix's savepoints: a cell's request is the only thing that
runs inside its savepoint, so "nothing changed" compares the database around the request alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation import services as claim_services
from compensation.amounts import ClaimFacts, Incident, Service
from complaints import services
from complaints.models import SavedView
from enquiries import services as enquiry_services
from kernel.models import Notice
from playbook import services as playbook_services
from regulators import services as appeal_services
from rulings import services as ruling_services
from tests.complaints.helpers import bring_to
from tests.conftest import new_complaint
from tests.security.world import PNG_1PX, ROLES
from tracking.models import PullJob, RoutingDecision

STAFF_ROLES = {
    "partner": "pat",
    "agent": "alice",
    "bob": "bob",
    "carol": "carol",
    "supervisor": "sam",
}
# The matrix's columns, left to right (the customers and the partner as in test_access_matrix).
COLUMNS = ("anon", "cust", "other", "ptnr", "agent", "bob", "carol", "sup")
assert len(COLUMNS) == len(ROLES)  # nosec B101  # the two matrices have the same callers


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_1PX, content_type="image/png")


class _Known(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class ActionWorld:
    tickets: dict[str, str]  # object name → ticket number
    codes: dict[str, str]  # object name → the customer's access code
    ids: dict[str, int]  # claims, appeals, the notice, the units
    api: dict[str, APIClient] = field(default_factory=dict)
    pages: dict[str, Client] = field(default_factory=dict)

    def fill(self, path: str) -> str:
        """Names the world knows are filled in; any other braces (a template's {客户称呼}) stay."""
        known = _Known(**self.tickets, **{k: str(v) for k, v in self.ids.items()})
        return path.format_map(known)

    def code(self, column: str, on: str) -> str:
        """The access code a customer column sends: the object's own customer's, or the
        stranger's. Appeals and actions on no complaint: the customer of `verifying`."""
        if column == "other":
            return self.codes["stranger"]
        return self.codes.get(on, self.codes["verifying"])

    def api_client(self, column: str, on: str) -> APIClient:
        if column in ("cust", "other"):
            client = APIClient()
            client.credentials(HTTP_X_ACCESS_CODE=self.code(column, on))
            return client
        return self.api[column]

    def page_client(self, column: str, on: str) -> Client:
        if column in ("cust", "other"):
            # Customers have no accounts: on the pages they are anonymous visitors with a code.
            return Client(HTTP_X_ACCESS_CODE=self.code(column, on))
        return self.pages[column]


# One category each: several complaints of one category at one unit would be a cluster (and
# urgent), which is not what the matrix is about.
CATEGORIES = ("delay", "loss", "damage", "short", "misdelivery", "attitude", "fee", "other")


def _complaint(n: int, **fields):
    return new_complaint(
        tracking_no=f"SF80000000{n:02d}",
        phone=f"138000011{n:02d}",
        category=CATEGORIES[n % len(CATEGORIES)],  # a second 延误 at most: no cluster
        service="postal_registered",
        freight="20.00",
        **fields,
    )


LOSS = ClaimFacts(
    service=Service.POSTAL_REGISTERED,
    incident=Incident.LOSS,
    insured=False,
    freight=Decimal("20.00"),
    actual_loss=Decimal("500.00"),
    limit_clause_shown=True,
)


def build(*, org, alice, bob, carol, sam, pat, now) -> ActionWorld:
    sam.is_staff = True  # as in the demo data, the supervisor is also the admin user
    sam.save()
    people = {"alice": alice, "bob": bob, "carol": carol, "sam": sam, "pat": pat}
    states = {
        "new": "accepted",
        "verifying": "verifying",
        "claimed": "verifying",
        "approved": "verifying",
        "paused": "verifying",
        "answered": "answered",
        "closed": "closed",
        "stranger": "accepted",
        "disputed": "closed",  # its ruling's dispute waits for the supervisor
    }
    tickets, codes, made = {}, {}, {}
    for n, (name, state) in enumerate(states.items()):
        complaint, code = services.complaint_create(data=_complaint(n), by="customer", now=now)
        made[name] = bring_to(
            state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
        )
        tickets[name], codes[name] = complaint.ticket_no, code
    # Normal priority everywhere (until the appeals below make `verifying` external, so urgent).
    assert {c.priority for c in made.values()} == {"normal"}  # nosec B101
    services.complaint_pause(
        complaint=made["paused"], by=bob, reason="等待客户补充照片", now=now + timedelta(minutes=5)
    )
    proposed = claim_services.claim_propose(complaint=made["claimed"], by=bob, facts=LOSS, now=now)
    approved = claim_services.claim_propose(complaint=made["approved"], by=bob, facts=LOSS, now=now)
    claim_services.claim_approve(claim=approved, by=sam, now=now)

    def appeal(case_no: str):
        return appeal_services.appeal_register(
            data=appeal_services.NewAppeal(
                case_no=case_no,
                received_at=now,
                regulator_received_on=now.date(),
                province="GD",
                appellant_name="测试客户",
                appellant_phone="13800001101",
                facts="快件丢失，向企业投诉后未获处理。",
                request="要求赔偿。",
                ticket_no=tickets["verifying"],
                tracking_no="",
                category="loss",
                party="recipient",
            ),
            by=sam,
            now=now,
        )

    received = appeal("SG2026110001")
    reported = appeal_services.appeal_send_report(
        appeal=appeal("SG2026110002"), by=sam, via="监管申诉系统", now=now
    )
    mediation = appeal_services.appeal_record_mediation_proposal(
        appeal=appeal_services.appeal_send_report(
            appeal=appeal("SG2026110003"), by=sam, via="监管申诉系统", now=now
        ),
        by=sam,
        proposal="建议企业按实际损失赔偿。",
        now=now,
    )

    # Fault rulings (issue 22) against branch A: `closed`'s may still be disputed; `disputed`'s
    # dispute (bob's, with a photo) waits for the supervisor's decision.
    def fault_ruling(name: str):
        complaint = made[name]
        return ruling_services.ruling_record(
            complaint=complaint,
            by=sam,
            data=ruling_services.RulingInput(
                verdict="at_fault",
                stage="delivery",
                unit_id=org["a"].pk,
                reason="派送员未按约定时间派送。",
                reply_ids=tuple(complaint.replies.values_list("pk", flat=True)),
            ),
            now=now + timedelta(minutes=30),
        )

    ruled = fault_ruling("closed")
    dispute = ruling_services.dispute_file(
        ruling=fault_ruling("disputed"),
        by=bob,
        reason="客户本人签收，有签收底单。",
        uploads=[png("签收底单.png")],
        now=now + timedelta(minutes=40),
    )
    # An open enquiry (issue 23) and a routing suggestion for `new` (issue 21).
    enquiry = enquiry_services.enquiry_record(
        data=enquiry_services.NewEnquiry(
            tracking_no="SF8000000099", phone="13800001199", question="快件到哪里了？"
        ),
        by=alice,
        now=now,
    ).enquiry
    # The worker has already pulled `verifying`'s waybill: a refresh owes a new pull.
    PullJob.objects.filter(
        waybill=made["verifying"].tracking_no, status=PullJob.Status.PENDING
    ).update(status=PullJob.Status.DONE)
    suggestion = RoutingDecision.objects.create(
        complaint=made["new"],
        rule_name="末端网点",
        unit=org["a"],
        outcome=RoutingDecision.Outcome.SUGGESTED,
        decided_at=now,
    )
    # Reply templates and macros (issue 20 §1): the company's contact template and note macro
    # (the supervisor's), and branch A's own template (bob's: the unit has no head).
    template = playbook_services.template_save(
        by=sam,
        data=playbook_services.TemplateInput(
            kind="contact", title="全公司：首次联系", text="已电话联系{客户称呼}，投诉正在核实。"
        ),
        now=now,
    )
    unit_template = playbook_services.template_save(
        by=bob,
        data=playbook_services.TemplateInput(
            kind="contact",
            title="网点甲：首次联系",
            text="网点甲已联系{客户称呼}，约定今日派送。",
            unit_id=org["a"].pk,
        ),
        now=now,
    )
    macro = playbook_services.macro_save(
        by=sam,
        data=playbook_services.MacroInput(title="记录已联系", note="已电话联系{客户称呼}。"),
        now=now,
    )
    notices = {
        user.username: Notice.objects.create(
            user=user, title="新工单", body="有新的投诉工单。", created_at=now
        )
        for user in (alice, bob, carol, sam)
    }
    # bob's own saved view of the queue (issue 20 §3): only he renames or deletes it.
    view = SavedView.objects.create(owner=bob, list="queue", name="超时件", query="due=overdue")
    world = ActionWorld(
        tickets=tickets,
        codes=codes,
        ids={
            "proposed_claim": proposed.pk,
            "approved_claim": approved.pk,
            "appeal": received.pk,
            "reported": reported.pk,
            "mediation": mediation.pk,
            "notice": notices["bob"].pk,
            "unit_a": org["a"].pk,
            "ruling": ruled.pk,
            "dispute": dispute.pk,
            "enquiry": enquiry.pk,
            "suggestion": suggestion.pk,
            "template": template.pk,
            "unit_template": unit_template.pk,
            "macro": macro.pk,
            "answered_reply": made["answered"].replies.get().pk,
            "unit_b": org["b"].pk,
            "bob": bob.pk,  # the team page's on-duty switch (issue 20 §2)
            "view": view.pk,
        },
    )
    for column, username in STAFF_ROLES.items():
        user = people[username]
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        world.api[{"partner": "ptnr", "supervisor": "sup"}.get(column, column)] = client
        page = Client()
        page.force_login(user)
        world.pages[{"partner": "ptnr", "supervisor": "sup"}.get(column, column)] = page
    world.api["anon"] = APIClient()
    world.pages["anon"] = Client()
    return world
