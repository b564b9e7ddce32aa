"""The release every cache key starts with (bookclub/release.py, KEY_PREFIX in bookclub/settings.py): cached
HTML lives in a Redis that outlives deploys, so new code must not find what old code rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookclub.release import FOLDERS, code_digest
from tests.bookclub.test_settings import PROJECT, run_django


@pytest.fixture
def project(tmp_path) -> Path:
    for folder in FOLDERS:
        (tmp_path / folder).mkdir()
    (tmp_path / "templates" / "base.html").write_text("<title>Bookclub</title>")
    (tmp_path / "guides" / "views.py").write_text("VIEW = 1\n")
    return tmp_path


def test_the_digest_stays_the_same_while_the_code_does(project):
    assert code_digest(project) == code_digest(project)


def test_an_edited_template_gives_a_new_digest(project):
    before = code_digest(project)
    (project / "templates" / "base.html").write_text("<title>Bookclub!</title>")
    assert code_digest(project) != before


def test_edited_or_added_code_gives_a_new_digest(project):
    digests = {code_digest(project)}
    (project / "guides" / "views.py").write_text("VIEW = 2\n")
    digests.add(code_digest(project))
    (project / "sessions" / "new.py").write_text("")
    digests.add(code_digest(project))
    assert len(digests) == 3


def test_compiled_files_do_not_count(project):
    before = code_digest(project)
    (project / "guides" / "__pycache__").mkdir()
    (project / "guides" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\0compiled")
    assert code_digest(project) == before


def test_the_cache_keys_start_with_the_digest_of_the_running_code():
    result = run_django("print(settings.CACHES['default']['KEY_PREFIX'])", DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"bookclub:{code_digest(PROJECT)}"


def test_release_names_the_release_instead():
    result = run_django("print(settings.CACHES['default']['KEY_PREFIX'])", DEBUG="1", RELEASE="2026-12-01.3")
    assert result.stdout.strip() == "bookclub:2026-12-01.3"


def test_in_debug_fragments_are_rendered_every_time_so_edited_templates_show():
    code = "print(settings.CACHES.get('template_fragments', {}).get('BACKEND'))"
    assert run_django(code, DEBUG="1").stdout.strip() == "django.core.cache.backends.dummy.DummyCache"
    assert run_django(code, DEBUG="0", SECRET_KEY="x" * 50).stdout.strip() == "None"
