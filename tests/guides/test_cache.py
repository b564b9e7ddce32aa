"""A published guide's page content is cached as two {% cache %} fragments (templates/guides/
guide_detail.html), keyed by the guide's `updated_at` under a KEY_PREFIX that carries the release.

Each edit below goes through the way editors make it (the admin's forms and actions, an import, a
revert), then the next request must show it. A Redis that is down or hangs must not break the page.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from reversion.models import Version

import bookclub.settings as production
from guides.admin import refresh_guide
from guides.models import Guide, Question, Quote, ReviewStatus, Theme, Trivia
from tests.guides.guide_builders import add_illustration, add_items, make_full_guide, make_guide
from tests.guides.test_admin import add_rows, change_form, form_data, row_index, set_field

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

CSRF_VALUES = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
FRAGMENTS = ("guide-meta", "guide-article")


@pytest.fixture
def visitor() -> Client:
    """A member of the public, with a browser of their own (staff_client is pytest-django's `client`)."""
    return Client()


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:guides_{name}", args=args)


def page_of(client, guide: Guide) -> str:
    response = client.get(guide.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def fragment_keys(guide: Guide, host: str = "testserver") -> list[str]:
    """The keys the page's fragments have now, as the template makes them."""
    row = Guide.objects.get(pk=guide.pk)
    page_url = f"http://{host}{row.get_absolute_url()}"
    return [make_template_fragment_key(name, [row.pk, row.updated_at, page_url]) for name in FRAGMENTS]


def cached_view(client, guide: Guide) -> str:
    """Visit the page twice, so that what follows is checked against a page the cache holds."""
    page_of(client, guide)
    assert all(cache.get(key) is not None for key in fragment_keys(guide))
    return page_of(client, guide)


def without_tokens(page: str) -> str:
    return CSRF_VALUES.sub(r"\1TOKEN", page)


def csrf_tokens(page: str) -> set[str]:
    return {match.group(0).rpartition('"')[2] for match in CSRF_VALUES.finditer(page)}


# Served from the cache


@pytest.mark.parametrize("per_section", [1, 34])  # 6 and 204 items
def test_a_second_visit_reads_nothing_but_the_guide(client, django_assert_num_queries, per_section):
    guide = make_full_guide()
    add_items(guide, per_section)

    with django_assert_num_queries(3):  # the guide, every list in one UNION, its themes
        first = client.get(guide.get_absolute_url())
    # Only the guide itself, which also decides whether this visitor may see it.
    with django_assert_num_queries(1):
        second = client.get(guide.get_absolute_url())

    assert without_tokens(second.content.decode()) == without_tokens(first.content.decode())
    assert f"Question {per_section}?" in second.content.decode()
    assert '<h2 id="trivia">Did you know?</h2>' in second.content.decode()


@pytest.mark.parametrize("per_section", [1, 34])
def test_a_signed_in_reader_costs_only_their_session_and_user_more(
    client, plain_user, django_assert_num_queries, per_section
):
    guide = make_full_guide()
    add_items(guide, per_section)
    client.force_login(plain_user)

    with django_assert_num_queries(5):
        client.get(guide.get_absolute_url())
    with django_assert_num_queries(3):
        page = page_of(client, guide)
    assert f"Question {per_section}?" in page


def test_the_cached_page_keeps_its_opengraph_and_schema_org_data(visitor):
    guide = add_illustration(make_full_guide(), alt="A field in Norfolk")

    page = cached_view(visitor, guide)

    assert '<meta property="og:title" content="Never Let Me Go">' in page
    assert '<meta property="og:image" content="http://testserver/media/illustrations/' in page
    assert '<meta property="og:image:alt" content="A field in Norfolk">' in page
    assert '<meta property="book:tag" content="Memory">' in page
    assert '"@type": "Book"' in page and '"keywords": "Memory, Mortality"' in page


def test_the_cache_holds_nothing_of_the_viewer(client, plain_user):
    guide = make_full_guide()
    client.force_login(plain_user)
    page = cached_view(client, guide)
    (token,) = csrf_tokens(page)

    entries = "".join(cache.get(key) for key in fragment_keys(guide))
    assert "<h1" in entries
    assert plain_user.username not in entries
    assert token not in entries and "csrf" not in entries.lower()


def test_each_reader_gets_their_own_name_and_a_token_that_works_for_them(guide_readers):
    guide = make_full_guide()
    kathy, ruth = guide_readers
    kathys_page = page_of(kathy, guide)  # renders the fragments and caches them
    ruths_page = page_of(ruth, guide)

    assert "kathy" in kathys_page and "kathy" not in ruths_page
    assert "ruth" in ruths_page
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = ruth.cookies
    (token,) = csrf_tokens(ruths_page)
    assert checked.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in checked.session


@pytest.fixture
def guide_readers() -> tuple[Client, Client]:
    clients = []
    for name in ("kathy", "ruth"):
        client = Client()
        client.force_login(User.objects.create_user(name, f"{name}@example.com", "pw"))
        clients.append(client)
    return clients[0], clients[1]


def test_drafts_are_never_cached(staff_client, django_assert_num_queries):
    guide = make_full_guide(published=False)
    assert "Draft preview" in page_of(staff_client, guide)

    Quote.objects.filter(guide=guide).update(text="Edited without a touch.")  # sends no signal

    with django_assert_num_queries(5):  # session, user, guide, lists, themes: the same every time
        page = page_of(staff_client, guide)
    assert "Draft preview" in page and "Edited without a touch." in page
    assert all(cache.get(key) is None for key in fragment_keys(guide))


def test_a_guide_turned_back_into_a_draft_is_never_served_to_the_public_again(visitor, staff_client):
    guide = make_full_guide()
    cached_view(visitor, guide)

    data = change_form(staff_client, guide)
    set_field(data, "status", Guide.Status.DRAFT)
    assert staff_client.post(admin_url("guide_change", guide.pk), data).status_code == 302

    assert visitor.get(guide.get_absolute_url()).status_code == 404


def test_the_staff_banner_of_a_draft_never_reaches_the_public_once_it_is_published(client, staff_user):
    guide = make_full_guide(published=False)
    client.force_login(staff_user)
    assert "Draft preview" in page_of(client, guide)
    client.logout()

    guide.status = Guide.Status.PUBLISHED
    guide.save()

    assert "Draft preview" not in cached_view(client, guide)


def test_two_guides_never_share_an_entry(client):
    first = make_guide("Never Let Me Go", slug="never-let-me-go", summary="Hailsham.")
    second = make_guide("Klara and the Sun", slug="klara-and-the-sun", summary="An artificial friend.")

    assert "Hailsham." in cached_view(client, first)
    page = cached_view(client, second)

    assert "An artificial friend." in page
    assert "Hailsham." not in page
    assert "Hailsham." in page_of(client, first)


def test_the_page_names_the_address_it_was_asked_for_not_the_one_it_was_cached_for(client):
    guide = make_full_guide()
    cached_view(client, guide)

    page = client.get(guide.get_absolute_url(), HTTP_HOST="localhost").content.decode()

    assert f'<link rel="canonical" href="http://localhost{guide.get_absolute_url()}">' in page
    assert "http://testserver" not in page


def test_a_new_release_renders_the_page_afresh(client, settings):
    guide = make_full_guide()
    cached_view(client, guide)
    # A change that moves no updated_at stands for what new code would render differently.
    guide.questions.filter(position=1).update(text="Asked as the new code asks it?")
    assert "Asked as the new code asks it?" not in page_of(client, guide)  # the same release: cached

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "bookclub:next-release"}}

    assert "Asked as the new code asks it?" in page_of(client, guide)


