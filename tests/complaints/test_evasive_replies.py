"""Replies that evade or say nothing (issue 18): 推诿用语 wherever they appear (seeds 003/004
服务用语, seed 001 §(五)1(2)), and a vague phrase padded with words but no fact (seed 001
§(五)1(3)).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints import rules, services
from complaints.models import Phrase
from kernel.errors import InvalidInput
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY

FACTS = GOOD_REPLY.basic_facts
HANDLING = GOOD_REPLY.handling
RESULT = GOOD_REPLY.result


def problems(**parts):
    reply = {"basic_facts": FACTS, "handling": HANDLING, "result": RESULT, **parts}
    return rules.reply_problems(reply, rules.DEFAULT_VAGUE_REPLIES, rules.DEFAULT_EVASIVE_REPLIES)


@pytest.mark.parametrize(
    ("parts", "field", "words"),
    [
        pytest.param(
            {"handling": HANDLING + "其余问题不归我管。"},
            "handling",
            "不归我管",
            id="seed004-不归我管-inside-a-factual-part",
        ),
        pytest.param(
            {"result": "快件已于11月16日妥投，丢失的内件我也没办法。"},
            "result",
            "我也没办法",
            id="seed003-我也没办法",
        ),
        pytest.param(
            {"basic_facts": FACTS + "具体原因不知道。"},
            "basic_facts",
            "不知道",
            id="seed003-不知道",
        ),
        pytest.param(
            {"handling": "11月16日10:30电话联系客户，告知你找别人。"},
            "handling",
            "你找别人",
            id="seed001-你找别人",
        ),
        pytest.param(
            {"result": "经核实，这不是我们的问题，客户表示知悉。"},
            "result",
            "这不是我们的问题",
            id="seed001-这不是我们的问题",
        ),
    ],
)
def test_it_refuses_an_evasive_phrase_wherever_it_appears(parts, field, words):
    found = problems(**parts)

    assert set(found) == {field}
    assert "推诿用语" in found[field] and f"“{words}”" in found[field]


@pytest.mark.parametrize(
    ("basic_facts", "refused"),
    [
        pytest.param(
            "我局正常发出，已妥投，请客户自行查看物流信息",
            True,
            id="seed001-vague-phrases-padded-without-a-fact",
        ),
        pytest.param("已妥投，详情以系统为准，请知悉。", True, id="seed001-vague-and-filler"),
        pytest.param(
            "我局正常发出，11月15日08:05到达网点甲，已妥投",
            False,
            id="seed001-vague-phrase-with-a-time-and-place",
        ),
        pytest.param(
            "已妥投，由收件人本人签收",
            False,
            id="seed001-vague-phrase-with-who-signed",
        ),
    ],
)
def test_a_vague_phrase_needs_a_fact_beside_it(basic_facts, refused):
    found = problems(basic_facts=basic_facts)

    assert ("basic_facts" in found) is refused
    if refused:
        assert "没有写明时间、地点、人员或采取的措施" in found["basic_facts"]
        assert "签收人" in found["basic_facts"]  # the hint says what to write


def test_a_factual_reply_passes():
    assert problems() == {}


# --- Through the services and the API (real PostgreSQL) -------------------------------------


@pytest.fixture
def verifying(make_complaint, alice, bob, org, now):
    return bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )


def test_the_service_refuses_an_evasive_reply_and_stores_nothing(verifying, bob, now):
    reply = services.ReplyInput(
        basic_facts=FACTS, handling=HANDLING + "别的没办法。", result=RESULT
    )
    with pytest.raises(InvalidInput) as refused:
        services.complaint_reply(complaint=verifying, by=bob, reply=reply, now=now)
    assert set(refused.value.field_errors) == {"handling"}
    assert verifying.replies.count() == 0


def test_the_evasive_list_is_edited_in_the_admin(verifying, bob, now):
    reply = services.ReplyInput(basic_facts=FACTS, handling=HANDLING, result=RESULT + "您看着办吧")
    Phrase.objects.create(kind=Phrase.Kind.EVASIVE_REPLY, text="您看着办")
    with pytest.raises(InvalidInput):
        services.complaint_reply(complaint=verifying, by=bob, reply=reply, now=now)
    Phrase.objects.filter(text="您看着办").update(is_active=False)
    services.complaint_reply(complaint=verifying, by=bob, reply=reply, now=now)


def test_the_api_explains_in_chinese_which_part_fails(verifying, bob):
    cache.clear()
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=bob)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {
        "facts": "我局正常发出，已妥投，请客户自行查看物流信息",
        "process": HANDLING,
        "result": "客户的其他问题不归我管。",
    }
    url = f"/api/v1/complaints/{verifying.ticket_no}/actions/reply/"

    response = client.post(url, body, format="json")

    assert response.status_code == 400, response.json()
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"facts", "result"}
    assert "没有写明时间、地点、人员或采取的措施" in fields["facts"]
    assert "推诿用语“不归我管”" in fields["result"]
