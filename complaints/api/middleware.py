"""Keep every failure under /api/ in the one error shape, whoever produced it.

DRF views already answer through kernel.api_errors; this covers what happens outside them:
an unknown URL (Django's 404 page), a body larger than allowed (refused here with 413 before
anything reads it), Django's own 400 for a malformed request, and — should a bug slip through —
a 500 that still speaks JSON.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from kernel.api_errors import error_body

API_PREFIX = "/api/"

STATUS_ERRORS = {
    400: ("bad_request", "请求无效。"),
    401: ("unauthenticated", "请先登录或提供有效的令牌。"),
    403: ("forbidden", "您没有权限执行此操作。"),
    404: ("not_found", "未找到。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    413: ("too_large", "请求内容过大。"),
    500: ("server_error", "服务器内部错误，请稍后重试。"),
}


def _json_error(status: int, code: str | None = None, message: str | None = None):
    default_code, default_message = STATUS_ERRORS.get(status, ("error", "请求失败。"))
    response = JsonResponse(
        error_body(code or default_code, message or default_message),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    return response


class ApiRequestLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        # Uploads carry a file of up to 10 MB; every other body is small JSON or a form.
        limit = (
            settings.API_MAX_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if length > limit:
            return _json_error(413, message=f"请求内容过大（上限{limit // 1024}KB）。")
        if not request.path.endswith("/") and not _resolves(request.path_info):
            # Django would redirect (or, for a POST in DEBUG, fail): API paths end with "/",
            # except file downloads such as an appeal's report.docx.
            return _json_error(404, message="未找到。接口路径以“/”结尾。")
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            return _json_error(response.status_code)
        return response


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _is_json(response) -> bool:
    content_type = response.get("Content-Type", "")
    if "json" not in content_type:
        return False
    if getattr(response, "streaming", False):
        return True
    try:
        return "error" in json.loads(response.content or b"{}")
    except ValueError:
        return False
