"""Service refusals are Chinese by default and English through the English catalogue.

The messages stay Chinese in the code (the source language); gettext runs when the error is
raised, so the active language of the request (LocaleMiddleware: the language switch, or an
API client's Accept-Language) decides.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from complaints import services
from kernel.errors import Conflict, InvalidInput

ROOT = Path(__file__).resolve().parents[2]
# The modules whose DomainError messages a person reads (API "message"/"fields", the console);
# a package (a directory) counts as one: its modules' messages together.
SERVICE_MODULES = [
    "complaints/services/",
    "complaints/attachments.py",
    "complaints/api/idempotency.py",
    "compensation/services.py",
    "compensation/inputs.py",
    "regulators/services.py",
    "regulators/hints.py",
    "kernel/outbox/notices.py",
]
# The project's own catalogues: not those of the packages in .venv/ (a glob of the whole tree
# collected Django's 1,100-odd when .venv is a folder in the checkout, as on a fresh clone), nor
# those under var/ (the install test's environment, the mutation runs' copies of the project).
CATALOGUES = sorted(
    po
    for po in ROOT.glob("**/locale/*/LC_MESSAGES/django.po")
    if not {".venv", "node_modules", "var"} & set(po.relative_to(ROOT).parts)
)
GETTEXT = {"_", "_lazy", "gettext", "gettext_lazy"}
PGETTEXT = {"pgettext", "pgettext_lazy"}


def _messages(path: str) -> list[tuple[str | None, str]]:
    """Every (context, msgid) the module, or every module of the package, passes to gettext."""
    found = []
    files = sorted((ROOT / path).glob("*.py")) if (ROOT / path).is_dir() else [ROOT / path]
    trees = [ast.parse(file.read_text()) for file in files]
    for node in (node for tree in trees for node in ast.walk(tree)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.id in GETTEXT and len(args) == 1:
            found.append((None, args[0]))
        elif node.func.id in PGETTEXT and len(args) == 2:
            found.append((args[0], args[1]))
    return found


@pytest.mark.parametrize("path", SERVICE_MODULES)
def test_it_has_an_english_translation_for_every_service_message(path):
    messages = _messages(path)
    assert messages, f"{path} passes no message to gettext"
    with translation.override("en"):
        untranslated = [
            (context, msgid)
            for context, msgid in messages
            if (translation.pgettext(context, msgid) if context else translation.gettext(msgid))
            == msgid
        ]
    assert untranslated == []


def test_it_refuses_in_chinese_by_default(alice, make_complaint):
    complaint = make_complaint()
    with pytest.raises(InvalidInput) as refused:
        services.complaint_add_note(complaint=complaint, by=alice, text=" ")
    assert refused.value.message == "请填写备注内容。"
    assert refused.value.field_errors == {"text": "请填写备注内容。"}


def test_it_refuses_in_english_when_english_is_active(alice, make_complaint):
    complaint = make_complaint()
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.complaint_add_note(complaint=complaint, by=alice, text=" ")
    assert refused.value.message == "Please fill in: Note."
    assert refused.value.field_errors == {"text": "Please fill in: Note."}


def test_it_translates_messages_with_values_at_raise_time(alice, make_complaint):
    complaint = make_complaint()
    with translation.override("en"), pytest.raises(Conflict) as refused:
        services.complaint_resume(complaint=complaint, by=alice)
    assert refused.value.message == "The complaint's clock is not paused."
    with translation.override("zh-hans"), pytest.raises(Conflict) as refused:
        services.complaint_resume(complaint=complaint, by=alice)
    assert refused.value.message == "工单未在暂停计时中。"


def test_it_answers_an_api_client_in_its_accept_language(alice, make_complaint):
    complaint = make_complaint()
    client = APIClient()
    client.force_authenticate(alice)
    url = f"/api/v1/complaints/{complaint.ticket_no}/actions/resume/"
    english = client.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.post(url, {}, format="json")
    assert english.status_code == chinese.status_code == 409
    assert english.json()["error"]["message"] == "The complaint's clock is not paused."
    assert chinese.json()["error"]["message"] == "工单未在暂停计时中。"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs Debian's gettext (make test)")
@pytest.mark.parametrize("po", CATALOGUES, ids=str)
def test_it_compiles_every_catalogue(po, tmp_path):
    """compilemessages (make run, make test) fails on a broken catalogue: placeholders too."""
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