# Every kind of edit shows on the next request


def test_an_edit_on_the_guides_admin_page_shows_at_once(visitor, staff_client):
    guide = make_full_guide()
    cached_view(visitor, guide)

    data = change_form(staff_client, guide)
    set_field(data, "summary", "A **new** summary from the editor.")
    question = guide.questions.get(position=1)
    set_field(data, f"questions-{row_index(data, 'questions', question)}-text", "A reworded question?")
    response = staff_client.post(admin_url("guide_change", guide.pk), data)
    assert response.status_code == 302

    page = page_of(visitor, guide)
    assert "A <strong>new</strong> summary from the editor." in page
    assert '<meta name="description" content="A new summary from the editor.">' in page
    assert "A reworded question?" in page
    assert "What did you think of the ending?" not in page


def test_a_new_illustration_shows_at_once(visitor):
    guide = make_full_guide()
    assert "og:image" not in cached_view(visitor, guide)

    add_illustration(guide, alt="A field in Norfolk")

    page = page_of(visitor, guide)
    assert '<img src="/media/illustrations/' in page
    assert '<meta property="og:image:alt" content="A field in Norfolk">' in page


def test_reordering_items_in_the_admin_shows_the_renumbered_lists(visitor, staff_client):
    guide = make_full_guide()
    assert cached_view(visitor, guide).index("What did you think") < page_of(visitor, guide).index(
        "Kathy&#x27;s voice"
    )

    data = change_form(staff_client, guide)
    add_rows(data, "questions", [{"text": "A first question?", "position": "0"}])
    assert staff_client.post(admin_url("guide_change", guide.pk), data).status_code == 302

    page = page_of(visitor, guide)
    assert (
        page.index("A first question?") < page.index("What did you think") < page.index("Kathy&#x27;s voice")
    )


