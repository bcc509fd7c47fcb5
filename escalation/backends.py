"""Delivery backends: the SMS gateway (pluggable), e-mail and signed partner webhooks.

Each `send` raises DeliveryError (or any exception) on failure; the outbox retries later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from complaints.rules import mask_phone

log = logging.getLogger("escalation.delivery")

TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    pass


class ConsoleSmsBackend:
    """Development SMS gateway: writes the message to the log (the number masked, SPEC §9)."""

    def send(self, *, phone: str, text: str, delivery_id: str) -> None:
        log.info("SMS to %s [%s]: %s", mask_phone(phone), delivery_id, text)


class HttpSmsBackend:
    """An HTTP SMS gateway: POST {"phone", "text", "id"} as JSON with a bearer key.

    Configured by SLA_SMS_GATEWAY_URL and SLA_SMS_GATEWAY_KEY; any 2xx answer is success.
    """

    def __init__(self, *, url: str, key: str):
        if not url:
            raise DeliveryError("短信网关地址未配置（SLA_SMS_GATEWAY_URL）")
        self.url, self.key = url, key

    def send(self, *, phone: str, text: str, delivery_id: str) -> None:
        body = json.dumps({"phone": phone, "text": text, "id": delivery_id}).encode()
        post(
            self.url,
            body,
            {"Authorization": f"Bearer {self.key}", "X-Delivery-Id": delivery_id},
        )


def sms_backend():
    conf = getattr(settings, "SLA", {})
    path = conf.get("SMS_BACKEND", "escalation.backends.ConsoleSmsBackend")
    cls = import_string(path)
    if cls is HttpSmsBackend:
        return cls(url=conf.get("SMS_GATEWAY_URL", ""), key=conf.get("SMS_GATEWAY_KEY", ""))
    return cls()


def send_email(*, to: str, subject: str, text: str) -> None:
    send_mail(subject, text, None, [to], fail_silently=False)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` as JSON; raise DeliveryError unless the answer is 2xx."""
    # Gateway and webhook addresses are typed into the admin: only http(s), never file:// or
    # other urllib schemes (bandit B310).
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("只支持 http/https 地址")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        # The scheme is checked above (http/https only).
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # nosec B310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"连接失败：{exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")
    return status


def signature(secret: str, body: bytes) -> str:
    """X-Signature: "sha256=" + hex HMAC-SHA256 of the raw body with the endpoint's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(*, url: str, secret: str, payload: dict, delivery_id: str, event: str) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    post(
        url,
        body,
        {
            "X-Signature": signature(secret, body),
            "X-Delivery-Id": delivery_id,
            "X-Event": event,
        },
    )
