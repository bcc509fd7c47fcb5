"""One error shape for every API failure, and the handler that produces it.

`code` is stable for programs, `message` Chinese for people, `fields` per bad input; DRF's own
exceptions keep their status but take the same shape. See docs/api.md, "Errors".
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError

DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}

# Chinese messages for DRF's own English ones.
MESSAGES = {
    "malformed": "请求内容无法解析（JSON格式有误或编码不是UTF-8）。",
    "unauthenticated": "请先登录或提供有效的令牌。",
    "method_not_allowed": "不支持该请求方法。",
    "not_acceptable": "无法提供所请求的响应格式。",
    "unsupported_media_type": "不支持该内容类型，请使用JSON或multipart/form-data。",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail) -> str:
    """Turn DRF's nested error detail into one readable Chinese message."""
    if isinstance(detail, dict):
        return "；".join(_flatten(v) for v in detail.values())
    if isinstance(detail, list):
        return "；".join(_flatten(v) for v in detail)
    return str(detail)


def _fields(detail) -> dict[str, str]:
    if not isinstance(detail, dict):
        return {}
    return {str(field): _flatten(messages) for field, messages in detail.items()}


def exception_handler(exc, context):
    from kernel.availability import API_MESSAGE, RETRY_AFTER_SECONDS, is_unavailable

    if is_unavailable(exc):  # the database went away: retry shortly, not a 500
        request = context.get("request")
        if request is not None:
            from kernel.availability import log_unavailable

            log_unavailable(request, exc)
        return Response(
            error_body("unavailable", API_MESSAGE),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        # A 503 (storage or database down) always says when to try again; so does a used-up
        # quota that knows when it refills (429).
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status_code == 503 else None
        if getattr(exc, "retry_after", None):
            headers = {"Retry-After": str(int(exc.retry_after))}
        return Response(
            error_body(exc.code, exc.message, exc.field_errors),
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, PermissionError):  # a model refusing a delete or an audit rewrite
        return Response(error_body("forbidden", str(exc)), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body("too_large", "请求内容过大。"), status=413)
    if isinstance(exc, (SuspiciousOperation, UnreadablePostError)):  # too many fields, cut off…
        return Response(error_body("malformed", "请求格式无效。"), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到。")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (and its logging) takes over
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        message = "提交的数据有误，请检查后重试。" if fields else _flatten(exc.detail)
        response.data = error_body(code, message, fields)
    elif isinstance(exc, exceptions.Throttled):
        wait = f"{int(exc.wait) + 1}秒后" if exc.wait is not None else "稍后"
        response.data = error_body(code, f"请求过于频繁，请{wait}再试。")
    else:
        message = MESSAGES.get(code) or _flatten(exc.detail)
        response.data = error_body(code, message)
    return response
