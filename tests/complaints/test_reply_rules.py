"""The structured reply (回复要素, seed 001 §(五)1): three parts, with facts, never vague."""

from __future__ import annotations

import pytest

from complaints import rules, services
from complaints.models import Phrase
from kernel.errors import InvalidInput
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY

FACTS = "经查，该快件11月14日16:20收寄，次日到达网点甲，因分拣错误滞留一天。"
HANDLING = "网点甲投诉专员于11月16日10:30电话联系客户，说明原因并致歉。"
RESULT = "已妥投，客户表示认可。"


@pytest.mark.parametrize(
    ("parts", "refused"),
    [
        pytest.param(
            {"basic_facts": FACTS, "handling": HANDLING, "result": RESULT},
            set(),
            id="complete-reply-accepted",
        ),
        pytest.param(
            {"basic_facts": "已妥投", "handling": HANDLING, "result": RESULT},
            {"basic_facts"},
            id="seed001-已妥投-alone-refused",
        ),
        pytest.param(
            {"basic_facts": "我局正常发出。", "handling": HANDLING, "result": RESULT},
            {"basic_facts"},
            id="seed001-我局正常发出-refused",
        ),
        pytest.param(
            {"basic_facts": "  我局正常发出，已妥投！ ", "handling": HANDLING, "result": RESULT},
            {"basic_facts"},
            id="only-vague-phrases-refused",
        ),
        pytest.param(
            {"basic_facts": FACTS, "handling": "", "result": RESULT},
            {"handling"},
            id="missing-处理经过-refused",
        ),
        pytest.param(
            {"basic_facts": FACTS, "handling": HANDLING, "result": "  "},
            {"result"},
            id="blank-处理结果-refused",
        ),
        pytest.param(
            {"basic_facts": "滞留一天", "handling": HANDLING, "result": RESULT},
            {"basic_facts"},
            id="too-thin-基本情况-refused",
        ),
        pytest.param(
            {"basic_facts": "", "handling": "", "result": ""},
            {"basic_facts", "handling", "result"},
            id="every-missing-part-named",
        ),
    ],
)
def test_it_checks_the_three_reply_parts(parts, refused):
    problems = rules.reply_problems(parts, rules.DEFAULT_VAGUE_REPLIES)
    assert set(problems) == refused
    for message in problems.values():
        assert message.startswith(("请填写", "“"))


def test_it_explains_a_vague_reply_in_chinese():
    problems = rules.reply_problems(
        {"basic_facts": "已妥投", "handling": HANDLING, "result": RESULT}, ["已妥投"]
    )
    assert "模糊答复" in problems["basic_facts"]
    assert "签收人" in problems["basic_facts"]


def test_it_refuses_a_vague_reply_and_stores_nothing(make_complaint, alice, bob, org, now):
    complaint = bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    vague = services.ReplyInput(basic_facts="已妥投", handling="已处理", result="已解决")
    with pytest.raises(InvalidInput) as refused:
        services.complaint_reply(complaint=complaint, by=bob, reply=vague, now=now)
    assert set(refused.value.field_errors) == {"basic_facts", "handling", "result"}
    complaint.refresh_from_db()
    assert complaint.status == "verifying"
    assert complaint.replies.count() == 0


def test_it_uses_the_phrase_list_supervisors_edit(make_complaint, alice, bob, org, now):
    complaint = bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    Phrase.objects.create(kind=Phrase.Kind.VAGUE_REPLY, text="已按流程办理完毕")
    reply = services.ReplyInput(
        basic_facts=FACTS, handling="已按流程办理完毕，请知悉", result=RESULT
    )
    with pytest.raises(InvalidInput):
        services.complaint_reply(complaint=complaint, by=bob, reply=reply, now=now)
    Phrase.objects.filter(text="已按流程办理完毕").update(is_active=False)
    services.complaint_reply(complaint=complaint, by=bob, reply=reply, now=now)


def test_it_stops_the_first_response_and_resolution_timers_on_reply(
    make_complaint, alice, bob, org, now
):
    complaint = bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY, now=now)
    complaint.refresh_from_db()
    assert complaint.first_response_at == now
    assert complaint.answered_at == now
    assert complaint.justified is True
    assert complaint.next_deadline == complaint.follow_up_due


@pytest.mark.parametrize(
    ("facts_confirmed", "our_fault", "obstructed", "justified"),
    [
        pytest.param(True, True, False, True, id="seed001-5(1)-true-and-our-fault"),
        pytest.param(True, False, False, False, id="true-but-not-our-fault"),
        pytest.param(False, True, False, False, id="not-confirmed"),
        pytest.param(False, False, True, True, id="seed001-5(2)-obstruction-escalated-it"),
        pytest.param(False, False, False, False, id="nothing-found"),
    ],
)
def test_it_decides_a_justified_complaint(facts_confirmed, our_fault, obstructed, justified):
    assert (
        rules.is_justified(
            facts_confirmed=facts_confirmed, our_fault=our_fault, obstructed=obstructed
        )
        is justified
    )
