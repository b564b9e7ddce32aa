from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from guides.models import Guide
from sessions.views.clubs import your_clubs

# The home page shows the newest guides; the full, searchable library is one click away.
HOME_GUIDES = 12


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    guides = list(Guide.objects.published().order_by("-updated_at", "title")[: HOME_GUIDES + 1])
    context = {
        "guides": guides[:HOME_GUIDES],
        "more_guides": len(guides) > HOME_GUIDES,
        "memberships": your_clubs(request.user),
    }
    return render(request, "home.html", context)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """One trivial query proves the database answers; load balancers and benchmarks call this."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
