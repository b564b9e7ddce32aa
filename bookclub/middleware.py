"""Middleware of the project as a whole (the apps' own live in their packages)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, get_resolver
from django.views.defaults import page_not_found

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

request_logger = logging.getLogger("django.request")


class NulBytesMiddleware:
    """A NUL character is never part of what anyone typed, and PostgreSQL refuses it in text
    ("A string literal cannot contain NUL"), which turned `/guides/?q=%00` or an answer with one into a
    500. It is dropped from every query string and form field before a view sees them, so the rest of
    the text is kept; a path holding one names nothing here and is a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return page_not_found(request, Http404("No such page."))
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "%00" in query:
            request.GET = _without_nul(request.GET)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES and _has_nul(request.POST):
            request.POST = _without_nul(request.POST)
        return self.get_response(request)


FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


def _without_nul(data: QueryDict) -> _ImmutableQueryDict:
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    cleaned._mutable = False
    return cast("_ImmutableQueryDict", cleaned)  # immutable now, as request.GET and request.POST are


class PermissionsPolicyMiddleware:
    """Permissions-Policy: the powerful browser features none of our pages use, switched off for them
    and for anything that might ever be embedded in them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class DesignedErrorPagesMiddleware:
    """Under DEBUG, Django answers a missing page or a crash with its technical page (the settings, the
    traceback); this answers with the URLconf's handler404/handler400/handler500, the site's own pages,
    as production does, and the traceback goes to the log. DEBUG_PAGES=1 brings Django's pages back.
    With DEBUG off it does nothing: Django uses the handlers itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _active(self) -> bool:
        return settings.DEBUG and not settings.DEBUG_PAGES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # An address that matches no URL pattern fails before any view, so process_exception never
        # hears of it; it is the one 404 that leaves no resolver_match behind. (CommonMiddleware, inside
        # this one, has already turned it into a redirect when adding a slash would find the page.)
        if response.status_code == 404 and request.resolver_match is None and self._active():
            return self._handler(request, 404)(request, Resolver404({"path": request.path_info}))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._active() or isinstance(exception, PermissionDenied):
            return None  # handler403 is used under DEBUG too
        if isinstance(exception, Http404):
            return self._handler(request, 404)(request, exception)
        if isinstance(exception, (BadRequest, SuspiciousOperation, MultiPartParserError)):
            request_logger.warning("Bad Request: %s", request.path, exc_info=exception)
            return self._handler(request, 400)(request, exception)
        signals.got_request_exception.send(sender=None, request=request)
        request_logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return self._handler(request, 500)(request)

    @staticmethod
    def _handler(request: HttpRequest, status: int) -> Callable[..., HttpResponse]:
        return get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(status)
