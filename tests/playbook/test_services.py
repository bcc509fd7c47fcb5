"""Templates and macros through the services: the reply checks, who keeps them, use and audit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from complaints.models import ComplaintTransition, Note
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from playbook import services
from playbook.models import Macro, ReplyTemplate, TemplateEvent

from .conftest import GOOD_REPLY_TEMPLATE

pytestmark = pytest.mark.django_db


# --- No template teaches evasion (issue 20 §1; seed 001 §(五)1, seeds 003/004) ---------------

# (which part, the text put there, the start of the refusal on that part)
REFUSED_PARTS = [
    ("basic_facts", "我局正常发出。", "“基本情况”不能只写"),  # seed 001: vague
    ("handling", "这个不归我管，请联系发件网点处理。", "“处理经过”含有推诿用语"),  # seed 003
    ("result", "", "请填写“处理结果”"),  # three parts, always
    ("result", "运单{单号}已妥投。", "未知的占位符“{单号}”"),
]


@pytest.mark.parametrize(("part", "text", "problem"), REFUSED_PARTS)
def test_it_refuses_a_reply_template_a_reply_would_be_refused_for(sam, now, part, text, problem):
    with pytest.raises(InvalidInput) as refused:
        services.template_save(by=sam, data=replace(GOOD_REPLY_TEMPLATE, **{part: text}), now=now)

    assert refused.value.field_errors[part].startswith(problem)
    assert not ReplyTemplate.objects.exists() and not TemplateEvent.objects.exists()


def test_it_refuses_an_evasive_call_script(sam, now):
    script = services.TemplateInput(kind="follow_up", title="回访", text="您好，这事我们也没办法。")
    with pytest.raises(InvalidInput) as refused:
        services.template_save(by=sam, data=script, now=now)
    assert "推诿用语" in refused.value.field_errors["text"]


def test_placeholders_count_as_the_facts_they_become(sam, now):
    # "{受理时间}" becomes a time: "已妥投" beside it is a fact, as in a real reply.
    data = replace(GOOD_REPLY_TEMPLATE, result="运单{运单号}已妥投，{受理时间}客户本人签收。")
    assert services.template_save(by=sam, data=data, now=now).pk


# --- Who keeps which templates -------------------------------------------------------------

# (persona, scope: None company-wide or the unit's code, allowed)
KEEPERS = [
    ("sam", None, True),  # supervisors own the company-wide ones
    ("sam", "A", True),  # … and may help a unit
    ("bob", "A", True),  # the branch keeps its own (unit A has no head)
    ("bob", None, False),
    ("bob", "B", False),  # never another unit's
    ("alice", None, False),  # agents use templates, never write them
    ("alice", "A", False),
]


@pytest.mark.parametrize(("persona", "unit", "allowed"), KEEPERS)
def test_who_may_keep_templates(request, org, now, persona, unit, allowed):
    user = request.getfixturevalue(persona)
    data = replace(GOOD_REPLY_TEMPLATE, unit_id=org[unit.lower()].pk if unit else None)
    if allowed:
        assert services.template_save(by=user, data=data, now=now).unit_id == data.unit_id
    else:
        with pytest.raises(NotAllowed):
            services.template_save(by=user, data=data, now=now)
        assert not ReplyTemplate.objects.exists()


def test_a_unit_with_a_head_is_kept_by_its_head_alone(org, bob, now):
    from tests.conftest import _user

    head = _user("head_a", "branch", org["a"])
    org["a"].head = head
    org["a"].save()
    data = replace(GOOD_REPLY_TEMPLATE, unit_id=org["a"].pk)
    with pytest.raises(NotAllowed):
        services.template_save(by=bob, data=data, now=now)
    assert services.template_save(by=head, data=data, now=now).unit_id == org["a"].pk


def test_every_edit_is_audited_with_what_changed(sam, reply_template, now):
    data = replace(GOOD_REPLY_TEMPLATE, title="延误：已联系并致歉")
    services.template_save(by=sam, data=data, template=reply_template, now=now)
    services.template_save(by=sam, data=data, template=reply_template, now=now)  # no change
    services.template_deactivate(by=sam, template=reply_template, now=now)

    events = list(reply_template.events.order_by("id").values_list("action", "changes"))
    assert [action for action, _ in events] == ["created", "changed", "deactivated"]
    assert events[1][1] == {"title": {"from": "延误：已联系派送", "to": "延误：已联系并致歉"}}


def test_a_duplicate_title_is_a_clear_refusal(sam, reply_template, now):
    with pytest.raises(InvalidInput) as refused:
        services.template_save(by=sam, data=GOOD_REPLY_TEMPLATE, now=now)
    assert "同名" in refused.value.field_errors["title"]


# --- Which templates fit a complaint, filled -------------------------------------------------


def test_it_lists_the_fitting_templates_unit_and_category_first(
    sam, bob, org, make_complaint, reply_template, now
):
    complaint = make_complaint(unit_code="A")
    own = services.template_save(
        by=bob, data=replace(GOOD_REPLY_TEMPLATE, title="本网点口径", unit_id=org["a"].pk), now=now
    )
    services.template_save(
        by=sam, data=replace(GOOD_REPLY_TEMPLATE, title="丢失口径", category="loss"), now=now
    )
    services.template_save(
        by=sam, data=replace(GOOD_REPLY_TEMPLATE, title="乙网点口径", unit_id=org["b"].pk), now=now
    )

    listed = [t.title for t in services.templates_for(complaint)]
    assert listed == [own.title, reply_template.title]


def test_filling_uses_the_complaints_values_and_the_surname_only(make_complaint, reply_template):
    complaint = make_complaint(unit_code="A")
    filled = services.template_fill(reply_template, complaint)

    assert filled["basic_facts"].text == (
        "经查，您于11月16日10:00反映的运单SF1234567890因中转延误滞留网点甲。"
    )
    assert "测先生/女士" in filled["handling"].text and "测试客户" not in filled["handling"].text
    assert all(not part.unfilled for part in filled.values())


def test_a_use_is_counted_and_audited(bob, make_complaint, reply_template, now):
    complaint = make_complaint(unit_code="A")
    services.template_use(
        by=bob, ticket_no=complaint.ticket_no, template_id=reply_template.pk, now=now
    )

    reply_template.refresh_from_db()
    assert reply_template.use_count == 1
    used = reply_template.events.get(action="used")
    assert (used.by, used.complaint) == (bob, complaint)


def test_another_units_complaint_is_not_found(carol, make_complaint, reply_template, now):
    complaint = make_complaint(unit_code="A")
    with pytest.raises(NotFound):
        services.template_use(
            by=carol, ticket_no=complaint.ticket_no, template_id=reply_template.pk, now=now
        )
    assert not TemplateEvent.objects.filter(action="used").exists()


# --- Macros ----------------------------------------------------------------------------------


@pytest.fixture
def urgent_macro(sam, follow_up_script, now):
    return services.macro_save(
        by=sam,
        data=services.MacroInput(
            title="证照丢失：加急",
            priority="urgent",
            priority_reason="客户反映内件为证照，运单{运单号}",
            note="已按证照类快件加急处理，受理时间{受理时间}。",
            template_id=follow_up_script.pk,
        ),
        now=now,
    )


def test_a_macro_makes_each_change_through_complaints_audited_on_its_own(
    alice, make_complaint, urgent_macro, follow_up_script, now
):
    complaint = make_complaint(unit_code="A")
    outcome = services.macro_apply(
        by=alice, ticket_no=complaint.ticket_no, macro_id=urgent_macro.pk, now=now
    )

    assert outcome.done == ["priority", "note", "template"]
    complaint.refresh_from_db()
    assert complaint.priority == "urgent"
    audit = ComplaintTransition.objects.filter(complaint=complaint, transition="set_priority").get()
    assert audit.reason == "客户反映内件为证照，运单SF1234567890"
    assert (
        Note.objects.get(complaint=complaint).text
        == "已按证照类快件加急处理，受理时间11月16日10:00。"
    )
    assert outcome.filled["text"].text.startswith("测先生/女士您好")
    assert set(
        TemplateEvent.objects.filter(complaint=complaint).values_list("action", flat=True)
    ) == {
        "used",
        "applied",
    }


def test_a_refused_part_undoes_the_whole_macro(bob, make_complaint, urgent_macro, now):
    # Branch staff may not set priorities (SPEC §1): nothing of the macro stays.
    complaint = make_complaint(unit_code="A")
    with pytest.raises(NotAllowed):
        services.macro_apply(
            by=bob, ticket_no=complaint.ticket_no, macro_id=urgent_macro.pk, now=now
        )

    complaint.refresh_from_db()
    assert complaint.priority == "normal"
    assert not Note.objects.filter(complaint=complaint).exists()
    assert not TemplateEvent.objects.filter(complaint=complaint).exists()


def test_a_priority_already_set_is_left_alone(alice, make_complaint, urgent_macro, now):
    from complaints import services as complaint_services

    complaint = make_complaint(unit_code="A")
    complaint_services.complaint_set_priority(
        complaint=complaint, by=alice, priority="urgent", reason="客户来电催促", now=now
    )
    outcome = services.macro_apply(
        by=alice, ticket_no=complaint.ticket_no, macro_id=urgent_macro.pk, now=now
    )

    assert outcome.done == ["note", "template"]
    assert complaint.transitions.filter(transition="set_priority").count() == 1


def test_a_macro_needs_something_to_do_and_a_reason_for_a_priority(sam, now):
    with pytest.raises(InvalidInput) as empty:
        services.macro_save(by=sam, data=services.MacroInput(title="空宏"), now=now)
    assert "至少" in empty.value.field_errors["title"]
    with pytest.raises(InvalidInput) as no_reason:
        services.macro_save(
            by=sam, data=services.MacroInput(title="加急", priority="urgent"), now=now
        )
    assert "调整原因" in no_reason.value.field_errors["priority_reason"]
    assert not Macro.objects.exists()


def test_a_unit_macro_cannot_bring_another_units_template(sam, bob, org, now):
    other = services.template_save(
        by=sam, data=replace(GOOD_REPLY_TEMPLATE, unit_id=org["b"].pk), now=now
    )
    with pytest.raises(InvalidInput) as refused:
        services.macro_save(
            by=bob,
            data=services.MacroInput(title="带模板", unit_id=org["a"].pk, template_id=other.pk),
            now=now,
        )
    assert "模板" in refused.value.field_errors["template"]


def test_a_template_a_macro_brings_cannot_be_switched_off(sam, urgent_macro, follow_up_script, now):
    with pytest.raises(Conflict):
        services.template_deactivate(by=sam, template=follow_up_script, now=now)


def test_the_demo_templates_pass_the_checks_and_seed_once(org):
    from playbook.demo import DEMO_TEMPLATES, seed_demo_playbook
    from tests.conftest import _user

    _user("supervisor", "supervisor", org["company"])
    seed_demo_playbook()
    seed_demo_playbook()

    assert ReplyTemplate.objects.count() == len(DEMO_TEMPLATES)
    assert Macro.objects.count() == 1


# --- A macro that changes the category (issue 20 §1) ------------------------------------------


@pytest.fixture
def loss_macro(sam, now):
    return services.macro_save(
        by=sam,
        data=services.MacroInput(
            title="改为丢失",
            category="loss",
            category_reason="客户确认快件丢失，运单{运单号}",
            note="已改为丢失类处理。",
        ),
        now=now,
    )


def test_a_macro_changes_the_category_audited_as_its_own_action(
    alice, make_complaint, loss_macro, now
):
    complaint = make_complaint(unit_code="A")  # 延误

    outcome = services.macro_apply(
        by=alice, ticket_no=complaint.ticket_no, macro_id=loss_macro.pk, now=now
    )

    assert outcome.done == ["category", "note"]
    complaint.refresh_from_db()
    assert complaint.category == "loss"
    audit = complaint.transitions.get(transition="set_category")
    assert audit.reason == "客户确认快件丢失，运单SF1234567890"
    assert audit.details == {"category": "loss", "previous": "delay"}
    assert Note.objects.get(complaint=complaint).text == "已改为丢失类处理。"


def test_a_branch_clerk_running_a_category_macro_changes_nothing(
    bob, make_complaint, loss_macro, now
):
    # Classifying is triage (agents, supervisors): the whole macro is refused, nothing stays.
    complaint = make_complaint(unit_code="A")
    with pytest.raises(NotAllowed):
        services.macro_apply(by=bob, ticket_no=complaint.ticket_no, macro_id=loss_macro.pk, now=now)

    complaint.refresh_from_db()
    assert complaint.category == "delay"
    assert not complaint.transitions.filter(transition="set_category").exists()
    assert not Note.objects.filter(complaint=complaint).exists()
    assert not TemplateEvent.objects.filter(complaint=complaint).exists()


def test_a_category_macro_needs_a_valid_category_and_a_reason(sam, now):
    with pytest.raises(InvalidInput) as no_reason:
        services.macro_save(
            by=sam, data=services.MacroInput(title="改类", category="loss"), now=now
        )
    assert "调整原因" in no_reason.value.field_errors["category_reason"]
    with pytest.raises(InvalidInput) as bad:
        services.macro_save(
            by=sam,
            data=services.MacroInput(title="改类", category="nonsense", category_reason="测试"),
            now=now,
        )
    assert "category" in bad.value.field_errors
    assert not Macro.objects.exists()
