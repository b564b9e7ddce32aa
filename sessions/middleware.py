from django.http import HttpRequest, HttpResponse

from sessions.access import LoginRequired, login_redirect


class LoginRequiredMiddleware:
    """Turns `access.LoginRequired` into a redirect to the login page, wherever a view raised it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginRequired):
            return login_redirect(request)
        return None
