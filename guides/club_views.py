"""A club's own guides: hosts make one by hand or import it from what they have, check the preview, and
edit it later with history and revert; members read it. Outsiders get 404 (sessions.access).

Nothing of an import is written until the host saves the preview; the preview is the guide form filled
in from the file, so what the host corrects there is what is saved.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bookclub.http import AuthenticatedHttpRequest, HtmxHttpRequest
from guides import club_guides
from guides.club_forms import (
    MOVE_CHOICES,
    GuideContentForm,
    GuideForm,
    ImportForm,
    PreviewBookForm,
    apply_moves,
)
from guides.layouts import DraftGuide, read_guides, read_pasted
from guides.models import Guide
from guides.readers import GuideReadError, read_file
from sessions import access

logger = logging.getLogger(__name__)

FORM_TEMPLATE = "guides/club/guide_form.html"
DETAIL_TEMPLATE = "guides/club/guide_detail.html"
IMPORT_TEMPLATE = "guides/club/guide_import.html"
HISTORY_TEMPLATE = "guides/club/guide_history.html"
MAX_BOOKS = 20  # a brochure of more guides than this is not one a club reads from


# ---------- Reading ----------


@require_GET
def guide_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    guide, membership = access.club_guide_for_member(request, slug, pk)
    sections = guide.load_sections()
    further_reading = list(guide.further_reading.all())
    context = {
        "guide": guide,
        "club": guide.club,
        "is_host": membership.is_host,
        "sections": sections,
        "further_reading": further_reading,
        "summary_paragraphs": _split_paragraphs(guide.summary),
        "about_author_paragraphs": _split_paragraphs(guide.about_author),
    }
    return render(request, DETAIL_TEMPLATE, context)


def _split_paragraphs(text: str) -> list[str]:
    return [part for part in text.split("\n\n") if part.strip()]


# ---------- Writing by hand ----------


@require_http_methods(["GET", "POST"])
def guide_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    club, _ = access.club_for_host(request, slug)
    # A vote's winner without a guide links here as ?title=&author= (issue 12) to start the form with.
    initial = {key: request.GET[key] for key in ("title", "author") if request.GET.get(key)}
    form = GuideForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        guide = club_guides.save_guide(
            form.content(),
            by=request.user,
            club=club,
            cover=form.cleaned_data["cover"] or None,
            cover_alt=form.cleaned_data["cover_alt"],
        )
        messages.success(
            request, f"Saved the guide to {guide.title}. Members of {club.name} can read it now."
        )
        return redirect(guide)
    return render(request, FORM_TEMPLATE, {"form": form, "club": club, "guide": None})


@require_http_methods(["GET", "POST"])
def guide_edit(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    guide, _ = access.club_guide_for_host(request, slug, pk)
    has_cover = bool(guide.illustration)
    if request.method == "POST":
        form = GuideForm(request.POST, request.FILES, has_cover=has_cover)
        if form.is_valid():
            club_guides.save_guide(
                form.content(),
                by=request.user,
                guide=guide,
                cover=form.cleaned_data["cover"] or None,
                cover_alt=form.cleaned_data["cover_alt"],
                remove_cover=form.cleaned_data.get("remove_cover", False),
            )
            messages.success(request, "Guide saved. Its history keeps the version before this one.")
            return redirect(guide)
    else:
        form = GuideForm(initial=_initial(guide), has_cover=has_cover)
    return render(request, FORM_TEMPLATE, {"form": form, "club": guide.club, "guide": guide})


def _initial(guide: Guide) -> dict:
    sections = guide.load_sections()
    return {
        "title": guide.title,
        "author": guide.author,
        "summary": guide.summary,
        "about_author": guide.about_author,
        "has_spoilers": guide.has_spoilers,
        "questions": "\n".join(q.text for q in sections.questions),
        "quotes": "\n".join(q.text for q in sections.quotes),
        "further_reading": "\n".join(str(item) for item in guide.further_reading.all()),
        "other_books": "\n".join(str(book) for book in sections.other_books),
        "cover_alt": guide.illustration_alt,
    }


# ---------- History ----------


@require_GET
def guide_history(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    guide, _ = access.club_guide_for_host(request, slug, pk)
    versions = club_guides.history(guide)
    context = {"guide": guide, "club": guide.club, "versions": versions}
    return render(request, HISTORY_TEMPLATE, context)


@require_POST
def guide_revert(request: AuthenticatedHttpRequest, slug: str, pk: int, version_id: int) -> HttpResponse:
    guide, _ = access.club_guide_for_host(request, slug, pk)
    version = next((v for v in club_guides.history(guide) if v.pk == version_id), None)
    if version is None:
        raise Http404("No such version of this guide.")
    club_guides.revert(guide, version, by=request.user)
    messages.success(
        request,
        f"Put back the version of {version.revision.date_created:%d %B %Y, %H:%M} UTC. "
        "The version before the revert is in the history too.",
    )
    return redirect(guide)


# ---------- Importing ----------


@require_http_methods(["GET", "POST"])
def guide_import(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    club, _ = access.club_for_host(request, slug)
    if request.method == "GET":
        return render(request, IMPORT_TEMPLATE, {"club": club, "form": ImportForm()})
    action = request.POST.get("action", "read")
    if action == "read":
        return _read(request, club)
    books = _posted_books(request.POST)
    if not books:
        messages.error(request, "The preview was lost; read the file again.")
        return redirect("club_guides:import", club.slug)
    included = [book for book in books if book.included]
    error = ""
    if action == "save":
        if not included:
            error = "Tick “Save this guide” on at least one guide, or go back to the club."
        elif all(book.is_valid() for book in included):
            with transaction.atomic():
                guides = [
                    club_guides.save_guide(book.content(), by=request.user, club=club, comment="Imported")
                    for book in included
                ]
            if len(guides) == 1:
                messages.success(request, f"Imported the guide to {guides[0].title}.")
                return redirect(guides[0])
            titles = ", ".join(guide.title for guide in guides)
            messages.success(request, f"Imported {len(guides)} guides: {titles}.")
            return redirect(club)
        else:
            error = "Some guides need a correction before they can be saved; see the messages below."
    return _preview(request, club, books, error=error)


def _read(request: HtmxHttpRequest, club) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("guide_file")
        try:
            if upload:
                drafts = read_guides(read_file(upload.name, upload.read()))
            else:
                drafts = read_pasted(form.cleaned_data["pasted"])
        except GuideReadError as error:
            form.add_error("guide_file" if upload else "pasted", str(error))
        except Exception:
            # A library choking on a strange file is our problem, not the host's: say so, keep nothing.
            logger.exception("Reading an imported guide failed unexpectedly")
            form.add_error(
                "guide_file" if upload else "pasted",
                "This file could not be read because of an unexpected problem; nothing was saved.",
            )
        else:
            books = [_book_from_draft(index, draft) for index, draft in enumerate(drafts[:MAX_BOOKS])]
            return _preview(request, club, books)
    return render(request, IMPORT_TEMPLATE, {"club": club, "form": form})


def _book_from_draft(index: int, draft: DraftGuide) -> PreviewBookForm:
    initial = {**GuideContentForm.initial_from_draft(draft), "include": True}
    return PreviewBookForm(
        prefix=f"book-{index}", initial=initial, unplaced=[(text, "") for text in draft.not_placed]
    )


def _posted_books(data: QueryDict) -> list[PreviewBookForm]:
    """The preview as the host sent it back, with the lines they chose to move put into place."""
    try:
        count = min(int(data.get("books", "0")), MAX_BOOKS)
    except ValueError:
        return []
    books = []
    for index in range(max(count, 0)):
        prefix = f"book-{index}"
        pairs = list(
            zip(data.getlist(f"{prefix}-unplaced-text"), data.getlist(f"{prefix}-unplaced-to"), strict=False)
        )
        values = {name: data.get(f"{prefix}-{name}", "") for name in GuideContentForm.base_fields}
        values = apply_moves(values, pairs)
        bound = {f"{prefix}-{name}": value for name, value in values.items() if value}
        if data.get(f"{prefix}-include"):
            bound[f"{prefix}-include"] = "on"
        unplaced = [(text, "") for text, section in pairs if not section]
        books.append(PreviewBookForm(bound, prefix=prefix, unplaced=unplaced))
    return books


def _preview(
    request: HtmxHttpRequest, club, books: list[PreviewBookForm], *, error: str = ""
) -> HttpResponse:
    context = {"club": club, "books": books, "move_choices": MOVE_CHOICES, "preview_error": error}
    return render(request, IMPORT_TEMPLATE, context)
