"""Write a guide as JSON (docs/guide-format.md): `manage.py export_guide SLUG [--output FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand, CommandParser

from guides.exchange import GuideExportError, export_guide
from guides.models import Guide


class Command(BaseCommand):
    help = "Write a guide, with all its lists and its illustration, as JSON that import_guide reads back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG", help="the guide's slug, as in its web address")
        parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")

    def handle(self, *args, slug: str, output: str | None, **options) -> None:
        guide = Guide.objects.filter(slug=slug).first()
        if guide is None:
            self._fail(f"no guide with slug '{slug}'")
        try:
            text = export_guide(guide)
        except GuideExportError as error:
            self._fail(str(error))
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            self._fail(f"{output}: {(error.strerror or str(error)).lower()}")
        self.stdout.write(f"Exported '{guide.title}' to {output}")

    def _fail(self, problem: str) -> NoReturn:
        # Not CommandError, whose message Django prefixes with "CommandError:"; one plain line suffices.
        self.stderr.write(" ".join(f"export_guide: {problem}".split()))
        sys.exit(1)
