"""Import guides from files: `manage.py import_guide PATH [PATH ...] [--club SLUG]`.

Guide-page text and JSON exports go through guides.exchange as they always have. Reading guides in
other layouts (.md, .html, .pdf, .docx, or a .txt that is not in the guide-page layout) goes through
guides.readers and guides.layouts, as the hosts' import page does; a brochure gives one guide per book.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from guides.club_forms import GuideContentForm
from guides.exchange import GuideImportError, import_guide
from guides.layouts import read_guides
from guides.models import Guide
from guides.readers import GuideReadError, check_size, read_file

# Extensions only the general reader understands; .txt and .json keep the exchange formats first.
_GENERAL_ONLY = {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".doc"}


class Command(BaseCommand):
    help = (
        "Import guides from files in the guide-page text layout or the JSON export format "
        "(docs/guide-format.md). A guide whose slug exists is updated in place. Each file is imported "
        "on its own: a bad file is reported and skipped, and nothing of it is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="guide files to import")
        parser.add_argument("--draft", action="store_true", help="import as drafts, hidden from members")
        parser.add_argument(
            "--club", metavar="SLUG", help="import into this club's own guides instead of the library"
        )

    def handle(self, *args, paths: list[str], draft: bool, club: str | None = None, **options) -> None:
        from sessions.models import Club

        target = None
        if club:
            target = Club.objects.filter(slug=club).first()
            if target is None:
                raise CommandError(f"no club with slug {club!r}")
        failed = 0
        for path in paths:
            try:
                if target is not None or Path(path).suffix.lower() in _GENERAL_ONLY:
                    for message in _import_general(path, _read(path), club=target, draft=draft):
                        self.stdout.write(message)
                    continue
                data = _read(path)
                try:
                    result = import_guide(data, draft=draft)
                except GuideImportError as error:
                    if not str(error).startswith("no guide headings found"):
                        raise
                    try:  # not the guide-page layout: perhaps one of the others
                        messages = _import_general(path, data, club=None, draft=draft)
                    except GuideImportError:
                        raise error from None
                    for message in messages:
                        self.stdout.write(message)
                    continue
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
    if file.suffix.lower() in _GENERAL_ONLY:
        try:
            check_size(file.stat().st_size)  # before reading a 50 MB file into memory
        except GuideReadError as error:
            raise GuideImportError(str(error)) from None
    return file.read_bytes()


def _import_general(path: str, data: bytes, *, club, draft: bool) -> list[str]:
    """Every guide in a file of any layout, all or none of them; returns a line per guide."""
    from guides.club_guides import save_guide

    try:
        drafts = read_guides(read_file(path, data))
    except GuideReadError as error:
        raise GuideImportError(str(error)) from None
    contents = []
    for number, found in enumerate(drafts, start=1):
        form = GuideContentForm(data=GuideContentForm.initial_from_draft(found))
        where = f"guide {number} ({found.title or 'no title'})" if len(drafts) > 1 else "the guide"
        if not form.is_valid():
            name, errors = next(iter(form.errors.items()))
            label = form.fields[name].label or name if name in form.fields else name
            raise GuideImportError(f"{where}: {str(label).lower()}: {errors[0]}")
        content = form.content()
        if club is None and Guide.objects.filter(slug=Guide.library_slug(content.title)).exists():
            raise GuideImportError(
                f"{where}: the library already has a guide with the slug "
                f"'{Guide.library_slug(content.title)}'; import it with --club, or rename one of them"
            )
        contents.append((content, found))
    lines = []
    with transaction.atomic():
        for content, found in contents:
            guide = save_guide(content, by=None, club=club, comment="Imported from file")
            if club is None:
                guide.status = Guide.Status.DRAFT if draft else Guide.Status.PUBLISHED
                guide.save(update_fields=["status"])
            counts = found.counts_text()
            owner = f"club '{club.slug}'" if club is not None else guide.status
            lines.append(f"Imported '{guide.title}' ({owner}, {counts}) from {path}")
    return lines
