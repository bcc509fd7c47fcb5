"""Templates and macros shared by the playbook tests; the browser fixtures of tests/browser."""

from __future__ import annotations

import pytest

from playbook import services
from tests.browser.conftest import browser, open_as, screenshot  # noqa: F401  (fixtures)

GOOD_REPLY_TEMPLATE = services.TemplateInput(
    kind="reply",
    title="延误：已联系派送",
    category="delay",
    basic_facts="经查，您于{受理时间}反映的运单{运单号}因中转延误滞留{责任单位}。",
    handling="{责任单位}投诉专员已电话联系{客户称呼}，说明原因并致歉，安排专人派送。",
    result="快件已安排派送，请{客户称呼}保持电话畅通，如有疑问请联系我们。",
)


@pytest.fixture
def reply_template(sam, now):
    return services.template_save(by=sam, data=GOOD_REPLY_TEMPLATE, now=now)


@pytest.fixture
def follow_up_script(sam, now):
    return services.template_save(
        by=sam,
        data=services.TemplateInput(
            kind="follow_up",
            title="回访：满意度",
            text="{客户称呼}您好，这里是快递客服，就运单{运单号}的投诉进行回访，请问处理结果您是否满意？",
        ),
        now=now,
    )
