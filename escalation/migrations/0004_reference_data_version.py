"""A version number for the cached reference data (escalation.refdata), bumped by triggers."""

from django.db import migrations

TABLES = (
    "complaints_phrase",
    "escalation_slapolicy",
    "escalation_escalationlevel",
    "escalation_calendarexception",
    "escalation_calendaryear",
)

CREATE = """
CREATE SEQUENCE reference_data_version_seq;
CREATE TABLE reference_data_version (
    id integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO reference_data_version VALUES (1, nextval('reference_data_version_seq'));
CREATE FUNCTION bump_reference_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_data_version SET version = nextval('reference_data_version_seq');
    RETURN NULL;
END
$$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_bumps_reference_data
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_data_version();
"""
    for table in TABLES
)

DROP = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_bumps_reference_data ON {table};\n" for table in TABLES
    )
    + """
DROP FUNCTION IF EXISTS bump_reference_data_version();
DROP TABLE IF EXISTS reference_data_version;
DROP SEQUENCE IF EXISTS reference_data_version_seq;
"""
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0003_claim_timers"),
        ("complaints", "0005_api_list_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
