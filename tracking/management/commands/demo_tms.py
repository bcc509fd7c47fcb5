"""The demo transport system (TMS) beside the app; `make run` starts it (tracking/demo_tms.py)."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from tracking import demo_tms


class Command(BaseCommand):
    help = (
        "运行演示运输系统（TMS）：应答轨迹拉取，并把到时的扫描推送给本系统。数据由 seed_demo 写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--socket", default="", help="在此 Unix 套接字上应答拉取")
        parser.add_argument("--port", type=int, default=0, help="或在 127.0.0.1 的此端口上应答")
        parser.add_argument(
            "--push-url",
            default=settings.TRACKING["DEMO_PUSH_URL"],
            help="推送地址（本系统的 /api/v1/tracking/events/）；空则不推送",
        )
        parser.add_argument("--interval", type=float, default=5.0, help="推送间隔（秒）")
        parser.add_argument(
            "--delay", type=float, default=0.0, help="每次应答前等待（秒），模拟慢TMS"
        )

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        if not options["socket"] and not options["port"]:
            options["socket"] = str(settings.LOCAL_SOCKETS / "demo-tms.sock")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        where = options["socket"] or f"127.0.0.1:{options['port']}"
        push = options["push_url"] or "（不推送）"
        self.stdout.write(f"演示TMS运行于 {where}，数据 {demo_tms.data_path()}，推送至 {push}")
        demo_tms.serve(
            socket_path=options["socket"],
            port=options["port"],
            push_url=options["push_url"],
            interval=options["interval"],
            delay=options["delay"],
            stop=stop,
        )
        self.stdout.write("演示TMS已停止。")
