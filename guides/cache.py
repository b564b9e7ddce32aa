"""The guide page, rendered once and kept in Django's cache, at two levels.

- The whole page, as a `bookclub.skeleton.Skeleton`: one for anonymous readers and one for logged-in
  readers, with holes for the CSRF token and the reader's name. Served to every request the skeleton
  module calls shareable (no query string, no messages waiting).
- The guide's own content (the `<article>` and its `<head>` tags), the same for every viewer, which the
  page is built from: the pages of staff previewing a draft (never cached) and of requests that are not
  shareable render the page around it on each request.

The guide itself is still read from the database on every request, so who may see it is decided as
before.

How an entry goes stale, and why it is keyed the way it is: an entry is valid only for the guide row it
was rendered from. Its stamp is a digest of every column of that row, plus the page's address (the page
prints its own URL) and the code that renders it (`skeleton.release()`: templates, code, the versions of
Markdown and nh3 and the static files; a deploy that changes any of them, a sanitizer fix say, must not
serve HTML the old code made from a shared Redis). The row is read anyway to find the guide, so checking
the stamp costs nothing.

Deleting entries on change would be the other way, but it misses writes that send no signal
(`bulk_update`, `.update()`), it races with a request that read the old rows just before the commit and
stores them just after the delete, and with several processes on the local-memory cache each process
would have to be told. A stamp read from the row has none of these problems, provided that every change
to a guide's content also changes its row. Changes to the row itself (including `.update()` calls such
as `Guide.update_reading_time`) do by definition; everything else moves the row's `updated_at` through
`touch()`:

- items (`SECTION_MODELS`) saved or deleted, and themes added to or removed from a guide, renamed or
  deleted: signals in `guides/signals.py`, which also see the saves and deletes of a reversion revert;
- a revert puts back the guide's old `updated_at`, so a raw save of a guide is touched too (signals);
- items written in bulk, which send no signals: `guides.admin.refresh_guide` (renumbering with
  `bulk_update` after every admin change of items, and an item moved to another guide) and the claim
  admins' "Mark as verified" action (`.update()`) call `touch()` themselves; an import
  (`guides.exchange`) saves the guide in the same transaction as its bulk writes, which moves the row.

A touch comes after the change it marks, in the same transaction when there is one, so a request that
reads the new stamp also reads the new items; one that read the old stamp may store newer HTML under it,
which is then never served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TypedDict

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from bookclub import shared_cache, skeleton
from guides.models import Guide

TEMPLATE = "guides/guide_detail.html"
# Entries of guides nobody reads leave the cache; one render a day per guide costs nothing.
TIMEOUT_SECONDS = 24 * 60 * 60


class Fragments(TypedDict):
    meta: SafeString
    article: SafeString


def touch(guides: QuerySet[Guide] | Iterable[int]) -> None:
    """Mark guides as changed (`guides` is a queryset or primary keys), so their cached content is not
    served again."""
    queryset = guides if isinstance(guides, QuerySet) else Guide.objects.filter(pk__in=list(guides))
    queryset.update(updated_at=timezone.now())


def key(guide: Guide) -> str:
    return f"guides:page:{guide.pk}"


def page_key(guide: Guide, request: HttpRequest) -> str:
    return f"guides:skeleton:{guide.pk}:{skeleton.variant(request)}"


def stamp(guide: Guide, page_url: str) -> str:
    digest = hashlib.blake2b(skeleton.release().encode(), digest_size=16)
    for value in [page_url, *(field.value_to_string(guide) for field in Guide._meta.concrete_fields)]:
        encoded = value.encode()
        digest.update(len(encoded).to_bytes(8, "big") + encoded)  # lengths keep the values apart
    return digest.hexdigest()


def guide_fragments(guide: Guide, page_url: str, render: Callable[[], Fragments]) -> Fragments:
    """The guide's content from the cache, or from `render()` (then cached) when the cache has none
    for this state of the guide."""
    if not guide.is_published:
        return render()
    current = stamp(guide, page_url)
    entry = shared_cache.get(key(guide))
    if entry is not None and entry.get("stamp") == current:
        # Rendered by the template, with autoescaping, from this very row: as safe as when it was made.
        return Fragments(meta=mark_safe(entry["meta"]), article=mark_safe(entry["article"]))
    fragments = render()
    shared_cache.set(key(guide), {"stamp": current, **fragments}, TIMEOUT_SECONDS)
    return fragments


def guide_page(
    request: HttpRequest, guide: Guide, page_url: str, render: Callable[[], skeleton.Skeleton]
) -> skeleton.Skeleton:
    """The whole page of a published guide (see bookclub/skeleton.py) from the cache, or from `render()`
    (then cached) when the cache has none for this state of the guide and this kind of viewer."""
    current = stamp(guide, page_url)
    entry = shared_cache.get(page_key(guide, request))
    if entry is not None and entry.get("stamp") == current:
        return skeleton.Skeleton(entry["pieces"])
    page = render()
    shared_cache.set(page_key(guide, request), {"stamp": current, "pieces": page.pieces}, TIMEOUT_SECONDS)
    return page
