"""Placeholder views: replaced by the real ones."""

from django.http import Http404, HttpRequest, HttpResponse


def meeting_start(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def present(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def control(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def answer_hide(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def participant_remove(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def join(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def join_code(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def member_view(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def answer_post(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def answer_edit(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def answer_delete(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def answer_like(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404
