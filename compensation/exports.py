"""Claims as CSV and Excel, for finance's reconciliation (the admin's claim list exports them).

One row per claim: amounts, who proposed, approved and paid it, the payment reference. No
customer's name or phone (SPEC §9). Every cell goes through kernel.spreadsheets: an override
reason or a rejection reason typed as `=HYPERLINK(…)` arrives as text (issue 19 §7).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.spreadsheets import CsvWriter, append_row

from .models import ClaimEvent

MONEY_FORMAT = "#,##0.00"
MONEY_COLUMNS = (6, 7)  # 1-based: 规则计算金额, 赔偿金额


def headers() -> list[str]:
    return [
        _("申请编号"),
        _("工单号"),
        _("状态"),
        _("业务类型"),
        _("事件"),
        _("规则计算金额"),
        _("赔偿金额"),
        _("调整理由"),
        _("超倍调整待复核"),
        _("提出人"),
        _("提出时间"),
        _("批准人"),
        _("审批/驳回人"),
        _("审批/驳回时间"),
        _("驳回原因"),
        _("赔付登记人"),
        _("赔付日期"),
        _("支付凭证号"),
    ]


def _who(user) -> str:
    return "" if user is None else (user.get_full_name() or user.get_username())


def _when(value) -> str:
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def claim_rows(claims) -> Iterable[list]:
    """The claims' rows in a constant number of statements (related rows joined, events
    prefetched), streamed in chunks."""
    rows = (
        claims.select_related("complaint", "proposed_by", "decided_by", "paid_by")
        .prefetch_related("events__actor")
        .order_by("proposed_at", "id")
    )
    for claim in rows.iterator(chunk_size=500):
        approvals = [e for e in claim.events.all() if e.action == ClaimEvent.Action.APPROVE]
        yield [
            claim.pk,
            claim.complaint.ticket_no,
            str(claim.get_status_display()),
            str(claim.get_service_display()),
            str(claim.get_incident_display()),
            claim.quoted_amount,
            claim.amount,
            claim.override_reason,
            _("是") if claim.override_flagged else "",
            _who(claim.proposed_by),
            _when(claim.proposed_at),
            _who(approvals[-1].actor) if approvals else "",
            _who(claim.decided_by),
            _when(claim.decided_at),
            claim.rejection_reason,
            _who(claim.paid_by),
            claim.paid_on.isoformat() if claim.paid_on else "",
            claim.payment_reference,
        ]


def to_csv(claims) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(headers())
    for row in claim_rows(claims):
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(claims) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("赔偿申请")
    append_row(sheet, headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in claim_rows(claims):
        append_row(sheet, row)
        for column in MONEY_COLUMNS:
            sheet.cell(row=sheet.max_row, column=column).number_format = MONEY_FORMAT
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(ext: str) -> str:
    return f"claims-{timezone.localtime():%Y%m%d-%H%M}.{ext}"