def test_reviewing_claims_in_the_claim_list_shows_at_once(visitor, staff_client):
    guide = make_guide()
    Trivia.objects.create(guide=guide, position=1, text="It was written in 2005.")
    assert "badge--ok" not in cached_view(visitor, guide)

    data = form_data(staff_client.get(admin_url("trivia_changelist")), "changelist-form")
    set_field(data, "form-0-review_status", ReviewStatus.VERIFIED)
    set_field(data, "form-0-source_url", "https://example.org/source")
    set_field(data, "_save", "Save")
    assert staff_client.post(admin_url("trivia_changelist"), data).status_code == 302

    page = page_of(visitor, guide)
    assert '<span class="badge badge--ok">Verified</span>' in page
    assert 'href="https://example.org/source"' in page


def test_mark_as_verified_shows_at_once(visitor, staff_client):
    guide = make_guide()
    trivia = Trivia.objects.create(guide=guide, position=1, text="It was written in 2005.")
    assert "badge--warn" in cached_view(visitor, guide)

    response = staff_client.post(
        admin_url("trivia_changelist"), {"action": "mark_verified", "_selected_action": [trivia.pk]}
    )
    assert response.status_code == 302

    page = page_of(visitor, guide)
    assert '<span class="badge badge--ok">Verified</span>' in page
    assert "badge--warn" not in page


def test_moving_a_claim_to_another_guide_takes_it_off_the_first_guides_page(visitor, staff_client):
    first = make_guide("Never Let Me Go", slug="never-let-me-go")
    second = make_guide("Klara and the Sun", slug="klara-and-the-sun")
    trivia = Trivia.objects.create(guide=first, position=1, text="It moved.")
    assert "It moved." in cached_view(visitor, first)
    assert "It moved." not in cached_view(visitor, second)

    data = form_data(staff_client.get(admin_url("trivia_change", trivia.pk)), "trivia_form")
    set_field(data, "guide", str(second.pk))
    assert staff_client.post(admin_url("trivia_change", trivia.pk), data).status_code == 302

    assert "It moved." not in page_of(visitor, first)
    assert "It moved." in page_of(visitor, second)


def test_a_re_import_shows_at_once(visitor, staff_client, demo_guide_bytes):
    def import_file(content: bytes):
        upload = SimpleUploadedFile("never-let-me-go.txt", content, content_type="text/plain")
        assert staff_client.post(admin_url("guide_import"), {"guide_file": upload}).status_code == 302

    import_file(demo_guide_bytes)
    guide = Guide.objects.get()
    assert "How did you feel about the ending of the novel?" in cached_view(visitor, guide)

    import_file(
        demo_guide_bytes.replace(b"How did you feel about the ending", b"What did the ending leave you with")
    )

    page = page_of(visitor, guide)
    assert "What did the ending leave you with of the novel?" in page
    assert "How did you feel about the ending" not in page


