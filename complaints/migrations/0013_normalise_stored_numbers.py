"""Phones and waybill numbers stored before input was normalised (full-width ５, ＳＦ, dashes,
spaces, +86) are written as new ones are, so repeat detection and search find them.

Only rows whose stored value is not already plain digits (phone) or digits and capitals
(waybill) are read; each is rewritten with the same functions the intake uses. A value that
would normalise to nothing is left as it is.
"""

from django.db import migrations

BATCH = 2000


def normalise(apps, schema_editor):
    from complaints.rules import normalize_tracking_no
    from kernel.privacy import normalize_phone

    Complaint = apps.get_model("complaints", "Complaint")
    candidates = Complaint.objects.extra(
        where=["phone !~ '^[0-9]+$' OR tracking_no !~ '^[0-9A-Z]+$'"]
    ).order_by("pk")
    last = 0
    while True:
        rows = list(candidates.filter(pk__gt=last).values("pk", "phone", "tracking_no")[:BATCH])
        if not rows:
            return
        for row in rows:
            phone = normalize_phone(row["phone"]) or row["phone"]
            tracking = normalize_tracking_no(row["tracking_no"]) or row["tracking_no"]
            if (phone, tracking) != (row["phone"], row["tracking_no"]):
                Complaint.objects.filter(pk=row["pk"]).update(phone=phone, tracking_no=tracking)
        last = rows[-1]["pk"]


class Migration(migrations.Migration):
    dependencies = [("complaints", "0012_assignment_and_saved_views")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
