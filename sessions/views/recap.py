"""Placeholder views: replaced by the real ones."""

from django.http import Http404, HttpRequest, HttpResponse


def recap(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def md(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def recap_markdown(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def csv(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def recap_csv(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404
