"""Partners' webhook endpoints join the cached reference data (kernel.refdata).

A change to an endpoint bumps the reference-data version in its transaction (as 0004 does for
the phrase lists, policies and calendars), so every process drops its cached copy at once.
"""

from django.db import migrations

TABLE = "escalation_webhookendpoint"  # kernel.WebhookEndpoint keeps the table it started with

CREATE = f"""
CREATE TRIGGER {TABLE}_bumps_reference_data
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_data_version();
"""
DROP = f"DROP TRIGGER IF EXISTS {TABLE}_bumps_reference_data ON {TABLE};"


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0007_breach_deadline_index"),
        ("kernel", "0001_outbox_moves_to_kernel"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
