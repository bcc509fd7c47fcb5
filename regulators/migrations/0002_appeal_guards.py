"""PostgreSQL guards: appeals and their reminders are never deleted, their events never changed.

Appeal records are kept at least 3 years (SPEC §6); with no delete path in the application and
these triggers, not even raw SQL removes them. Archiving after the retention period is a
deliberate database operation (drop the trigger in a reviewed migration), not an app feature.
"""

from django.db import migrations

NO_DELETE_TABLES = ("regulators_appeal", "regulators_appealreminder")
APPEND_ONLY_TABLES = ("regulators_appealevent",)


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION refuse_appeal_record_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'appeal records are kept and append-only (%: %)', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,  # the body's % is PL/pgSQL's, not a query parameter
    )
    for table in NO_DELETE_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_appeal_record_change();"
        )
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_appeal_record_change();"
        )


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in NO_DELETE_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table};")
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS refuse_appeal_record_change();")


class Migration(migrations.Migration):
    dependencies = [("regulators", "0001_appeals")]

    operations = [migrations.RunPython(add_guards, drop_guards)]
