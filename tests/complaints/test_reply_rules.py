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


# What the branch reads when a reply is refused, word for word (seed 001 §(五)1, seeds 003/004).
ASK_FACTS = "请写明事实经过：收寄/封发/投递时间、邮件状态、签收人等。"
ASK_HANDLING = "请写明由谁、何时、以何种方式联系客户，采取了哪些措施。"
ASK_RESULT = "请写明问题是否已解决、客户是否满意或认可。"
NO_FACT = "没有写明时间、地点、人员或采取的措施，"
NO_EXCUSES = "不得以任何借口推诿、拒绝或搪塞客户，"


@pytest.mark.parametrize(
    ("parts", "problems"),
    [
        pytest.param(
            {"handling": HANDLING, "result": RESULT},
            {"basic_facts": "请填写“基本情况”。"},
            id="a-part-left-out-is-asked-for",
        ),
        pytest.param(
            {"basic_facts": FACTS, "handling": " \n", "result": "。"},
            {"handling": "请填写“处理经过”。", "result": "请填写“处理结果”。"},
            id="blank-and-punctuation-only-are-missing",
        ),
        pytest.param(
            {"basic_facts": "我局正常发出", "handling": HANDLING, "result": RESULT},
            {"basic_facts": "“基本情况”不能只写“我局正常发出”这类模糊答复，" + ASK_FACTS},
            id="seed001-names-the-longest-vague-phrase",
        ),
        pytest.param(
            {"basic_facts": "已妥投，谢谢您", "handling": HANDLING, "result": RESULT},
            {"basic_facts": "“基本情况”不能只写“已妥投”这类模糊答复，" + ASK_FACTS},
            id="seed001-vague-phrase-and-three-more-characters",
        ),
        pytest.param(
            {"basic_facts": "已妥投，谢谢您了", "handling": HANDLING, "result": RESULT},
            {"basic_facts": "“基本情况”除“已妥投”这类模糊答复外，" + NO_FACT + ASK_FACTS},
            id="seed001-vague-phrase-and-four-more-characters-but-no-fact",
        ),
        pytest.param(
            {"basic_facts": "已妥投，11月16日由快递员投递", "handling": HANDLING, "result": RESULT},
            {},
            id="seed001-vague-phrase-with-a-fact-accepted",
        ),
        pytest.param(
            {
                "basic_facts": FACTS,
                "handling": "我局正常发出，已妥投，请客户再耐心等待吧",
                "result": RESULT,
            },
            {"handling": "“处理经过”除“我局正常发出”这类模糊答复外，" + NO_FACT + ASK_HANDLING},
            id="seed001-names-the-first-vague-phrase-found",
        ),
        pytest.param(
            {"basic_facts": FACTS, "handling": HANDLING, "result": "不知道，我也没办法"},
            {"result": "“处理结果”含有推诿用语“我也没办法”，" + NO_EXCUSES + ASK_RESULT},
            id="seed003-names-the-longest-evasive-phrase",
        ),
        pytest.param(
            {"basic_facts": "这事不归我管。", "handling": "", "result": "已解决"},
            {
                "basic_facts": "“基本情况”含有推诿用语“不归我管”，" + NO_EXCUSES + ASK_FACTS,
                "handling": "请填写“处理经过”。",
                "result": "“处理结果”不能只写“已解决”这类模糊答复，" + ASK_RESULT,
            },
            id="seed003-an-evasive-part-does-not-stop-the-others-being-checked",
        ),
        pytest.param(
            {"basic_facts": "快件滞留一天后到达", "handling": HANDLING, "result": RESULT},
            {"basic_facts": "“基本情况”过于简单，" + ASK_FACTS},
            id="nine-characters-are-too-few-for-the-facts",
        ),
        pytest.param(
            {"basic_facts": "快件滞留一天后到达了", "handling": HANDLING, "result": "客户认可"},
            {},
            id="ten-characters-of-facts-and-four-of-result-are-enough",
        ),
        pytest.param(
            {"basic_facts": FACTS, "handling": HANDLING, "result": "客户认"},
            {"result": "“处理结果”过于简单，" + ASK_RESULT},
            id="three-characters-of-result-are-too-few",
        ),
    ],
)
def test_it_explains_each_refused_part_word_for_word(parts, problems):
    assert (
        rules.reply_problems(parts, rules.DEFAULT_VAGUE_REPLIES, rules.DEFAULT_EVASIVE_REPLIES)
        == problems
    )


def test_it_names_the_same_phrase_whatever_order_the_phrases_come_in():
    # Two evasive phrases of one length in one part: the longest first, then in text order, so
    # the refusal names the same one on every run (the phrases come from a query in any order).
    parts = {"basic_facts": FACTS, "handling": HANDLING, "result": "无法处理也不归我管，就这样吧"}
    for phrases in (["无法处理", "不归我管"], ["不归我管", "无法处理"]):
        assert rules.reply_problems(parts, (), phrases) == {
            "result": "“处理结果”含有推诿用语“不归我管”，不得以任何借口推诿、拒绝或搪塞客户，"
            "请写明问题是否已解决、客户是否满意或认可。"
        }


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        pytest.param("sf 1234-5678", "SF12345678", id="spaces-and-dashes-dropped"),
        pytest.param("ＳＦ１２３４", "SF1234", id="full-width-to-ascii"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="none"),
    ],
)
def test_it_normalises_a_tracking_number(raw, normalized):
    assert rules.normalize_tracking_no(raw) == normalized


@pytest.mark.parametrize(
    ("normalized", "pattern", "valid"),
    [
        pytest.param("SF1234", r"[A-Z0-9]{2,40}", True, id="letters-and-digits"),
        pytest.param("SF12#4", r"[A-Z0-9]{2,40}", False, id="not-the-pattern"),
        pytest.param("运单1234", r"\w{2,40}", False, id="other-scripts-never-whatever-the-pattern"),
    ],
)
def test_it_checks_the_shape_of_a_tracking_number(normalized, pattern, valid):
    assert rules.is_valid_tracking_no(normalized, pattern) is valid
