"""A PostgreSQL guard that keeps the audit trail append-only, even against raw SQL."""

from django.db import migrations

APPEND_ONLY_TABLES = ("complaints_complainttransition", "complaints_personaldataaccess")


def add_guards(apps, schema_editor):
    # Even raw SQL or a bulk update cannot rewrite history on PostgreSQL.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION refuse_audit_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit rows are append-only (%)', TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,  # the body's % is PL/pgSQL's, not a query parameter
    )
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();"
        )


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS refuse_audit_change();")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [
        migrations.RunPython(add_guards, drop_guards),
    ]
