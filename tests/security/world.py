"""The world the access matrix runs in: one complaint at branch A with everything around it.

A complaint (in 核实 at branch A, bob's unit) with an evidence file, a proposed compensation
claim and a 12305 appeal linked to it; a second complaint whose access code is "another
ticket's code". Every role of the matrix gets a client: API clients authenticate as the API's
callers do (access code header, `Authorization: Token`), page clients log in with a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation import services as claim_services
from compensation.amounts import ClaimFacts, Incident, Service
from complaints import attachments, services
from regulators import services as appeal_services
from tests.complaints.helpers import bring_to
from tests.conftest import new_complaint

ROLES = (
    "anonymous",
    "customer",  # with this ticket's access code
    "other_customer",  # with another ticket's access code
    "partner",
    "agent",
    "branch_of_unit",
    "branch_other_unit",
    "supervisor",
)

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class World:
    ticket_no: str
    access_code: str
    other_access_code: str
    claim_id: int
    appeal_id: int
    evidence_token: str
    users: dict
    notice_id: int = 0
    unit_id: int = 0  # branch A, the complaint's unit

    def api_client(self, role: str) -> APIClient:
        client = APIClient()
        if role == "customer":
            client.credentials(HTTP_X_ACCESS_CODE=self.access_code)
        elif role == "other_customer":
            client.credentials(HTTP_X_ACCESS_CODE=self.other_access_code)
        elif role != "anonymous":
            token, _ = Token.objects.get_or_create(user=self.users[role])
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def page_client(self, role: str) -> Client:
        # Customers have no accounts: on the pages they are anonymous visitors with a code.
        if role in ("anonymous", "customer", "other_customer"):
            code = self.access_code if role == "customer" else self.other_access_code
            return Client(HTTP_X_ACCESS_CODE=code)
        client = Client()
        client.force_login(self.users[role])
        return client


def build_world(*, org, alice, bob, carol, sam, pat, now) -> World:
    sam.is_staff = True  # as in the demo data, the supervisor is also the admin user
    sam.save()
    complaint, code = services.complaint_create(
        data=new_complaint(category="loss", service="postal_registered", freight="20.00"),
        by="customer",
        now=now,
    )
    _other, other_code = services.complaint_create(
        data=new_complaint(tracking_no="YT9876543210", phone="13900000000"),
        by="customer",
        now=now,
    )
    complaint = bring_to(
        "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    evidence = attachments.attachment_add(
        complaint=complaint, by="customer", upload=SimpleUploadedFile("box.png", PNG_1PX), now=now
    )
    claim = claim_services.claim_propose(
        complaint=complaint,
        by=bob,
        facts=ClaimFacts(
            service=Service.POSTAL_REGISTERED,
            incident=Incident.LOSS,
            insured=False,
            freight=Decimal("20.00"),
            actual_loss=Decimal("500.00"),
            limit_clause_shown=True,
        ),
        now=now,
    )
    appeal = appeal_services.appeal_register(
        data=appeal_services.NewAppeal(
            case_no="SG2026110001",
            received_at=now,
            province="GD",
            appellant_name="测试客户",
            appellant_phone="13800000000",
            facts="快件丢失，向企业投诉后未获处理。",
            request="要求赔偿。",
            ticket_no=complaint.ticket_no,
            tracking_no="",
            category="loss",
            party="recipient",
        ),
        by=sam,
        now=now,
    )
    from kernel.models import Notice

    notice = Notice.objects.create(
        user=bob,
        complaint_id=complaint.pk,
        title="新工单",
        body="网点甲有新的投诉工单。",
        created_at=now,
    )
    return World(
        notice_id=notice.pk,
        unit_id=org["a"].pk,
        ticket_no=complaint.ticket_no,
        access_code=code,
        other_access_code=other_code,
        claim_id=claim.pk,
        appeal_id=appeal.pk,
        evidence_token=evidence.token,
        users={
            "partner": pat,
            "agent": alice,
            "branch_of_unit": bob,
            "branch_other_unit": carol,
            "supervisor": sam,
        },
    )
