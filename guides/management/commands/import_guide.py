"""Import guides from guide-page text or JSON export files: `manage.py import_guide PATH [PATH ...]`."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from guides.exchange import GuideImportError, import_guide


class Command(BaseCommand):
    help = (
        "Import guides from files in the guide-page text layout or the JSON export format "
        "(docs/guide-format.md). A guide whose slug exists is updated in place. Each file is imported "
        "on its own: a bad file is reported and skipped, and nothing of it is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="guide files to import")
        parser.add_argument("--draft", action="store_true", help="import as drafts, hidden from members")

    def handle(self, *args, paths: list[str], draft: bool, **options) -> None:
        failed = 0
        for path in paths:
            try:
                result = import_guide(_read(path), draft=draft)
            except (GuideImportError, OSError) as error:
                problem = str(error) if isinstance(error, GuideImportError) else error.strerror or str(error)
                self._fail(path, problem)
                failed += 1
            except Exception as error:
                if options.get("traceback"):
                    raise
                # Anything else is a bug or a broken database; one line still beats a traceback here,
                # and --traceback shows the rest.
                problem = f"unexpected error ({type(error).__name__}: {error}); rerun with --traceback"
                self._fail(path, problem)
                failed += 1
            else:
                self.stdout.write(result.message)
        if failed:
            # Not CommandError: Django would print it as a further line, and each failure is already said.
            sys.exit(1)

    def _fail(self, path: str, problem: str) -> None:
        self.stderr.write(" ".join(f"import_guide: {path}: {problem}".split()))


def _read(path: str) -> bytes:
    file = Path(path)
    if file.is_dir():
        # Said the same way on every platform (Windows would report "Permission denied").
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    return file.read_bytes()
