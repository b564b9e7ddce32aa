from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from guides.models import Guide


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    guides = Guide.objects.published().order_by("-updated_at", "title")
    return render(request, "home.html", {"guides": guides})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """One trivial query proves the database answers; load balancers and benchmarks call this."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
