"""Middleware of the project as a whole (the apps' own live in their packages)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.views.defaults import page_not_found


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


def _without_nul(data: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    cleaned._mutable = False
    return cleaned


class PermissionsPolicyMiddleware:
    """Permissions-Policy: the powerful browser features none of our pages use, switched off for them
    and for anything that might ever be embedded in them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
