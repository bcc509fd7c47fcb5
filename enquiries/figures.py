"""What the dashboard shows of enquiries: how many, how many became complaints, and the rate.

An enquiry counts in the period of its first contact; 转投诉率 = converted ÷ enquiries of the
period (so a period's rate can rise while its enquiries time out). One aggregate query on the
first_contact_at index. Enquiries carry no unit: the figure is the whole company's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from kernel.clock import SHANGHAI

from .models import ConversionReason, Enquiry, EnquiryStatus


def enquiry_figures(first: date, last: date) -> dict:
    start = datetime.combine(first, time(0), tzinfo=SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    counts = Enquiry.objects.filter(
        first_contact_at__gte=start, first_contact_at__lt=end
    ).aggregate(
        enquiries=Count("pk"),
        open=Count("pk", filter=Q(status=EnquiryStatus.OPEN)),
        converted=Count("pk", filter=Q(status=EnquiryStatus.CONVERTED)),
        **{
            f"by_{reason.value}": Count("pk", filter=Q(conversion_reason=reason.value))
            for reason in ConversionReason
        },
    )
    rate = None
    if counts["enquiries"]:
        rate = (Decimal(counts["converted"]) * 100 / counts["enquiries"]).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
    return {**counts, "conversion_rate": rate}