def test_a_revert_shows_at_once(visitor, staff_client):
    data = form_data(staff_client.get(admin_url("guide_add")))
    set_field(data, "title", "Never Let Me Go")
    set_field(data, "author", "Kazuo Ishiguro")
    set_field(data, "slug", "never-let-me-go")
    set_field(data, "status", Guide.Status.PUBLISHED)
    add_rows(data, "questions", [{"text": "The first question?"}])
    assert staff_client.post(admin_url("guide_add"), data).status_code == 302
    guide = Guide.objects.get()
    data = change_form(staff_client, guide)
    set_field(data, f"questions-{row_index(data, 'questions', guide.questions.get())}-text", "Reworded?")
    assert staff_client.post(admin_url("guide_change", guide.pk), data).status_code == 302
    assert "Reworded?" in cached_view(visitor, guide)

    first_version = Version.objects.get_for_object(guide).last()
    revision_url = admin_url("guide_revision", guide.pk, first_version.pk)
    assert staff_client.post(revision_url, form_data(staff_client.get(revision_url))).status_code == 302

    page = page_of(visitor, guide)
    assert "The first question?" in page
    assert "Reworded?" not in page


def test_a_revert_through_reversion_itself_shows_at_once(visitor, staff_client):
    data = form_data(staff_client.get(admin_url("guide_add")))
    set_field(data, "title", "Never Let Me Go")
    set_field(data, "author", "Kazuo Ishiguro")
    set_field(data, "slug", "never-let-me-go")
    set_field(data, "status", Guide.Status.PUBLISHED)
    add_rows(data, "questions", [{"text": "The first question?"}])
    assert staff_client.post(admin_url("guide_add"), data).status_code == 302
    guide = Guide.objects.get()
    Question.objects.create(guide=guide, position=2, text="Added later?")
    guide.questions.filter(text="The first question?").update(text="Reworded?")
    guide.title = "Never Let Me Go (revised)"
    guide.save()
    assert "Added later?" in cached_view(visitor, guide)

    Version.objects.get_for_object(guide).get().revision.revert(delete=True)

    page = page_of(visitor, guide)
    assert "The first question?" in page
    assert "Added later?" not in page
    assert "(revised)" not in page


def test_adding_and_removing_a_theme_shows_at_once(visitor, staff_client):
    guide = make_full_guide()
    hope = Theme.objects.create(name="Hope")
    assert ">Hope</a>" not in cached_view(visitor, guide)

    data = change_form(staff_client, guide)
    set_field(data, "themes", [*data.get("themes", []), str(hope.pk)])
    assert staff_client.post(admin_url("guide_change", guide.pk), data).status_code == 302
    assert ">Hope</a>" in cached_view(visitor, guide)

    hope.guides.remove(guide)
    assert ">Hope</a>" not in page_of(visitor, guide)


def test_renaming_or_deleting_a_theme_shows_on_its_guides(visitor, staff_client):
    guide = make_full_guide()  # themes Memory and Mortality
    memory = Theme.objects.get(name="Memory")
    assert ">Memory</a>" in cached_view(visitor, guide)

    data = form_data(staff_client.get(reverse("admin:guides_theme_change", args=[memory.pk])), "theme_form")
    set_field(data, "name", "Remembering")
    assert staff_client.post(reverse("admin:guides_theme_change", args=[memory.pk]), data).status_code == 302
    assert ">Remembering</a>" in cached_view(visitor, guide)

    Theme.objects.get(name="Mortality").delete()
    page = page_of(visitor, guide)
    assert ">Mortality</a>" not in page
    assert '"keywords": "Remembering"' in page


