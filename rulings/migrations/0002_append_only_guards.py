"""PostgreSQL guards: rulings and the ledger are append-only; rules and disputes never deleted.

Like the audit trail (complaints 0002, whose refuse_audit_change() raises whatever the table):
even raw SQL or a bulk update cannot rewrite a ruling or a ledger entry.
"""

from django.db import migrations

APPEND_ONLY = ("rulings_ruling", "rulings_ledgerentry")
NO_DELETE = (
    "rulings_assessmentrule",
    "rulings_assessmentruleline",
    "rulings_dispute",
    "rulings_disputeevidence",
)


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();"
        )
    for table in NO_DELETE:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();"
        )


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    for table in NO_DELETE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table};")


class Migration(migrations.Migration):
    dependencies = [
        ("rulings", "0001_initial"),
        ("complaints", "0002_append_only_audit"),
    ]

    operations = [migrations.RunPython(add_guards, drop_guards)]
