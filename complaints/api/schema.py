"""OpenAPI post-processing: every operation documents the errors the API can give it.

All failures share one shape (kernel.api_errors), and some statuses come from layers below
the views (authentication, throttling, the request-size middleware, DRF's parsers), so instead
of repeating them on every view, this adds the standard ones wherever a view did not say more.
"""

from __future__ import annotations

from complaints.api.views import ERROR_TEXT

# 503 (with Retry-After) when the database or the evidence storage is unreachable
# (kernel.availability): any operation can meet it.
READ_ERRORS = (400, 401, 403, 404, 429, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 429, 503)
GENERIC_TEXT = {**ERROR_TEXT, 404: "未找到（或无权查看）"}
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def add_standard_errors(result, generator, request, public):
    """Add the shared error responses to each operation that does not document them."""
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = READ_ERRORS if method in ("get", "head") else WRITE_ERRORS
            for code in codes:
                operation["responses"].setdefault(
                    str(code),
                    {
                        "description": GENERIC_TEXT[code],
                        "content": {"application/json": {"schema": ERROR_SCHEMA}},
                    },
                )
    return result
