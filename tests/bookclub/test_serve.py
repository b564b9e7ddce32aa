"""`make run` (bookclub/serve.py): forwarded addresses are not trusted unless BEHIND_PROXY is on, LAN=1
serves the LAN address, "Serving on" comes once the port is bound; and absolute_url builds on SITE_URL."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import RequestFactory

from bench.servers import PROJECT, Deployment, free_port
from bookclub import serve
from bookclub.http import absolute_url


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    deployment = Deployment.sqlite(tmp_path_factory.mktemp("serve"))
    deployment.env |= {"RATE_LIMITS_ENABLED": "1", "RATE_LIMITS": "join=1/minute"}
    yield deployment
    deployment.close()


def start(deployment: Deployment, *args: str, **env: str) -> tuple[subprocess.Popen, int, str]:
    """`python -m bookclub.serve`, as `make run` starts it; returns once it prints "Serving on"."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bookclub.serve", "--port", str(port), *args],
        cwd=PROJECT,
        env=deployment.env | {"UVICORN_LOG_LEVEL": "warning"} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("serve exited:\n" + "".join(lines))
        lines.append(line)
        if line.startswith("Serving on"):
            return process, port, "".join(lines) + "".join(process.stdout.readline() for _ in range(3))
    process.kill()
    raise RuntimeError("serve printed no 'Serving on' within 30 s:\n" + "".join(lines))


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def status(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_spoofed_forwarded_for_header_is_ignored_without_a_proxy(deployment):
    process, port, _ = start(deployment, BEHIND_PROXY="0")
    try:
        url = f"http://127.0.0.1:{port}/join/ZZZZZZZZZ1"
        assert status(url, **{"X-Forwarded-For": "203.0.113.5"}) == 404
        # Another "address" in the header is still the same client: its one try is used up.
        assert status(url, **{"X-Forwarded-For": "198.51.100.7"}) == 429
    finally:
        stop(process)


def test_behind_a_proxy_the_forwarded_address_is_the_client(deployment):
    process, port, _ = start(deployment, BEHIND_PROXY="1")
    try:
        url = f"http://127.0.0.1:{port}/join/ZZZZZZZZZ2"
        assert status(url, **{"X-Forwarded-For": "203.0.113.15"}) == 404
        assert status(url, **{"X-Forwarded-For": "198.51.100.17"}) == 404
    finally:
        stop(process)


def test_serving_on_is_printed_once_the_port_answers_with_where_the_admin_is(deployment):
    process, port, output = start(deployment)
    try:
        # No waiting: the line comes after the bind, so the first request already connects.
        assert status(f"http://127.0.0.1:{port}/healthz") == 200
        assert output.count("Serving on") == 1
        assert f"http://127.0.0.1:{port}/admin/" in output
        assert "Sign up" in output
    finally:
        stop(process)


def test_lan_serves_the_lan_address_and_allows_it_as_a_host(deployment):
    address = serve.lan_address()
    if address is None:
        pytest.skip("this machine has no LAN address")
    process, port, output = start(deployment, "--lan")
    try:
        assert f"Serving on http://{address}:{port}/" in output
        assert status(f"http://{address}:{port}/healthz") == 200
    finally:
        stop(process)


def test_the_makefile_runs_the_server_through_serve_py():
    makefile = (Path(PROJECT) / "Makefile").read_text()
    assert "-m bookclub.serve" in makefile
    assert "bookclub.asgi:application --host" not in makefile


def test_uvicorn_trusts_forwarded_headers_only_behind_a_proxy(monkeypatch):
    monkeypatch.setenv("BEHIND_PROXY", "0")
    assert serve.uvicorn_config("127.0.0.1", 8000).proxy_headers is False
    monkeypatch.setenv("BEHIND_PROXY", "yes")
    assert serve.uvicorn_config("127.0.0.1", 8000).proxy_headers is True


def test_absolute_url_uses_site_url_when_set(settings):
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    settings.SITE_URL = "http://192.168.1.20:8000"
    assert absolute_url(request, "/join/ABC") == "http://192.168.1.20:8000/join/ABC"


def test_absolute_url_uses_the_requests_address_without_site_url(settings):
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    settings.SITE_URL = ""
    assert absolute_url(request, "/join/ABC") == "http://127.0.0.1:8000/join/ABC"
