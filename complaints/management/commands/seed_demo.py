"""Load synthetic demo data: a company, 2 regions, 4 branches, four users, ~50 complaints.

Idempotent: units and users are created once (passwords are only set on creation), and
complaints are added only up to the target count. Development only: the passwords are public.
All names and numbers are synthetic.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from complaints import hooks, services
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ContactMethod,
    FollowUpOutcome,
    Party,
    Role,
    StaffProfile,
    Unit,
)

DEMO_PASSWORD = "demo-pass-2026"  # nosec B105  # public demo password; refused unless DEBUG
DEMO_TRACKING_PREFIX = "DEMO"
TARGET_COMPLAINTS = 50

UNITS = [
    ("HQ", "示例快递公司", Unit.Kind.COMPANY, None),
    ("R-EAST", "东区分公司", Unit.Kind.REGION, "HQ"),
    ("R-WEST", "西区分公司", Unit.Kind.REGION, "HQ"),
    ("B-EAST-1", "东区第一营业部", Unit.Kind.BRANCH, "R-EAST"),
    ("B-EAST-2", "东区第二营业部", Unit.Kind.BRANCH, "R-EAST"),
    ("B-WEST-1", "西区第一营业部", Unit.Kind.BRANCH, "R-WEST"),
    ("B-WEST-2", "西区第二营业部", Unit.Kind.BRANCH, "R-WEST"),
]

USERS = [
    ("agent", "坐席", "示例", Role.AGENT, None, False),
    ("branch_a", "网点甲", "示例", Role.BRANCH, "B-EAST-1", False),
    # Colleagues of branch_a, for the 处理人 and automatic assignment (issue 20 §2).
    ("branch_a2", "网点甲", "二号", Role.BRANCH, "B-EAST-1", False),
    ("branch_a3", "网点甲", "三号", Role.BRANCH, "B-EAST-1", False),
    ("branch_b", "网点乙", "示例", Role.BRANCH, "B-WEST-1", False),
    ("supervisor", "主管", "示例", Role.SUPERVISOR, "HQ", True),
]

DESCRIPTIONS = {
    Category.DELAY: "快件已超过承诺时限三天仍未送达，物流信息一直停留在中转站。",
    Category.LOSS: "快件显示已揽收但之后再无更新，网点说找不到了。",
    Category.DAMAGE: "收到时外箱破损，里面的陶瓷杯碎了两个。",
    Category.SHORT: "包裹重量明显不对，里面少了一件衣服。",
    Category.MISDELIVERY: "显示已签收，但本人并未收到，也没有人代签。",
    Category.ATTITUDE: "快递员电话里态度很差，要求我自己去网点取件。",
    Category.FEE: "寄件时多收了十元，没有说明原因。",
    Category.OTHER: "希望修改收件地址，但客服一直没有处理。",
}

REPLY = services.ReplyInput(
    basic_facts="经查，该邮件于前日16:20收寄，次日8:05到达本营业部，因分拣错误滞留一天。",
    handling="营业部投诉专员于今日10:30电话联系客户，说明原因并致歉，当日下午安排专人投递。",
    result="邮件已于今日15:00妥投，客户本人签收，客户表示认可处理结果。",
    customer_accepts=True,
    facts_confirmed=True,
    our_fault=True,
)

# The unit that assigns its complaints to its staff automatically (issue 20 §2), and who of
# its staff starts the demo off duty.
AUTO_ASSIGN_UNIT = "B-EAST-1"
OFF_DUTY = {"branch_a3"}

# How far each demo complaint gets through the loop.
STAGES = [
    "accepted",
    "verifying",
    "contacted",
    "paused",
    "answered",
    "follow_up",
    "closed",
    "reopened",
    "rejected",
    "withdrawn",
]


class Command(BaseCommand):
    help = "载入演示数据（幂等）：单位、用户和约50宗合成投诉。仅供开发环境使用。"

    def handle(self, *args, **options):
        # The demo users' password is public (README): never create them in production.
        if not settings.DEBUG:
            raise CommandError("演示数据的密码是公开的，只能在开发环境（DJANGO_DEBUG=true）载入。")
        units = self._units()
        users = self._users(units)
        existing = Complaint.objects.filter(tracking_no__startswith=DEMO_TRACKING_PREFIX).count()
        missing = max(TARGET_COMPLAINTS - existing, 0)
        rng = random.Random(existing)  # nosec B311  # synthetic demo data, not a secret
        branches = [units["B-EAST-1"], units["B-EAST-2"], units["B-WEST-1"], units["B-WEST-2"]]
        for i in range(existing, existing + missing):
            self._complaint(i, rng, users, branches)
        # What features add to the demo (tracking: the demo TMS's waybills), after the complaints.
        for seed in hooks.demo_seeders:
            seed(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪：{len(units)} 个单位，{len(users)} 个用户，新增 {missing} 宗投诉。"
            )
        )

    def _units(self) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        for code, name, kind, parent in UNITS:
            unit, _ = Unit.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "parent": units.get(parent),
                    "auto_assign": code == AUTO_ASSIGN_UNIT,
                    "assign_cap": 8,
                },
            )
            units[code] = unit
        return units

    def _users(self, units: dict[str, Unit]):
        User = get_user_model()
        users = {}
        for username, first, last, role, unit_code, is_staff in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": is_staff},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            StaffProfile.objects.update_or_create(
                user=user,
                defaults={"role": role, "unit": units.get(unit_code)},
                create_defaults={
                    "role": role,
                    "unit": units.get(unit_code),
                    "on_duty": username not in OFF_DUTY,
                },
            )
            users[username] = User.objects.get(pk=user.pk)  # fresh permission cache
        head = users["branch_a"]
        Unit.objects.filter(code="B-EAST-1", head__isnull=True).update(head=head)
        return users

    @transaction.atomic
    def _complaint(self, i: int, rng: random.Random, users, branches) -> None:
        agent, supervisor = users["agent"], users["supervisor"]
        category = list(Category)[i % len(Category)]
        stage = STAGES[i % len(STAGES)]
        unit = branches[i % len(branches)]
        # Spread over the last ten days; the earliest stages are the most recent.
        accepted = timezone.now() - timedelta(hours=rng.randint(1, 240))
        data = services.NewComplaint(
            # Every twelfth complaint is about the waybill of the one before: a repeat.
            tracking_no=f"{DEMO_TRACKING_PREFIX}{9_000_000 + i - (i % 12 == 11):09d}",
            complainant_name=f"示例客户{i:02d}",
            phone=f"1990000{i:04d}",
            party=rng.choice(list(Party)),
            category=category,
            description=DESCRIPTIONS[category],
            channel=rng.choice([Channel.PHONE, Channel.API, Channel.WEB]),
            demand="compensation" if category in ("loss", "damage", "short") else "other",
            freight=Decimal(rng.choice(["12.00", "18.00", "23.00"])),
        )
        complaint, _ = services.complaint_create(data=data, by=agent, now=accepted)
        if stage == "accepted":
            return
        if stage == "rejected":
            services.complaint_reject(
                complaint=complaint, by=agent, reason="不属于本公司业务范围", now=accepted
            )
            return
        t = accepted + timedelta(minutes=20)
        complaint = services.complaint_dispatch(complaint=complaint, unit=unit, by=agent, now=t)
        branch_user = (
            users["branch_a"]
            if unit.code == "B-EAST-1"
            else (users["branch_b"] if unit.code == "B-WEST-1" else supervisor)
        )
        if unit.code == "B-WEST-1" and (i // len(branches)) % 2:
            # Branch B assigns by hand: its clerk takes every other complaint (我来处理).
            services.complaint_take(complaint=complaint, by=branch_user, now=t)
        if stage == "withdrawn":
            services.complaint_withdraw(
                complaint=complaint, by=agent, reason="客户来电表示已自行解决，申请撤诉", now=t
            )
            return
        if stage == "verifying":
            return
        t += timedelta(hours=2)
        services.complaint_log_contact(
            complaint=complaint,
            by=branch_user,
            method=ContactMethod.PHONE,
            summary="电话联系客户，了解情况并致歉",
            now=t,
        )
        if stage == "contacted":
            return
        if stage == "paused":
            services.complaint_pause(
                complaint=complaint, by=branch_user, reason="等待客户提供破损照片", now=t
            )
            return
        t += timedelta(hours=6)
        services.complaint_reply(complaint=complaint, by=branch_user, reply=REPLY, now=t)
        complaint.refresh_from_db()
        if stage == "answered":
            return
        t += timedelta(hours=3)
        complaint = services.complaint_start_follow_up(complaint=complaint, by=agent, now=t)
        if stage == "follow_up":
            return
        outcome = FollowUpOutcome.UNSATISFIED if stage == "reopened" else FollowUpOutcome.SATISFIED
        services.complaint_record_follow_up(
            complaint=complaint,
            by=agent,
            outcome=outcome,
            customer_words="客户认为赔偿金额偏低" if stage == "reopened" else "",
            reply_truthful=True,
            now=t + timedelta(minutes=10),
        )
