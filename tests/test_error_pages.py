"""Error pages: a clear message inside the site's frame, never a traceback."""

import pytest
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
