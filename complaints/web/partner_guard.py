"""Partners are API-only (SPEC §9): a partner account is refused on every staff page.

The guard runs before any view, so a page added later is covered too, and leaves the staff
profile it loads on the user (`user.staff`) so the pages pay no extra query for it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _

from complaints.models import Role, StaffProfile
from kernel.api_errors import error_body

# Not staff pages: the API (token users; it checks roles itself), signing in and out, the
# language switch, the health check and files.
OPEN_PREFIXES = ("/api/", "/accounts/", "/i18n/", "/healthz", "/static/", "/media/")


def load_staff_profile(user) -> StaffProfile | None:
    """The user's staff profile with its unit, cached on the user (None cached too)."""
    profile = StaffProfile.objects.select_related("unit").filter(user=user).first()
    if profile is None:
        # As Django itself remembers a missing one-to-one row: `user.staff` asks no more.
        get_user_model().staff.related.set_cached_value(user, None)
    else:
        user.staff = profile
    return profile


class PartnerApiOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(OPEN_PREFIXES):
            user = request.user
            if user.is_authenticated:
                profile = load_staff_profile(user)
                if profile is not None and profile.role == Role.PARTNER:
                    return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        message = _(
            "接口合作方账号只能通过接口（API）提交投诉，不能使用员工页面。"
            "如需人工处理，请联系客服坐席。"
        )
        if request.path.endswith(".json"):
            # The dashboard's chart endpoints: the one error shape, as their own refusals.
            return JsonResponse(
                error_body("forbidden", message),
                status=403,
                json_dumps_params={"ensure_ascii": False},
            )
        # The 403 page every other refusal of a role shows, with the reason.
        raise PermissionDenied(message)
