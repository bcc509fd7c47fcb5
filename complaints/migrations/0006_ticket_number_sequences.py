"""Ticket numbers from one PostgreSQL sequence per day (complaints.numbering explains why)."""

from django.db import migrations

# The day's sequence is created on its first complaint. A day row without a sequence continues
# after `last` (numbers a bulk load or the old counter gave out); a sequence without a day row is
# a leftover of a database emptied since (the tests' flush), and starts again from 1.
CREATE = r"""
CREATE OR REPLACE FUNCTION complaints_next_ticket_number(d date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    seq text := 'complaints_ticket_' || to_char(d, 'YYYYMMDD');
    base bigint;
BEGIN
    SELECT last INTO base FROM complaints_ticketsequence WHERE day = d;
    IF FOUND AND to_regclass(seq) IS NOT NULL THEN
        RETURN nextval(seq);
    END IF;
    IF NOT FOUND THEN
        INSERT INTO complaints_ticketsequence (day, last) VALUES (d, 0)
            ON CONFLICT (day) DO NOTHING;
        IF FOUND THEN
            EXECUTE format('DROP SEQUENCE IF EXISTS %I', seq);
            EXECUTE format('CREATE SEQUENCE %I AS bigint START 1', seq);
            RETURN nextval(seq);
        END IF;
        -- Another transaction registered the day first (and has committed).
        SELECT last INTO base FROM complaints_ticketsequence WHERE day = d;
    END IF;
    BEGIN
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS bigint START %s', seq, base + 1);
    EXCEPTION WHEN unique_violation OR duplicate_table THEN
        NULL;  -- created by a concurrent transaction at the same moment
    END;
    RETURN nextval(seq);
END
$$;
"""
# Back to the counter row: it must continue after every number the sequences gave out.
DROP = r"""
DO $$
DECLARE
    r record;
    used bigint;
BEGIN
    FOR r IN SELECT day FROM complaints_ticketsequence LOOP
        IF to_regclass('complaints_ticket_' || to_char(r.day, 'YYYYMMDD')) IS NOT NULL THEN
            EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END '
                           'FROM %I', 'complaints_ticket_' || to_char(r.day, 'YYYYMMDD'))
                INTO used;
            UPDATE complaints_ticketsequence SET last = GREATEST(last, used) WHERE day = r.day;
            EXECUTE format('DROP SEQUENCE %I', 'complaints_ticket_' || to_char(r.day, 'YYYYMMDD'));
        END IF;
    END LOOP;
END
$$;
DROP FUNCTION IF EXISTS complaints_next_ticket_number(date);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_api_list_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
