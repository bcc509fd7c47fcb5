"""Checks that run outside a request: bandit over the code, Django's deployment checklist for
the production settings, and the guards that keep development conveniences out of production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kernel.outbox.backends import DeliveryError, post

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECT_CODE = ["complaints", "compensation", "regulators", "escalation", "config", "manage.py"]


def test_it_has_no_bandit_findings():
    """Every finding is fixed or carries `# nosec <test>` with the reason (docs/security.md)."""
    result = subprocess.run(
        [str(BIN / "bandit"), "-q", "-r", *PROJECT_CODE, "-x", "*/migrations/*", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _production_env(**extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "complaints.example.com",
            **extra,
        }
    )
    return env


def _manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deployment_checklist_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_fails_the_checklist_with_the_development_key_in_production():
    env = _production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_it_turns_on_secure_cookies_hsts_and_https_in_production():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_CONTENT_TYPE_NOSNIFF, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=_production_env())
    assert result.stdout.split() == ["True"] * 7 + ["DENY"], result.stdout + result.stderr
    development = {k: v for k, v in _production_env().items() if k != "DJANGO_DEBUG"}
    result = _manage("shell", "--no-imports", "-c", code, env=development)
    # Development (plain http://127.0.0.1:8000): no secure-only cookies, no redirect, no HSTS.
    assert result.stdout.split()[:4] == ["False", "False", "False", "False"], result.stderr


def test_it_refuses_to_load_demo_users_in_production(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="开发环境"):
        call_command("seed_demo")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x", "/relative"]
)
def test_it_posts_notifications_only_to_http_addresses(url):
    with pytest.raises(DeliveryError):
        post(url, b"{}", {})
