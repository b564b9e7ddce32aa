"""Public pages of the guide library: the searchable list and the guide page."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from bookclub.http import HtmxHttpRequest
from guides.models import Guide, GuideSections, ReviewStatus, Theme
from guides.templatetags.guide_extras import markdown_to_text

# Longer search input is not a search anyone types; cutting it keeps the query (and its SQL) small.
MAX_QUERY_LENGTH = 100
DESCRIPTION_LENGTH = 200

# JSON may hold "</script>" or "<!--" inside strings; as \u escapes they still mean the same characters
# to a JSON parser but can no longer end or confuse the script element that carries them.
_SCRIPT_SAFE_JSON = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@require_GET
@vary_on_headers("HX-Request", "HX-History-Restore-Request")
def guide_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    theme_slug = request.GET.get("theme", "").strip()

    visible = Guide.objects.visible_to(request.user)
    guides = visible.prefetch_related("themes")
    theme = None
    if theme_slug:
        theme = Theme.objects.filter(slug=theme_slug).first()
        guides = guides.with_theme(theme_slug)
    if query:
        guides = guides.search(query)
    context: dict[str, Any] = {
        "guides": list(guides),
        "query": query,
        "theme": theme,
        "theme_slug": theme_slug,
    }
    template_name = "guides/guide_list.html"
    # A history restore (back button after the cache was dropped) wants the whole page, not the fragment.
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#results"
        context["fragment"] = True
    else:
        context["themes"] = Theme.objects.filter(guides__in=visible).distinct()
    return render(request, template_name, context)


@require_GET
def guide_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    guide = get_object_or_404(Guide.objects.visible_to(request.user), slug=slug)
    page_url = request.build_absolute_uri(guide.get_absolute_url())
    image_url = request.build_absolute_uri(guide.illustration.url) if guide.illustration else ""
    context = {"guide": guide, "page": _GuidePage(guide, page_url, image_url)}
    return render(request, "guides/guide_detail.html", context)


class _GuidePage:
    """What the guide page shows besides the guide's own row, read only when the template asks: a page
    whose fragments come from the cache reads nothing but the guide."""

    def __init__(self, guide: Guide, url: str, image_url: str) -> None:
        self.guide = guide
        self.url = url
        self.image_url = image_url

    @cached_property
    def sections(self) -> GuideSections:
        return self.guide.load_sections()

    @cached_property
    def themes(self) -> list[Theme]:
        return list(self.guide.themes.all())

    @cached_property
    def description(self) -> str:
        return markdown_to_text(self.guide.summary or self.guide.about, DESCRIPTION_LENGTH)

    @cached_property
    def has_unverified(self) -> bool:
        factual = [*self.sections.adaptations, *self.sections.other_books, *self.sections.trivia]
        return any(item.review_status == ReviewStatus.UNVERIFIED for item in factual)

    @cached_property
    def contents(self) -> list[tuple[str, str]]:
        return _contents(self.guide, self.sections)

    @cached_property
    def json_ld(self) -> SafeString:
        return _book_json_ld(self.guide, self.themes, self.description, self.url, self.image_url)


def _contents(guide: Guide, sections: GuideSections) -> list[tuple[str, str]]:
    """(anchor, heading) of every section the page shows, in page order, for the "On this page" list."""
    entries = [
        ("summary", "Summary", guide.summary),
        ("about", "What is it about?", guide.about),
        ("questions", "Discussion questions", sections.questions),
        ("talking-points", "What to say about it", sections.talking_points),
        ("quotes", "Top quotes", sections.quotes),
        ("adaptations", "Adaptations", sections.adaptations),
        ("other-books", f"Other books by {guide.author}", sections.other_books),
        ("trivia", "Did you know?", sections.trivia),
    ]
    return [(anchor, heading) for anchor, heading, content in entries if content]


def _book_json_ld(
    guide: Guide, themes: list[Theme], description: str, page_url: str, image_url: str
) -> SafeString:
    """schema.org Book data for search engines, safe to place inside a <script> data block."""
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Book",
        "name": guide.title,
        "author": {"@type": "Person", "name": guide.author},
        "url": page_url,
    }
    if description:
        data["description"] = description
    if image_url:
        data["image"] = image_url
    if themes:
        data["about"] = [{"@type": "Thing", "name": theme.name} for theme in themes]
        data["keywords"] = ", ".join(theme.name for theme in themes)
    encoded = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE_JSON)
    return mark_safe(encoded)  # <, > and & are escaped above
