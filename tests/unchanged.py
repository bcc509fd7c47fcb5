"""What a refused request must leave as it was: every table of the project's apps, the media.

`snapshot()` reads each table's row count and a digest of all its rows in one statement (the
tables of every app of the project — any app whose code is in this repository — and users and
tokens; not sessions), and lists the files in MEDIA_ROOT. `nothing_changed()` asserts that the
block inside it changed none of it:

    with nothing_changed():
        response = client.post(...)
    assert response.status_code == 403
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

# Besides the project's own apps: the users and their tokens.
FRAMEWORK_APPS = ("auth", "authtoken")


def _ours(app_config) -> bool:
    """An app of this repository (a new one is covered without being listed here)."""
    root = Path(settings.BASE_DIR).resolve()
    path = Path(app_config.path).resolve()
    return path.is_relative_to(root) and ".venv" not in path.relative_to(root).parts


def tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed
            and (
                model._meta.app_label in FRAMEWORK_APPS
                or _ours(apps.get_app_config(model._meta.app_label))
            )
        }
    )


def snapshot(names: list[str] | None = None) -> dict:
    parts = [
        f"SELECT '{table}', count(*), "  # nosec B608  # the models' own table names
        f"md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f"FROM {connection.ops.quote_name(table)} t"
        for table in names or tables()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        state = {name: (count, digest) for name, count, digest in cursor.fetchall()}
    media = Path(settings.MEDIA_ROOT)
    state["<media files>"] = sorted(str(p) for p in media.rglob("*")) if media.exists() else []
    return state


def changed(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@contextlib.contextmanager
def nothing_changed():
    before = snapshot()
    yield
    assert changed(before, snapshot()) == [], "a refused request changed these"
