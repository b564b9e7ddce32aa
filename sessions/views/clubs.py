"""Placeholder views: replaced by the real ones."""

from django.http import Http404, HttpRequest, HttpResponse


def club_create(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def club_detail(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def invite_reset(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def member_role(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def member_remove(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def club_leave(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def invite_accept(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404
