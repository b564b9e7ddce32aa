"""The import_guide, export_guide and setup_demo management commands."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from guides.models import Guide, Question

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO = Path(settings.BASE_DIR) / "demo" / "never-let-me-go.txt"


def _run(*args: str) -> tuple[int, str, str]:
    """Call a command the way manage.py does, returning (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_guide_reports_each_guide_it_creates_or_updates():
    status, out, err = _run("import_guide", str(DEMO), str(FIXTURES / "the-handmaids-tale.txt"))
    again, out_again, _ = _run("import_guide", str(DEMO))

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Imported 'Never Let Me Go' (created, published, 10 questions, 10 talking points, 5 quotes, "
        "4 adaptations, 11 other books, 1 trivia item)",
        "Imported 'The Handmaid\u2019s Tale' (created, published, 6 questions, 7 talking points, 4 quotes, "
        "4 adaptations, 8 other books, 0 trivia items)",
    ]
    assert again == 0
    assert out_again.startswith("Updated 'Never Let Me Go' (published, ")
    assert Guide.objects.count() == 2


@pytest.mark.django_db
def test_import_guide_with_draft_imports_drafts():
    _run("import_guide", "--draft", str(DEMO))

    assert Guide.objects.get().status == Guide.Status.DRAFT


@pytest.mark.django_db
def test_import_guide_reports_each_bad_file_on_one_line_and_imports_the_rest(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "bookclub-guide",', encoding="utf-8")
    missing = tmp_path / "missing.txt"

    status, out, err = _run("import_guide", str(empty), str(DEMO), str(missing), str(tmp_path), str(broken))

    assert status == 1
    assert err.splitlines() == [
        f"import_guide: {empty}: the file is empty",
        f"import_guide: {missing}: No such file or directory",
        f"import_guide: {tmp_path}: Is a directory",
        f"import_guide: {broken}: not valid JSON: Expecting property name enclosed in double quotes "
        "at line 1, column 29",
    ]
    assert out.startswith("Imported 'Never Let Me Go'")
    assert Guide.objects.count() == 1


def test_import_guide_from_the_command_line_fails_with_one_line_and_no_traceback(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # A database of its own: nothing here may touch the developer's db.sqlite3.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    binary = tmp_path / "cover.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    completed = subprocess.run(
        [sys.executable, "manage.py", "import_guide", "bad-file", str(binary)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        "import_guide: bad-file: No such file or directory",
        f"import_guide: {binary}: binary data, not a text file",
    ]
    assert "Traceback" not in completed.stderr + completed.stdout


@pytest.mark.django_db
def test_export_guide_writes_the_json_to_standard_output_or_a_file(tmp_path):
    _run("import_guide", str(DEMO))
    target = tmp_path / "guide.json"

    status, out, _ = _run("export_guide", "never-let-me-go")
    file_status, file_out, _ = _run("export_guide", "never-let-me-go", "--output", str(target))

    assert status == file_status == 0
    assert json.loads(out)["title"] == "Never Let Me Go"
    assert target.read_text(encoding="utf-8") == out
    assert file_out == f"Exported 'Never Let Me Go' to {target}\n"


@pytest.mark.django_db
def test_an_exported_guide_imports_back_through_the_commands(tmp_path):
    _run("import_guide", str(DEMO))
    target = tmp_path / "guide.json"
    _run("export_guide", "never-let-me-go", "--output", str(target))
    ids = list(Question.objects.values_list("id", flat=True))

    status, out, _ = _run("import_guide", str(target))

    assert status == 0
    assert out.startswith("Updated 'Never Let Me Go'")
    assert list(Question.objects.values_list("id", flat=True)) == ids


@pytest.mark.django_db
def test_export_guide_of_an_unknown_slug_fails_with_one_line():
    status, out, err = _run("export_guide", "no-such-guide")

    assert status == 1
    assert out == ""
    assert err == "export_guide: no guide with slug 'no-such-guide'\n"


@pytest.mark.django_db
def test_setup_demo_imports_the_demo_guide_and_creates_the_editor_once():
    status, out, _ = _run("setup_demo")
    editor = User.objects.get(username="editor")
    password_hash = editor.password

    again, out_again, _ = _run("setup_demo")

    assert status == again == 0
    lines = out.splitlines()
    assert lines[0].startswith("Imported 'Never Let Me Go' (created, published,")
    assert lines[1].startswith("Demo staff login: editor / ")
    assert lines[1].endswith(" (shown only now)")
    password = lines[1].removeprefix("Demo staff login: editor / ").removesuffix(" (shown only now)")
    assert editor.check_password(password)
    assert editor.is_staff and editor.is_superuser
    assert out_again.splitlines() == [
        "Demo guide 'Never Let Me Go' is already there.",
        "Demo staff account 'editor' exists; to set a new password run: "
        "python manage.py changepassword editor",
    ]
    assert password not in out_again
    assert (Guide.objects.count(), User.objects.count()) == (1, 1)
    assert User.objects.get(username="editor").password == password_hash


@pytest.mark.django_db
def test_setup_demo_leaves_an_edited_demo_guide_alone():
    _run("setup_demo")
    Guide.objects.update(summary="Edited by the club.")

    _run("setup_demo")

    assert Guide.objects.get().summary == "Edited by the club."
