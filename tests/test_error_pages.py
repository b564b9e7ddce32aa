"""Error pages: a clear message inside the site's frame, never a traceback."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import path

from bookclub.urls import urlpatterns as site_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug")


urlpatterns = [*site_urlpatterns, path("broken/", broken_view)]


@pytest.mark.django_db
def test_an_unknown_address_gets_the_sites_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Page not found</h1>" in page
    assert 'href="/join/"' in page
    assert "Traceback" not in page


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_crash_gets_a_plain_500_page_without_a_traceback():
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Something went wrong</h1>" in page
    assert "RuntimeError" not in page
    assert "Traceback" not in page


# ---------- Under DEBUG (make run): the same designed pages, unless DEBUG_PAGES asks for Django's ----------


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    settings.DEBUG_PAGES = False
    return settings


@pytest.mark.django_db
def test_under_debug_an_unknown_address_gets_the_sites_404_page(client, debug):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Page not found</h1>" in page
    assert "URLconf" not in page


@pytest.mark.django_db
def test_under_debug_a_view_that_finds_nothing_gets_the_sites_404_page(client, debug):
    response = client.get("/guides/no-such-guide/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_under_debug_a_crash_gets_the_plain_500_page_without_a_traceback(debug, caplog):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Something went wrong</h1>" in page
    assert "RuntimeError" not in page
    assert "Traceback" not in page
    # The developer still gets the traceback, in the log.
    assert any(record.exc_info and record.exc_info[0] is RuntimeError for record in caplog.records)


@pytest.mark.django_db
def test_under_debug_a_missing_slash_is_still_a_redirect(client, debug):
    response = client.get("/guides")
    assert response.status_code == 301
    assert response["Location"] == "/guides/"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_debug_pages_brings_back_djangos_technical_pages(debug):
    debug.DEBUG_PAGES = True
    client = Client(raise_request_exception=False)
    assert "Using the URLconf defined in" in client.get("/no/such/page/").content.decode()
    assert "RuntimeError" in client.get("/broken/").content.decode()


# ---------- The favicon ----------


def test_the_favicon_answers_at_the_root_where_browsers_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/no/such/page/", "/admin/login/"])
def test_pages_link_the_favicon(client, path):
    page = client.get(path).content.decode()
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("favicon.svg")
