"""The health check load balancers and benchmarks call."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_answers_ok_in_plain_text(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_it_asks_the_database_one_question(client, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        client.get("/healthz")

    assert captured.captured_queries[0]["sql"] == "SELECT 1"


def test_it_is_never_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_it_refuses_post(client):
    assert client.post("/healthz").status_code == 405
