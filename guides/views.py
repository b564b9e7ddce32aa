from django.http import HttpRequest, HttpResponse


def guide_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError
