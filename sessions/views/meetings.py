"""Placeholder views: replaced by the real ones."""

from django.http import Http404, HttpRequest, HttpResponse


def meeting_create(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def meeting_detail(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def meeting_edit(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def rsvp(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def meeting_ics(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def question_add(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def question_edit(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def question_move(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404


def question_skip(request: HttpRequest, **kwargs) -> HttpResponse:
    raise Http404