def test_a_bulk_renumber_shows_at_once(client):
    guide = make_guide()
    early = Question.objects.create(guide=guide, position=5, text="Asked first?")
    Question.objects.create(guide=guide, position=7, text="Asked second?")
    page = cached_view(client, guide)
    assert page.index("Asked first?") < page.index("Asked second?")

    early.position = 9
    Question.objects.bulk_update([early], ["position"])  # sends no signal
    refresh_guide(guide)  # renumbers with bulk_update, as after every admin change of items

    assert list(guide.questions.values_list("position", "text")) == [
        (1, "Asked second?"),
        (2, "Asked first?"),
    ]
    page = page_of(client, guide)
    assert page.index("Asked second?") < page.index("Asked first?")


def test_a_recounted_reading_time_shows_at_once(client):
    guide = make_full_guide()
    assert "1 min read" in cached_view(client, guide)
    Quote.objects.bulk_create([Quote(guide=guide, position=3, text="word " * 600)])  # sends no signal

    guide.update_reading_time()

    assert guide.reading_minutes > 1
    assert f"{guide.reading_minutes} min read" in page_of(client, guide)


def test_deleting_an_item_shows_at_once(client):
    guide = make_full_guide()
    assert "We all complete." in cached_view(client, guide)

    guide.quotes.get(text="We all complete.").delete()

    assert "We all complete." not in page_of(client, guide)


def test_deleting_a_guide_does_not_touch_it_once_per_item(django_assert_max_num_queries):
    guide = make_full_guide()
    add_items(guide, 20)

    # Selecting and deleting each kind of row, not an UPDATE of the guide for each of its 128 items.
    with django_assert_max_num_queries(30):
        guide.delete()


# When Redis is down or hangs

# Short enough for a quick test; a hung server lets go after HANG_SECONDS, which a client without
# socket timeouts would wait for on every call.
SOCKET_TIMEOUT = 0.1
HANG_SECONDS = 6


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A server that accepts connections and never answers, as a Redis stuck on a disk or in a swap."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    done = threading.Event()

    def accept() -> None:
        held = []
        deadline = time.monotonic() + HANG_SECONDS
        while not done.is_set() and time.monotonic() < deadline:
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
        for connection in held:
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    done.set()
    thread.join()
    server.close()


@pytest.fixture
def dead_redis() -> str:
    """An address where nothing listens: a port that was free a moment ago."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def use_redis(settings, url: str) -> None:
    settings.CACHES = {"default": {**production.redis_cache(url, SOCKET_TIMEOUT), "KEY_PREFIX": "test"}}


@pytest.mark.parametrize("redis", ["hung_redis", "dead_redis"])
def test_a_redis_that_is_down_or_hangs_neither_breaks_nor_holds_up_the_page(
    request, redis, settings, visitor, caplog
):
    guide = make_full_guide()
    use_redis(settings, request.getfixturevalue(redis))

    started = time.monotonic()
    with caplog.at_level("ERROR", logger="django_redis.cache"):
        page = page_of(visitor, guide)

    assert time.monotonic() - started < 2  # four cache calls (two fragments read and written)
    assert "What did you think of the ending?" in page
    assert '"@type": "Book"' in page
    assert "Redis" in caplog.text  # the ConnectionInterrupted each call was logged with


@pytest.fixture
def real_redis(settings) -> Iterator[None]:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    # A prefix of its own: other people's tests and benchmarks share this Redis.
    settings.CACHES = {
        "default": {
            **production.redis_cache("redis://127.0.0.1:6379/11", production.REDIS_SOCKET_TIMEOUT),
            "KEY_PREFIX": f"bookclub-test-{uuid.uuid4().hex}",
        }
    }
    yield
    cache.delete_pattern("*")


@pytest.mark.usefixtures("real_redis")
def test_on_redis_the_page_is_cached_and_an_edit_shows_at_once(visitor, django_assert_num_queries):
    guide = make_full_guide()
    page_of(visitor, guide)

    with django_assert_num_queries(1):
        cached = page_of(visitor, guide)
    guide.questions.filter(position=1).get().delete()

    assert "What did you think of the ending?" in cached
    assert "What did you think of the ending?" not in page_of(visitor, guide)
