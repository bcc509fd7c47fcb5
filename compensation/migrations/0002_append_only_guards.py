"""PostgreSQL guards: claim events are append-only; claims and policies are never deleted."""

from django.db import migrations

# refuse_audit_change() is created by complaints 0002 (it raises, whatever the table).
APPEND_ONLY = ("compensation_claimevent",)
NO_DELETE = ("compensation_claim", "compensation_compensationpolicy")


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
        ("compensation", "0001_initial"),
        ("complaints", "0002_append_only_audit"),
    ]

    operations = [migrations.RunPython(add_guards, drop_guards)]
