# ruff: noqa: E501  (the matrix is a table: one action per line, one column per caller)
"""Who may do what, with a valid body: every write action × every caller × the object's scope.

test_access_matrix.py says who gets past the door of every route (its POSTs carry an empty
body); this one says who may actually *do* each action. Every action gets one valid body and
runs on an object in the state it starts from (action_world.py), so an allowed cell really
acts (200/201/302, and the database changed) and a refused cell is refused for who the caller
is, not for what they sent. For every refused cell the test asserts that nothing changed: no
table of the project's apps (complaints and their audit trail, attachments, claims, appeals,
SLA events, the outbox, notices, users) and no file in the media folder.

The callers, left to right:

    anon   anonymous (no code, no token, no session)
    cust   the customer of the object, with its access code (X-Access-Code)
    other  another customer, with the code of their own complaint (`stranger`)
    ptnr   the integration partner's token (on pages: its session)
    agent  customer-service agent (客服坐席)
    bob    branch staff of branch A
    carol  branch staff of branch B
    sup    supervisor (质量监控主管)

`on` names the object (action_world.py) and so the scope: `new` has no unit yet (none);
every other complaint is at branch A, so bob is in its unit and carol is not; `-` is an action
on no complaint (a submission, a quote, an appeal, the notices).

Statuses: 200/201 done (302: a page done, redirecting); 401 who are you; 403 known, not
allowed; 404 not found (also another unit's ticket, or a wrong code: nothing is learnt);
302 to the login page for a page without a session. `200x`: the claim panel answers 200 and
shows the refusal inside it (htmx swaps only 2xx) — refused, so nothing may change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from complaints import actions as action_registry
from tests import unchanged
from tests.api.conftest import SUBMISSION
from tests.conftest import GOOD_REPLY, NOW
from tests.security import test_access_matrix as access
from tests.security.action_world import COLUMNS, build, png


@dataclass(frozen=True)
class Action:
    method: str
    path: str  # {verifying} … a ticket number, {proposed_claim} … an id (action_world.py)
    body: dict | Callable[[], dict]  # a callable for uploads: a fresh file per request
    writes: bool = True  # False: an allowed call only reads (a quote, a check)
    signed: bool = False  # the TMS's push: no account, an HMAC signature over the raw body

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


REASON = "客户来电说明情况"
REPLY_API = {
    "facts": GOOD_REPLY.basic_facts,
    "process": GOOD_REPLY.handling,
    "result": GOOD_REPLY.result,
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
    "regulator_received_on": "2026-11-14",  # required since issue 18 (邮政法 art. 65)
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
APPEAL_FORM = {**APPEAL, "received_at": "2026-11-16T09:30", "ticket_no": "", "report_days": ""}
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
# 无责 on `answered`, resting on its reply (the id is filled in from the world).
RULING = {
    "verdict": "not_at_fault",
    "no_fault_cause": "customer",
    "reason": "客户填写地址有误。",
    "replies": ["{answered_reply}"],
    "current_ruling": None,
}
# A template of the caller's scope (the company's, or with "unit" a unit's); the edit changes
# branch A's own template's text. {客户称呼} is the template's placeholder, not the world's.
TEMPLATE = {"kind": "contact", "title": "首次联系", "text": "已电话联系{客户称呼}，投诉已受理。"}
UNIT_TEMPLATE = {
    "kind": "contact",
    "title": "网点甲：首次联系",
    "text": "网点甲已联系{客户称呼}，约定明日上午派送。",
}
T = "/api/v1/complaints/{%s}/"  # filled with an object's name below


def volume_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("业务量.csv", access.VOLUME_CSV, content_type="text/csv")


def api_action(on: str, name: str, body: dict) -> Action:
    return Action("POST", T % on + f"actions/{name}/", body)


def page_action(on: str, name: str, fields: dict) -> Action:
    """The ticket page's form of `name` (its fields carry the action's name as a prefix)."""
    return Action(
        "POST", f"/tickets/{{{on}}}/do/{name}/", {f"{name}-{k}": v for k, v in fields.items()}
    )


def claim_page(on: str, tail: str, body: dict, writes: bool = True) -> Action:
    return Action("POST", f"/compensation/complaints/{{{on}}}/claims/{tail}", body, writes)


def claim_api(on: str, tail: str, body: dict) -> Action:
    return Action("POST", T % on + f"claims/{tail}", body)


def appeal_api(on: str, tail: str, body: dict, method: str = "POST") -> Action:
    return Action(method, f"/api/v1/appeals/{{{on}}}/{tail}", body)


# One valid body per action, on the object it starts from (see the module docstring).
ACTIONS: dict[str, Action] = {
    # --- the REST API: customers and partners ---
    "API submit":                  Action("POST", "/api/v1/complaints/", SUBMISSION),
    "API evidence":                Action("POST", T % "verifying" + "evidence/", lambda: {"file": png()}),
    "API chase":                   Action("POST", T % "verifying" + "chase/", {"note": "还没有人联系我"}),
    "API rating":                  Action("POST", T % "closed" + "rating/", {"score": 5, "comment": "处理及时"}),
    "API not satisfied":           Action("POST", T % "closed" + "reopen/", {"reason": "客户仍不满意"}),
    "API customer reopen":         Action("POST", T % "closed" + "reopen/", {"reason": "客户仍不满意"}),
    # --- the REST API: staff actions ---
    "API dispatch":                api_action("new", "dispatch", {"unit": "A", "reason": ""}),
    "API reassign":                api_action("verifying", "reassign", {"unit": "B", "reason": "地址属网点乙"}),
    "API contact":                 api_action("verifying", "contact", {"channel": "phone", "note": REASON, "reached": True}),
    "API contact (new)":           api_action("new", "contact", {"channel": "phone", "note": REASON, "reached": True}),
    "API reply":                   api_action("verifying", "reply", REPLY_API),
    "API start_follow_up":         api_action("answered", "start_follow_up", {}),
    "API close":                   api_action("answered", "close", {"satisfied": True, "note": ""}),
    "API reopen":                  api_action("closed", "reopen", {"reason": "客户仍不满意"}),
    "API reject":                  api_action("new", "reject", {"reason": "非快递服务问题"}),
    "API withdraw":                api_action("verifying", "withdraw", {"reason": "客户撤诉"}),
    "API withdraw (new)":          api_action("new", "withdraw", {"reason": "客户撤诉"}),
    "API pause":                   api_action("verifying", "pause", {"reason": "等待客户补充照片"}),
    "API pause (new)":             api_action("new", "pause", {"reason": "等待客户补充照片"}),
    "API resume":                  api_action("paused", "resume", {"reason": "客户已补充"}),
    "API escalate":                api_action("verifying", "escalate", {"reason": "客户称将向12305申诉"}),
    "API escalate (new)":          api_action("new", "escalate", {"reason": "客户称将向12305申诉"}),
    "API category":                api_action("verifying", "category", {"category": "fee", "reason": "客户反映的是收费"}),
    "API take":                    api_action("verifying", "take", {}),
    "API take (new)":              api_action("new", "take", {}),
    "API assign":                  api_action("verifying", "assign", {"handler": "bob", "reason": "熟悉该片区"}),
    "API assign (new)":            api_action("new", "assign", {"handler": "bob", "reason": ""}),
    "API duty":                    Action("POST", "/api/v1/staff/me/duty/", {"on_duty": False}),
    # --- the REST API: compensation ---
    "API quote":                   Action("POST", "/api/v1/compensation/quote/", CLAIM, writes=False),
    "API claim propose":           claim_api("verifying", "", CLAIM),
    "API claim approve":           claim_api("claimed", "{proposed_claim}/approve/", {"note": "同意"}),
    "API claim reject":            claim_api("claimed", "{proposed_claim}/reject/", {"reason": "快件已找回"}),
    "API claim pay":               claim_api("approved", "{approved_claim}/pay/", {"payment_reference": "BANK-0001", "paid_on": "2026-11-16"}),
    # --- the REST API: 12305 appeals ---
    "API eligibility":             Action("POST", "/api/v1/appeals/eligibility/", {"standing": "sender", "complained_at": "2026-11-01T10:00:00+08:00"}, writes=False),
    "API appeal register":         Action("POST", "/api/v1/appeals/", APPEAL),
    "API appeal investigate":      appeal_api("appeal", "investigate/", {"note": "已调取派送记录"}),
    "API appeal draft report":     appeal_api("appeal", "report/draft/", {}),
    "API appeal edit report":      appeal_api("appeal", "report/", {"sections": {"handling": "已联系用户并赔偿。"}}, "PUT"),
    "API appeal send report":      appeal_api("appeal", "report/send/", {"via": "监管申诉系统"}),
    "API appeal mediation":        appeal_api("reported", "mediation/", {"proposal": "建议按实际损失赔偿。"}),
    "API appeal mediation answer": appeal_api("mediation", "mediation/answer/", {"answer": "同意调解方案。"}),
    "API appeal close":            appeal_api("appeal", "close/", {"outcome": "withdrawn", "reason": "用户撤回"}),
    # --- staff pages: intake and the ticket page's actions ---
    "page intake":                 Action("POST", "/console/", INTAKE),
    "page dispatch":               page_action("new", "dispatch", {"unit": "{unit_a}", "reason": ""}),
    "page reassign":               page_action("verifying", "reassign", {"unit": "{unit_b}", "reason": "地址属网点乙"}),
    "page contact":                page_action("verifying", "contact", {"method": "phone", "reached": "on", "summary": REASON}),
    "page contact (new)":          page_action("new", "contact", {"method": "phone", "reached": "on", "summary": REASON}),
    "page reply":                  page_action("verifying", "reply", {"basic_facts": GOOD_REPLY.basic_facts, "handling": GOOD_REPLY.handling, "result": GOOD_REPLY.result, "customer_accepts": "true", "facts_confirmed": "on", "our_fault": "on"}),
    "page start_follow_up":        page_action("answered", "start_follow_up", {}),
    "page follow_up":              page_action("answered", "follow_up", {"outcome": "satisfied", "customer_words": "满意", "reply_truthful": "true"}),
    "page reopen":                 page_action("closed", "reopen", {"reason": "客户仍不满意"}),
    "page pause":                  page_action("verifying", "pause", {"reason": "等待客户补充照片"}),
    "page resume":                 page_action("paused", "resume", {"reason": "客户已补充"}),
    "page chase":                  page_action("verifying", "chase", {"note": "客户来电催促"}),
    "page escalate":               page_action("verifying", "escalate", {"reason": "客户称将向12305申诉"}),
    "page priority":               page_action("claimed", "priority", {"priority": "urgent", "reason": "大客户"}),
    "page category":               page_action("verifying", "category", {"category": "fee", "reason": "客户反映的是收费"}),
    "page take":                   page_action("verifying", "take", {}),
    "page assign":                 page_action("verifying", "assign", {"handler": "{bob}", "reason": "熟悉该片区"}),
    "page team duty":              Action("POST", "/queue/team/duty/{bob}/", {"on_duty": "0"}),
    "page team settings":          Action("POST", "/queue/team/settings/", {"unit": "A", "auto_assign": "1", "assign_cap": "10"}),
    "page justified":              page_action("verifying", "justified", {"facts_confirmed": "on", "our_fault": "on", "reason": "经核实属实"}),
    "page reject":                 page_action("new", "reject", {"reason": "非快递服务问题", "merged_into": ""}),
    "page withdraw":               page_action("verifying", "withdraw", {"reason": "客户撤诉"}),
    "page note":                   page_action("verifying", "note", {"text": "已与网点主管沟通"}),
    "page note (new)":             page_action("new", "note", {"text": "已与网点主管沟通"}),
    "page evidence":               Action("POST", "/tickets/{verifying}/do/evidence/", lambda: {"evidence-file": png()}),
    "page reply-check":            Action("POST", "/tickets/{verifying}/reply-check/", {"reply-basic_facts": GOOD_REPLY.basic_facts}, writes=False),
    "page reveal":                 Action("POST", "/tickets/{verifying}/reveal/", {}),
    # --- staff pages: the claim panel, appeals, notices ---
    "page claim quote":            claim_page("verifying", "quote/", CLAIM_FORM, writes=False),
    "page claim propose":          claim_page("verifying", "propose/", CLAIM_FORM),
    "page claim approve":          claim_page("claimed", "{proposed_claim}/approve/", {"note": "同意"}),
    "page claim reject":           claim_page("claimed", "{proposed_claim}/reject/", {"reason": "快件已找回"}),
    "page claim pay":              claim_page("approved", "{approved_claim}/pay/", {"payment_reference": "BANK-0001", "paid_on": "2026-11-16"}),
    "page appeal register":        Action("POST", "/regulators/appeals/new/", APPEAL_FORM),
    "page notices read-all":       Action("POST", "/notices/read-all/", {}),
    "page notice read":            Action("POST", "/notices/{notice}/read/", {}),
    "page notice open":            Action("POST", "/notices/{notice}/open/", {}),
    # --- the staff list's search (a phone in the body, not the URL) ---
    "API search":                  Action("POST", "/api/v1/complaints/search/", {"phone": "13800001101"}, writes=False),
    # --- the work lists: bulk actions and saved views (issue 20 §3) ---
    "API bulk note":               Action("POST", "/api/v1/complaints/bulk/", {"action": "note", "tickets": ["{verifying}"], "text": "已与网点主管沟通"}),
    "API bulk dispatch":           Action("POST", "/api/v1/complaints/bulk/", {"action": "dispatch", "tickets": ["{new}"], "unit": "A"}),
    "page bulk note":              Action("POST", "/lists/bulk/", {"action": "note", "tickets": ["{verifying}"], "text": "已与网点主管沟通", "list": "queue"}),
    "API view save":               Action("POST", "/api/v1/views/", {"name": "今日到期", "list": "queue", "query": "due=today"}),
    "API view rename":             Action("PATCH", "/api/v1/views/{view}/", {"name": "新名称"}),
    "API view delete":             Action("DELETE", "/api/v1/views/{view}/", {}),
    "page view save":              Action("POST", "/lists/views/", {"name": "今日到期", "list": "queue", "query": "due=today"}),
    "page view rename":            Action("POST", "/lists/views/{view}/rename/", {"name": "新名称", "list": "queue"}),
    # --- the journey (issue 21) ---
    "API tracking push":           Action("POST", "/api/v1/tracking/events/", access.push_batch, signed=True),
    "page journey refresh":        Action("POST", "/tracking/tickets/{verifying}/refresh/", {}),
    "page suggestion accept":      Action("POST", "/tracking/suggestions/{suggestion}/accept/", {}),
    # --- the bureau's figures and enquiries (issue 23) ---
    "API parcel volumes":          Action("POST", "/api/v1/parcel-volumes/", access.VOLUME),
    "page volume import":          Action("POST", "/regulators/volumes/import/", lambda: {"file": volume_csv(), "period": "2026-11"}),
    "API enquiry submit":          Action("POST", "/api/v1/enquiries/", access.ENQUIRY),
    "API enquiry resolve":         Action("POST", "/api/v1/enquiries/{enquiry}/resolve/", {"answer": "已告知客户快件位置。"}),
    "API enquiry convert":         Action("POST", "/api/v1/enquiries/{enquiry}/convert/", {}),
    "page enquiry record":         Action("POST", "/enquiries/", access.ENQUIRY_FORM),
    "page enquiry resolve":        Action("POST", "/enquiries/{enquiry}/resolve/", {"answer": "已告知客户快件位置。"}),
    "page enquiry convert":        Action("POST", "/enquiries/{enquiry}/convert/", {}),
    # --- fault rulings and disputes (issue 22) ---
    "API ruling record":           Action("POST", T % "answered" + "rulings/", RULING),
    "page ruling record":          Action("POST", "/rulings/complaints/{answered}/record/", {**RULING, "stage": "", "unit": "", "person": "", "current_ruling": ""}),
    "API ruling dispute":          Action("POST", "/api/v1/rulings/{ruling}/disputes/", lambda: {"reason": "客户本人签收，有签收底单。", "files": png("签收底单.png")}),
    "API dispute decision":        Action("POST", "/api/v1/disputes/{dispute}/decision/", {"outcome": "overturn", "reason": "底单属实。"}),
    # --- reply templates and macros (issue 20 §1) ---
    "API template use":            Action("POST", T % "verifying" + "templates/{template}/use/", {}),
    "API macro apply":             Action("POST", T % "verifying" + "macros/{macro}/apply/", {}),
    "API template create":         Action("POST", "/api/v1/templates/", TEMPLATE),
    "API template create (unit)":  Action("POST", "/api/v1/templates/", {**TEMPLATE, "unit": "{unit_a}"}),
    "API template edit (unit)":    Action("POST", "/api/v1/templates/{unit_template}/", {**UNIT_TEMPLATE, "unit": "{unit_a}"}),
    "API template off (unit)":     Action("POST", "/api/v1/templates/{unit_template}/deactivate/", {}),
    "page template save":          Action("POST", "/playbook/templates/", TEMPLATE),
    "page template edit (unit)":   Action("POST", "/playbook/templates/{unit_template}/", UNIT_TEMPLATE),
    "page template off (unit)":    Action("POST", "/playbook/templates/{unit_template}/off/", {}),
    "page macro run":              Action("POST", "/playbook/tickets/{verifying}/macros/{macro}/run/", {}),
}  # fmt: skip

MATRIX = """
action                       on         anon  cust  other ptnr  agent bob   carol sup
API submit                   -          201   201   201   201   201   403   403   201
API evidence                 verifying  404   201   404   403   201   201   404   201
API chase                    verifying  404   200   404   403   200   403   404   200
API rating                   closed     404   200   404   403   403   403   403   403
API not satisfied            closed     404   200   404   403   200   403   404   200
API customer reopen          closed     404   200   404   403   200   403   404   200
API dispatch                 new        401   401   401   403   200   404   404   200
API reassign                 verifying  401   401   401   403   200   403   404   200
API contact                  verifying  401   401   401   403   200   200   404   200
API contact (new)            new        401   401   401   403   200   404   404   200
API reply                    verifying  401   401   401   403   403   200   404   200
API start_follow_up          answered   401   401   401   403   200   403   404   200
API close                    answered   401   401   401   403   200   403   404   200
API reopen                   closed     401   401   401   403   200   403   404   200
API reject                   new        401   401   401   403   200   404   404   200
API withdraw                 verifying  401   401   401   403   200   403   404   200
API withdraw (new)           new        401   401   401   403   200   404   404   200
API pause                    verifying  401   401   401   403   200   200   404   200
API pause (new)              new        401   401   401   403   200   404   404   200
API resume                   paused     401   401   401   403   200   200   404   200
API escalate                 verifying  401   401   401   403   200   403   404   200
API escalate (new)           new        401   401   401   403   200   404   404   200
API category                 verifying  401   401   401   403   200   403   404   200
API take                     verifying  401   401   401   403   403   200   404   403
API take (new)               new        401   401   401   403   403   404   404   403
API assign                   verifying  401   401   401   403   200   403   404   200
API assign (new)             new        401   401   401   403   409   404   404   409
API duty                     -          401   401   401   403   403   200   200   403
API quote                    -          401   401   401   403   200   200   200   200
API claim propose            verifying  401   401   401   403   201   201   404   201
API claim approve            claimed    401   401   401   403   200   403   404   200
API claim reject             claimed    401   401   401   403   200   403   404   200
API claim pay                approved   401   401   401   403   200   403   404   200
API eligibility              -          200   200   200   200   200   200   200   200
API appeal register          -          401   401   401   403   403   403   403   201
API appeal investigate       appeal     401   401   401   403   403   403   403   200
API appeal draft report      appeal     401   401   401   403   403   403   403   200
API appeal edit report       appeal     401   401   401   403   403   403   403   200
API appeal send report       appeal     401   401   401   403   403   403   403   200
API appeal mediation         reported   401   401   401   403   403   403   403   200
API appeal mediation answer  mediation  401   401   401   403   403   403   403   200
API appeal close             appeal     401   401   401   403   403   403   403   200
page intake                  -          302   302   302   403   302   403   403   302
page dispatch                new        302   302   302   403   200   404   404   200
page reassign                verifying  302   302   302   403   200   403   404   200
page contact                 verifying  302   302   302   403   200   200   404   200
page contact (new)           new        302   302   302   403   200   404   404   200
page reply                   verifying  302   302   302   403   403   200   404   200
page start_follow_up         answered   302   302   302   403   200   403   404   200
page follow_up               answered   302   302   302   403   200   403   404   200
page reopen                  closed     302   302   302   403   200   403   404   200
page pause                   verifying  302   302   302   403   200   200   404   200
page resume                  paused     302   302   302   403   200   200   404   200
page chase                   verifying  302   302   302   403   200   403   404   200
page escalate                verifying  302   302   302   403   200   403   404   200
page priority                claimed    302   302   302   403   200   403   404   200
page category                verifying  302   302   302   403   200   403   404   200
page take                    verifying  302   302   302   403   403   200   404   403
page assign                  verifying  302   302   302   403   200   403   404   200
page team duty               -          302   302   302   403   403   302   403   403
page team settings           -          302   302   302   403   403   403   403   403
page justified               verifying  302   302   302   403   200   403   404   200
page reject                  new        302   302   302   403   200   404   404   200
page withdraw                verifying  302   302   302   403   200   403   404   200
page note                    verifying  302   302   302   403   200   200   404   200
page note (new)              new        302   302   302   403   200   404   404   200
page evidence                verifying  302   302   302   403   200   200   404   200
page reply-check             verifying  302   302   302   403   403   200   404   200
page reveal                  verifying  302   302   302   403   200   200   404   200
page claim quote             verifying  302   302   302   403   200   200   404   200
page claim propose           verifying  302   302   302   403   200   200   404   200
page claim approve           claimed    302   302   302   403   200   200x  404   200
page claim reject            claimed    302   302   302   403   200   200x  404   200
page claim pay               approved   302   302   302   403   200   200x  404   200
page appeal register         -          302   302   302   403   403   403   403   302
page notices read-all        -          302   302   302   403   302   302   302   302
page notice read             -          302   302   302   403   404   302   404   404
page notice open             -          302   302   302   403   404   302   404   404
API search                   -          401   401   401   403   200   200   200   200
API bulk note                verifying  401   401   401   403   200   200   200x  200
API bulk dispatch            new        401   401   401   403   200   200x  200x  200
page bulk note               verifying  302   302   302   403   200   200   200x  200
API view save                -          401   401   401   403   201   201   201   201
API view rename              -          401   401   401   403   404   200   404   404
API view delete              -          401   401   401   403   404   204   404   404
page view save               -          302   302   302   403   302   302   302   302
page view rename             -          302   302   302   403   404   302   404   404
API tracking push            -          200   200   200   200   200   200   200   200
page journey refresh         verifying  302   302   302   403   200   200   404   200
page suggestion accept       new        302   302   302   403   204   404   404   204
API parcel volumes           -          401   401   401   403   403   403   403   200
page volume import           -          302   302   302   403   403   403   403   302
API enquiry submit           -          201   201   201   201   201   403   403   201
API enquiry resolve          -          401   401   401   403   200   403   403   200
API enquiry convert          -          401   401   401   403   200   403   403   200
page enquiry record          -          302   302   302   403   302   403   403   302
page enquiry resolve         -          302   302   302   403   302   403   403   302
page enquiry convert         -          302   302   302   403   302   403   403   302
API ruling record            answered   401   401   401   403   201   403   404   201
page ruling record           answered   302   302   302   403   200   200x  404   200
API ruling dispute           closed     401   401   401   403   403   201   404   403
API dispute decision         disputed   401   401   401   403   403   403   404   200
API template use             verifying  401   401   401   403   200   200   404   200
API macro apply              verifying  401   401   401   403   200   200   404   200
API template create          -          401   401   401   403   403   403   403   201
API template create (unit)   -          401   401   401   403   403   201   403   201
API template edit (unit)     -          401   401   401   403   403   200   404   200
API template off (unit)      -          401   401   401   403   403   200   404   200
page template save           -          302   302   302   403   403   302   302   302
page template edit (unit)    -          302   302   302   403   403   302   404   302
page template off (unit)     -          302   302   302   403   404   302   404   302
page macro run               verifying  302   302   302   403   302   302   404   302
"""


@dataclass(frozen=True)
class Cell:
    action: str
    on: str
    column: str
    status: int
    done: bool  # allowed and carried out; False: refused, nothing may change


def _cells() -> list[Cell]:
    lines = [line for line in MATRIX.strip().splitlines()[1:] if line.strip()]
    cells = []
    for line in lines:
        # The action's name fills the first 29 characters (it may contain spaces).
        name, rest = line[:29].strip(), line[29:].split()
        on, statuses = rest[0], rest[1:]
        assert len(statuses) == len(COLUMNS), line
        for column, text in zip(COLUMNS, statuses, strict=True):
            status = int(text.rstrip("x"))
            done = status < 400 and not text.endswith("x") and not _to_login(status, column)
            cells.append(Cell(name, on, column, status, done))
    return cells


def _to_login(status: int, column: str) -> bool:
    # A page without a session is sent to the login page: 302 there is a refusal.
    return status == 302 and column in ("anon", "cust", "other")


CELLS = _cells()


def _fill(world, value):
    if isinstance(value, str):
        return world.fill(value)
    if isinstance(value, list):
        return [_fill(world, v) for v in value]
    return value


def _call(world, action: Action, column: str, on: str):
    path = world.fill(action.path)
    body = action.body() if callable(action.body) else action.body
    body = {k: _fill(world, v) for k, v in body.items()}
    if action.signed:
        raw = json.dumps(body).encode()
        client = world.api_client(column, on)  # its credentials go along, unused
        return client.post(path, raw, content_type="application/json", **access.push_headers(raw))
    if action.api:
        client = world.api_client(column, on)
        uploads = any(hasattr(v, "read") for v in body.values())
        send = getattr(client, action.method.lower())
        return send(path, body, format="multipart" if uploads else "json")
    return world.page_client(column, on).post(path, body)


@pytest.fixture
def push_secret(settings):
    settings.TRACKING = {**settings.TRACKING, "PUSH_SECRETS": [access.PUSH_SECRET]}


@pytest.fixture
def action_world(org, alice, bob, carol, sam, pat, now):
    return build(org=org, alice=alice, bob=bob, carol=carol, sam=sam, pat=pat, now=now)


def test_it_has_a_row_for_every_action_and_a_body_for_every_row():
    assert {cell.action for cell in CELLS} == set(ACTIONS)


def test_it_has_a_row_for_every_action_of_the_registry():
    """A new action of complaints/actions.py fails here until its rows say who may do it."""
    rows = {name for name in ACTIONS}
    missing = [f"API {a.api_name}" for a in action_registry.REGISTRY if a.api_name] + [
        f"page {a.name}" for a in action_registry.REGISTRY if a.page
    ]
    assert [row for row in missing if row not in rows] == []


def test_it_gives_every_write_route_of_the_access_matrix_a_valid_body():
    """A new write route fails here until someone writes down who may *do* it."""
    templates = {(a.method, _pattern_of(a.path)) for a in ACTIONS.values()}
    writes = {(r.method, r.path) for r in access.ROUTES if r.method != "GET"}
    # The access matrix fills one ticket, claim and appeal; the action matrix names objects.
    missing = sorted(
        w for w in writes if (w[0], _normalised(w[1])) not in templates and w not in NO_WRITE
    )
    assert missing == [], f"write routes without a row in the action matrix: {missing}"


# Write routes of the access matrix that nobody may call with that method.
NO_WRITE = {("POST", "/api/v1/appeals/{a}/report/")}  # the report is edited with PUT (405)


def _pattern_of(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "{}", path)


def _normalised(path: str) -> str:
    """An access-matrix path ({t}, {c}, {a}, {n}) as a template of this matrix's paths."""
    return re.sub(r"\{[a-z]\}", "{}", path)


def test_it_does_each_action_exactly_as_the_matrix_says(action_world, push_secret):
    tables = access.matrix_tables()
    wrong = []
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        for cell in CELLS:
            action = ACTIONS[cell.action]
            savepoint = transaction.savepoint()
            try:
                before = unchanged.snapshot(tables)
                response = _call(action_world, action, cell.column, cell.on)
                after = unchanged.snapshot(tables)
            finally:
                transaction.savepoint_rollback(savepoint)
            where = f"{cell.action} on {cell.on} as {cell.column}"
            if response.status_code != cell.status:
                detail = (
                    response.content[:300].decode(errors="replace")
                    if response.status_code >= 400
                    else ""
                )
                wrong.append(f"{where}: {response.status_code}, expected {cell.status} {detail}")
            changed = unchanged.changed(before, after)
            if not cell.done and changed:
                wrong.append(f"{where}: refused, but changed {changed}")
            if cell.done and action.writes and not changed:
                wrong.append(f"{where}: allowed, but nothing changed")
    assert wrong == [], "\n".join(wrong)
