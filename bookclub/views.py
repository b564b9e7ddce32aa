from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from guides.images import CONTENT_TYPES
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


# Media is served as the image it was checked to be (guides/images.py) and as nothing else: a file stored
# before names were ours, or put in MEDIA_ROOT by hand, goes out as a download the browser may not sniff,
# in a sandbox where no script runs even if it is opened.
MEDIA_CONTENT_TYPES = set(CONTENT_TYPES.values())
MEDIA_POLICY = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    response = static.serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_POLICY
    if response.get("Content-Type", "").split(";")[0].strip() not in MEDIA_CONTENT_TYPES:
        response["Content-Type"] = "application/octet-stream"
        response["Content-Disposition"] = "attachment"
    return response
