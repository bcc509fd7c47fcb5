"""Pages. Each role lands on its own list of open complaints, nearest deadline first."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .models import Complaint, Role
from .roles import role_of


def healthz(request):
    """Tell a load balancer the app is up and its database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request):
    role = role_of(request.user)
    complaints = (
        Complaint.objects.visible_to(request.user)
        .open()
        .select_related("unit")
        .order_by("next_deadline")[:100]
    )
    return render(
        request,
        "complaints/home.html",
        {
            "role": role,
            "role_label": Role(role).label if role else "",
            "complaints": complaints,
        },
    )
