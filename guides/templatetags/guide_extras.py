"""Template helpers for guide pages.

Editors write summaries, notes and trivia in Markdown, and Markdown passes raw HTML straight through, so
its output is untrusted until nh3 has cut it down to a few harmless tags. Only then is it marked safe.
"""

import html
import re

import markdown as markdown_lib
import nh3
from django import template
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ALLOWED_TAGS = {"p", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"
# sane_lists: a numbered list right after a bulleted one starts a new list, as editors expect.
MARKDOWN_EXTENSIONS = ["sane_lists"]
_WHITESPACE = re.compile(r"\s+")


def render_markdown(text: str | None) -> str:
    """Markdown to sanitized HTML; anything outside the allow-list is stripped (scripts with content)."""
    if not text:
        return ""
    raw = markdown_lib.markdown(str(text), extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
    )


def markdown_to_text(text: str | None, length: int | None = None) -> str:
    """The words of a Markdown text without markup, for meta descriptions; optionally truncated."""
    if not text:
        return ""
    raw = markdown_lib.markdown(str(text), extensions=MARKDOWN_EXTENSIONS, output_format="html")
    plain = html.unescape(nh3.clean(raw, tags=set()))
    plain = _WHITESPACE.sub(" ", plain).strip()
    if length is not None and len(plain) > length:
        # Cut at a word boundary (room left for the ellipsis) so it never ends in half a word.
        cut = plain[: length - 1]
        if plain[length - 1] != " " and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        plain = cut.rstrip(" ,;:.") + "…"
    return plain


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    # Safe only because nh3 has just cut the HTML down to the allow-list.
    return mark_safe(render_markdown(text))


_WEB_URL = URLValidator(schemes=["http", "https"])


@register.filter(name="web_url")
def web_url(value: str | None) -> bool:
    """Whether a stored link is an http(s) URL, so a page never links to javascript: or data: (the model
    field refuses those, but a link is made only for what this checks)."""
    try:
        _WEB_URL(str(value or ""))
    except ValidationError:
        return False
    return True
