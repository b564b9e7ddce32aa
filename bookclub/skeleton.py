"""Whole pages rendered once and served to many viewers, with holes for what is each viewer's own.

The guide page and a live meeting's member view are the pages read most, and they are nearly the same
for everyone who reads them: what differs is the CSRF token, the logged-in user's name in the account
links, and whatever a view names as a hole (the viewer's own answers, say). Rendering Django templates
was most of what those pages cost, so a view renders the page once as a `Skeleton`, keeps it in the
cache, and for each request only fills in the holes.

How the holes are made: at render time each hole is a random marker (drawn anew for each render, so no
text a user wrote can contain one), the CSRF token and the holes named by the view are those markers in
the template's context, and a logged-in viewer is stood in for by `_StandInUser`, whose name is a marker.
The output is split at the markers. Each hole is filled with text escaped as the template would have
escaped it: the markers are letters and digits, which autoescaping leaves alone, so filling in the
escaped value gives the page a normal render would have given.

A page is shared only where the rest of it is the same for everyone (`shareable`): a plain GET without
a query string (the account links carry the full path back after logging in) and no messages waiting
to be shown. Each view adds its own conditions, and keys its entries by everything its page shows.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

CSRF_TOKEN = "csrf_token"
USERNAME = "username"
# Where the code that renders pages lives: a deploy that changes any of it must not serve pages the old
# code made from a shared Redis.
_CODE_FOLDERS = ("bookclub", "guides", "sessions", "templates")
_PACKAGES = ("django", "django-template-partials", "markdown", "nh3")


class SkeletonError(Exception):
    """A shared page tried to use something of the viewer's that is not a hole."""


@dataclass(frozen=True)
class Skeleton:
    """A rendered page split at its holes: HTML, hole name, HTML, hole name, ..., HTML."""

    pieces: tuple[str, ...]

    @property
    def holes(self) -> frozenset[str]:
        return frozenset(self.pieces[1::2])

    def fill(self, values: Mapping[str, str]) -> SafeString:
        """The page with `values` in its holes; they are escaped here unless marked safe."""
        escaped = {name: conditional_escape(value) for name, value in values.items()}
        # Made by the template with autoescaping; the holes are escaped above.
        return mark_safe(
            "".join(escaped[piece] if index % 2 else piece for index, piece in enumerate(self.pieces))
        )


class _StandInUser:
    """Renders the account links of every logged-in viewer: only the name differs, and it is a hole.
    Anything else a shared page asks of the user is an error rather than a guess."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, marker: str) -> None:
        self._marker = marker

    def get_username(self) -> str:
        return self._marker

    def __getattr__(self, name: str):
        if name in {"do_not_call_in_templates", "alters_data"}:  # the template engine's own probes
            raise AttributeError(name)
        raise SkeletonError(f"a shared page used user.{name}, which differs from viewer to viewer")


def shareable(request: HttpRequest) -> bool:
    """Whether the page around a view's own content is the same for this request as for others."""
    # len() looks at the waiting messages without marking them as shown.
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and not len(messages.get_messages(request))
    )


def variant(request: HttpRequest) -> str:
    """The part of a key that tells apart the pages of logged-in and anonymous viewers."""
    return "user" if request.user.is_authenticated else "anonymous"


def render(
    request: HttpRequest,
    template_name: str,
    context: dict | Callable[[Mapping[str, SafeString]], dict],
    holes: Iterable[str] = (),
) -> Skeleton:
    """Render a page with the CSRF token, the user's name and each of `holes` left as holes.

    Each hole is a context variable of its name; where a hole is printed from something else (a form's
    field, say), `context` is a function that gets the markers and puts them there itself."""
    names = [CSRF_TOKEN, *holes]
    if request.user.is_authenticated:
        names.append(USERNAME)
    markers = {name: mark_safe(secrets.token_hex(16)) for name in names}
    if callable(context):
        context = context(markers)
    context = {**context, **{name: markers[name] for name in names if name != USERNAME}}
    if request.user.is_authenticated:
        context["user"] = _StandInUser(markers[USERNAME])
    html = render_to_string(template_name, context, request=request)
    by_marker = {marker: name for name, marker in markers.items()}
    split = re.compile("(" + "|".join(markers.values()) + ")")
    return Skeleton(tuple(by_marker.get(piece, piece) for piece in split.split(html)))


def viewer_values(request: HttpRequest) -> dict[str, str]:
    """What fills the holes every shared page has."""
    values = {CSRF_TOKEN: get_token(request)}
    if request.user.is_authenticated:
        values[USERNAME] = request.user.get_username()
    return values


def release() -> str:
    """A digest of the code, templates, libraries and static files that render pages. It only changes
    with a deploy, except in debug mode, where templates and code reload while the server runs: there it
    is worked out again at most once a second (it reads every file, about 4 ms)."""
    if not settings.DEBUG:
        return _release_digest()
    global _debug_release
    worked_out_at, digest = _debug_release
    if time.monotonic() - worked_out_at > 1:
        digest = _release_digest.__wrapped__()
        _debug_release = (time.monotonic(), digest)
    return digest


_debug_release: tuple[float, str] = (float("-inf"), "")


@functools.cache
def _release_digest() -> str:
    digest = hashlib.blake2b(digest_size=12)
    root = Path(settings.BASE_DIR)
    for folder in _CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".txt"} and path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for package in _PACKAGES:
        digest.update(importlib.metadata.version(package).encode())
    # Static file URLs carry their content's hash in production; the manifest changes with any of them.
    digest.update(str(getattr(staticfiles_storage, "manifest_hash", "")).encode())
    return digest.hexdigest()
