"""Export the monthly regulator statistics: manage.py regulator_statistics --month 2026-11."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from regulators import statistics
from regulators.api import parse_month


class Command(BaseCommand):
    help = "导出月度监管统计报表（CSV 或 Excel）。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM，默认上个月")
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--output", help="输出文件；CSV 默认输出到标准输出，Excel 必须指定")

    def handle(self, *args, month=None, format="csv", output=None, **options):
        try:
            year, month_no = parse_month(month)
        except ValidationError as exc:
            raise CommandError("月份格式须为 YYYY-MM。") from exc
        stats = statistics.monthly_statistics(year, month_no)
        data = statistics.to_xlsx(stats) if format == "xlsx" else statistics.to_csv(stats)
        if output:
            Path(output).write_bytes(data)
            self.stdout.write(f"{stats.label}监管统计报表已写入 {output}")
        elif format == "xlsx":
            raise CommandError("Excel 格式请用 --output 指定文件。")
        else:
            sys.stdout.buffer.write(data)
