"""What `seed_demo` adds for this app: a few company-wide templates and one macro (idempotent)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from . import services
from .models import Macro, ReplyTemplate

DEMO_TEMPLATES = (
    services.TemplateInput(
        kind="reply",
        title="延误：已查明原因并派送",
        category="delay",
        basic_facts="经查，您于{受理时间}反映的运单{运单号}因中转环节延误，滞留{责任单位}。",
        handling="{责任单位}投诉专员已电话联系{客户称呼}，说明延误原因并致歉，当日安排专人派送。",
        result="快件已安排专人派送，{客户称呼}表示认可；如仍有疑问请随时联系我们。",
    ),
    services.TemplateInput(
        kind="contact",
        title="首次联系：已受理正在核实",
        text="已电话联系{客户称呼}，告知运单{运单号}的投诉已受理，{责任单位}正在核实，"
        "将在{处理时限}前答复。",
    ),
    services.TemplateInput(
        kind="follow_up",
        title="回访：确认处理结果",
        text="{客户称呼}您好，这里是快递客服，就运单{运单号}的投诉进行回访：请问快件是否已收到，"
        "对处理结果是否满意？",
    ),
)


def seed_demo_playbook(*, stdout=None, **kwargs) -> None:
    supervisor = get_user_model().objects.filter(username="supervisor").first()
    if supervisor is None:
        return
    for data in DEMO_TEMPLATES:
        if not ReplyTemplate.objects.filter(kind=data.kind, title=data.title, unit=None).exists():
            services.template_save(by=supervisor, data=data)
    if not Macro.objects.filter(title="证照类快件：加急", unit=None).exists():
        services.macro_save(
            by=supervisor,
            data=services.MacroInput(
                title="证照类快件：加急",
                priority="urgent",
                priority_reason="内件为证照类物品，运单{运单号}",
                note="证照类快件，请{责任单位}优先核实并当日答复。",
            ),
        )
    if stdout is not None:
        stdout.write("答复模板与宏：已就绪")
