"""Error reports without customers' personal data (SPEC §9).

Personal form and query fields are starred, and anything that looks like a phone is masked
in the report's text and HTML, as the console masks phones.
"""

from __future__ import annotations

import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from kernel.privacy import mask_phone

# Field names (forms, API bodies, query strings) whose values are personal data.
PERSONAL_FIELDS = re.compile(
    r"phone|name|mobile|tel|contact|address|id_?card|access_?code|q$", flags=re.IGNORECASE
)
# Mobiles 1[3-9]xxxxxxxxx and landlines 0xx(x)-xxxxxxx(x), not inside longer digit runs.
_PHONE_LIKE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


def mask_phones_in(text: str) -> str:
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0).replace("-", "")), text)


class PrivacyExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide personal fields of the request and phone-like values in the frames' variables."""

    cleansed_substitute = "********************"
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|GATEWAY|DATABASE_URL|BROKER_URL",
        flags=re.IGNORECASE,
    )

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        params = params.copy()
        for key in list(params):
            if PERSONAL_FIELDS.search(key):
                params[key] = self.cleansed_substitute
        return params

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for key in ("QUERY_STRING", "HTTP_X_ACCESS_CODE", "HTTP_REFERER"):
            if meta.get(key):
                meta[key] = self.cleansed_substitute
        return meta

    def cleanse_special_types(self, request, value):
        value = super().cleanse_special_types(request, value)
        if isinstance(value, str):
            return mask_phones_in(value)
        return value


class PrivacyExceptionReporter(ExceptionReporter):
    """Also hides the query string's personal fields and masks phones in the whole report."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = [
                (k, self.filter.cleansed_substitute if PERSONAL_FIELDS.search(k) else v)
                for k, v in self.request.GET.items()
            ]
        return data

    def get_traceback_text(self):
        return mask_phones_in(super().get_traceback_text())

    def get_traceback_html(self):
        return mask_phones_in(super().get_traceback_html())
