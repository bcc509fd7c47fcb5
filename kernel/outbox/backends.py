"""Delivery backends: the SMS gateway (pluggable), e-mail and signed partner webhooks.

Each `send` raises DeliveryError (or any exception) on failure; the outbox retries later.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import ssl
import urllib.parse
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from kernel.privacy import mask_phone

log = logging.getLogger("kernel.outbox")

TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    pass


class GatewayUnreachable(DeliveryError):
    """No answer at all (refused, reset, timed out): the next message would fare no better."""


class ConsoleSmsBackend:
    """Development SMS gateway: writes the message to the log (the number masked, SPEC §9)."""

    def send(self, *, phone: str, text: str, delivery_id: str) -> None:
        log.info("SMS to %s [%s]: %s", mask_phone(phone), delivery_id, text)


class HttpSmsBackend:
    """An HTTP SMS gateway: POST {"phone", "text", "id"} as JSON with a bearer key.

    Configured by OUTBOX_SMS_GATEWAY_URL and OUTBOX_SMS_GATEWAY_KEY; any 2xx answer is success.
    """

    def __init__(self, *, url: str, key: str):
        if not url:
            raise DeliveryError("短信网关地址未配置（OUTBOX_SMS_GATEWAY_URL）")
        self.url, self.key = url, key

    def send(self, *, phone: str, text: str, delivery_id: str) -> None:
        body = json.dumps({"phone": phone, "text": text, "id": delivery_id}).encode()
        post(
            self.url,
            body,
            {"Authorization": f"Bearer {self.key}", "X-Delivery-Id": delivery_id},
        )


def sms_backend():
    conf = settings.OUTBOX
    cls = import_string(conf["SMS_BACKEND"])
    if cls is HttpSmsBackend:
        return cls(url=conf["SMS_GATEWAY_URL"], key=conf["SMS_GATEWAY_KEY"])
    return cls()


def send_email(*, to: str, subject: str, text: str) -> None:
    send_mail(subject, text, None, [to], fail_silently=False)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` as JSON; raise DeliveryError unless the answer is 2xx.

    Inside `keep_alive()` the connection to the host stays open for the next message (a
    delivery run sends hundreds to the same gateway); outside it, one connection per call.
    A 3xx is not success: a gateway that moved must be reconfigured, not followed blindly.
    """
    parts = urllib.parse.urlsplit(url)
    # Gateway and webhook addresses are typed into the admin: only http(s), never file:// or
    # other schemes.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError("只支持 http/https 地址")
    pool = _pool.get()
    if pool is None:
        with keep_alive() as pool:
            return pool.post(parts, body, headers)
    return pool.post(parts, body, headers)


_pool: ContextVar[Connections | None] = ContextVar("delivery_connections", default=None)


@contextlib.contextmanager
def keep_alive():
    """Reuse one HTTP connection per host for the sends inside the block."""
    pool = Connections()
    token = _pool.set(pool)
    try:
        yield pool
    finally:
        _pool.reset(token)
        pool.close()


class Connections:
    """Open HTTP/1.1 connections by (scheme, host, port), reused while the server allows it."""

    def __init__(self):
        self._open: dict[tuple[str, str, int | None], http.client.HTTPConnection] = {}

    def post(self, parts: urllib.parse.SplitResult, body: bytes, headers: dict[str, str]) -> int:
        key = (parts.scheme, parts.hostname, parts.port)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        reused = key in self._open
        try:
            try:
                response = self._request(key, path, body, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not reused:
                    raise
                # The server closed the idle connection we kept: once more on a new one. (If
                # it had received the message, the gateway drops the repeat by delivery id.)
                self._drop(key)
                response = self._request(key, path, body, headers)
        except (http.client.HTTPException, OSError) as exc:  # refused, reset, timeout, TLS
            self._drop(key)
            raise GatewayUnreachable(f"连接失败：{exc}") from exc
        if not 200 <= response.status < 300:
            raise DeliveryError(f"HTTP {response.status}")
        return response.status

    def _request(self, key, path, body, headers) -> http.client.HTTPResponse:
        connection = self._open.get(key)
        if connection is None:
            scheme, host, port = key
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
                )
            else:
                connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
            self._open[key] = connection
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()  # the whole answer, so the connection can carry the next request
        if response.will_close:
            self._drop(key)
        return response

    def _drop(self, key) -> None:
        connection = self._open.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._open):
            self._drop(key)


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
