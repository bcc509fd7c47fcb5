"""Plain endpoints outside the staff console (which lives in complaints.web)."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Tell a load balancer the app is up and its database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
