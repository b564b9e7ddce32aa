"""The public guide pages: home, the searchable list and the guide page."""

import json
import re

import pytest
from django.urls import reverse

from guides.models import Adaptation, Guide, OtherBook, Question, Quote, ReviewStatus, TalkingPoint, Trivia
from tests.guides.guide_builders import add_illustration, add_items, make_full_guide, make_guide

pytestmark = pytest.mark.django_db

LIST_URL = "/guides/"
XSS_SCRIPT = "<script>alert('xss')</script>"
XSS_LINK = "[click me](javascript:alert(1))"
XSS_IMG = '<img src="x" onerror="alert(1)">'


def html_of(response) -> str:
    return response.content.decode()


def json_ld_of(page: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert match, "no JSON-LD block on the page"
    return json.loads(match.group(1))


def meta_content(page: str, prop: str) -> str:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', page)
    assert match, f"no {prop} meta tag"
    return match.group(1)


# ---------- Home ----------


def test_home_shows_published_guides_as_cards(client):
    guide = make_guide(themes=("Memory",))
    Guide.objects.filter(pk=guide.pk).update(reading_minutes=3)

    response = client.get("/")

    assert response.status_code == 200
    page = html_of(response)
    assert '<a href="/guides/never-let-me-go/">Never Let Me Go</a>' in page
    assert "by Kazuo Ishiguro" in page
    assert "3 min read" in page
    assert "Run your book club from a good guide" in page


def test_home_shows_the_illustration_thumbnail_with_its_alt_text(client):
    add_illustration(make_guide(), alt="A reader in a cosy armchair")

    page = html_of(client.get("/"))

    assert re.search(
        r'<img class="card__image" src="/media/illustrations/[^"]+\.png" alt="A reader in a cosy armchair"',
        page,
    )


def test_home_hides_drafts_from_everyone(client, staff_client):
    make_guide("Published Book")
    make_guide("Secret Draft", published=False)

    assert "Secret Draft" not in html_of(client.get("/"))
    assert "Published Book" in html_of(client.get("/"))
    assert "Secret Draft" not in html_of(staff_client.get("/"))


def test_home_says_so_when_there_are_no_guides(client):
    assert "No guides have been published yet." in html_of(client.get("/"))


@pytest.mark.parametrize("count", [3, 30])
def test_home_runs_one_query_however_many_guides(client, django_assert_num_queries, count):
    for n in range(count):
        add_illustration(make_guide(f"Book {n:02}", themes=("Memory",)), alt=f"Cover {n}")

    with django_assert_num_queries(1):
        response = client.get("/")

    assert html_of(response).count('class="card"') == min(count, 12)


def test_home_links_to_every_guide_when_there_are_more_than_it_shows(client):
    for n in range(13):
        make_guide(f"Book {n:02}")

    assert "Browse every guide" in html_of(client.get("/"))


def test_home_refuses_post(client):
    assert client.post("/").status_code == 405


# ---------- Guide list ----------


def test_list_shows_published_guides_with_a_count(client):
    make_guide("Never Let Me Go", "Kazuo Ishiguro")
    make_guide("Middlemarch", "George Eliot")
    make_guide("Beloved", "Toni Morrison")

    response = client.get(LIST_URL)

    page = html_of(response)
    assert response.status_code == 200
    assert "<html" in page
    assert page.count('class="card"') == 3
    assert re.search(r'<p class="result-count" id="guide-count" role="status">3 guides</p>', page)


def test_list_has_a_search_form_that_works_without_javascript(client):
    page = html_of(client.get(LIST_URL))

    assert '<form class="search" action="/guides/" method="get" role="search">' in page
    assert '<label for="guide-search">Search guides</label>' in page
    assert 'type="search" id="guide-search" name="q"' in page
    assert '<button class="button" type="submit">Search</button>' in page


def test_search_input_updates_results_live_with_htmx(client):
    page = html_of(client.get(LIST_URL))

    assert 'hx-get="/guides/"' in page
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert 'hx-target="#guide-results"' in page
    assert 'hx-push-url="true"' in page
    assert '<div id="guide-results">' in page


@pytest.mark.parametrize(
    "query",
    ["middle", "ELIOT", "victorian", "george march"],
    ids=["title", "author", "theme", "every-word-somewhere"],
)
def test_search_matches_title_author_and_theme(client, query):
    make_guide("Middlemarch", "George Eliot", themes=("Victorian society",))
    make_guide("Beloved", "Toni Morrison", themes=("Memory",))

    page = html_of(client.get(LIST_URL, {"q": query}))

    assert "Middlemarch" in page
    assert "Beloved" not in page
    assert "1 guide<" in page


def test_search_without_matches_says_so(client):
    make_guide("Beloved", "Toni Morrison")

    page = html_of(client.get(LIST_URL, {"q": "xyz"}))

    assert "No guides match “xyz”." in page
    assert 'class="card"' not in page
    # The query goes back into the box, escaped like all user text.
    assert 'name="q" value="xyz"' in page


def test_search_text_is_escaped(client):
    page = html_of(client.get(LIST_URL, {"q": '"><script>alert(1)</script>'}))

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_htmx_search_returns_only_the_results_fragment(client):
    make_guide("Middlemarch", "George Eliot")
    make_guide("Beloved", "Toni Morrison")

    response = client.get(LIST_URL, {"q": "eliot"}, headers={"HX-Request": "true"})

    page = html_of(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert "<form" not in page
    assert "Middlemarch" in page
    assert "Beloved" not in page
    # The count region lives outside the swapped fragment; it is updated out of band.
    assert '<p id="guide-count" hx-swap-oob="innerHTML">1 guide</p>' in page
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(client):
    make_guide("Middlemarch", "George Eliot")

    response = client.get(
        LIST_URL, {"q": "eliot"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    page = html_of(response)
    assert "<html" in page
    assert "hx-swap-oob" not in page


def test_theme_links_filter_the_list(client):
    make_guide("Middlemarch", "George Eliot", themes=("Marriage",))
    make_guide("Beloved", "Toni Morrison", themes=("Memory",))

    full = html_of(client.get(LIST_URL))
    assert '<a class="tag" href="/guides/?theme=marriage">Marriage</a>' in full

    page = html_of(client.get(LIST_URL, {"theme": "marriage"}))
    assert "Middlemarch" in page
    assert "Beloved" not in page
    assert '<a class="tag" href="/guides/?theme=marriage" aria-current="page">Marriage</a>' in page


def test_search_within_a_theme_keeps_the_theme(client):
    make_guide("Middlemarch", "George Eliot", themes=("Marriage",))
    make_guide("Emma", "Jane Austen", themes=("Marriage",))
    make_guide("Mansfield Park", "Jane Austen", themes=("Class",))

    page = html_of(client.get(LIST_URL, {"theme": "marriage", "q": "austen"}))

    assert "Emma" in page
    assert "Middlemarch" not in page
    assert "Mansfield Park" not in page
    assert '<input type="hidden" name="theme" value="marriage">' in page


def test_unknown_theme_shows_an_empty_list_not_an_error(client):
    make_guide("Middlemarch", "George Eliot", themes=("Marriage",))

    response = client.get(LIST_URL, {"theme": "no-such-theme"})

    assert response.status_code == 200
    assert "No guides about this theme yet." in html_of(response)


def test_list_hides_drafts_from_anonymous_and_plain_users(client, plain_user):
    make_guide("Published Book")
    make_guide("Secret Draft", published=False, themes=("Hidden theme",))

    anonymous = html_of(client.get(LIST_URL))
    client.force_login(plain_user)
    member = html_of(client.get(LIST_URL))

    for page in (anonymous, member):
        assert "Published Book" in page
        assert "Secret Draft" not in page
        # A theme only a draft has would give the draft away.
        assert "Hidden theme" not in page


def test_staff_see_drafts_in_the_list_marked_draft(staff_client):
    make_guide("Published Book")
    make_guide("Secret Draft", published=False)

    page = html_of(staff_client.get(LIST_URL))

    assert "Secret Draft" in page
    assert page.count('<span class="badge badge--draft">Draft</span>') == 1


@pytest.mark.parametrize("count", [3, 30])
def test_list_runs_a_constant_number_of_queries(client, django_assert_num_queries, count):
    for n in range(count):
        make_guide(f"Book {n:02}", themes=("Memory", f"Theme {n}"))

    # Guides, their themes, the theme links.
    with django_assert_num_queries(3):
        response = client.get(LIST_URL)
    assert html_of(response).count('class="card"') == count

    # Search adds nothing; a theme filter adds the lookup of the theme's name.
    with django_assert_num_queries(4):
        client.get(LIST_URL, {"q": "book", "theme": "memory"})
    with django_assert_num_queries(2):
        client.get(LIST_URL, {"q": "book"}, headers={"HX-Request": "true"})


def test_list_refuses_post(client):
    assert client.post(LIST_URL).status_code == 405


# ---------- Guide page ----------


def test_guide_page_shows_every_section_in_the_seed_order(client):
    guide = make_full_guide()

    response = client.get(guide.get_absolute_url())

    assert response.status_code == 200
    page = html_of(response)
    headings = [
        ">Never Let Me Go</h1>",
        ">Summary</h2>",
        ">What is it about?</h2>",
        ">Discussion questions</h2>",
        ">What to say about it</h2>",
        ">Top quotes</h2>",
        ">Adaptations</h2>",
        ">Other books by Kazuo Ishiguro</h2>",
        ">Did you know?</h2>",
    ]
    positions = [page.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_guide_page_shows_the_items_of_every_section(client):
    guide = make_full_guide()

    page = html_of(client.get(guide.get_absolute_url()))

    assert "by Kazuo Ishiguro" in page
    assert f"{guide.reading_minutes} min read" in page
    assert "Three friends grow up at Hailsham and learn what they are for." in page
    assert re.search(
        r'<ol class="numbered">\s*<li>What did you think of the ending\?</li>'
        r"<li>Did Kathy&#x27;s voice convince you\?</li>",
        page,
    )
    assert "<li>The narration is deceptively calm.</li>" in page
    assert "<blockquote><p>We all complete.</p></blockquote>" in page
    assert "<figcaption>Chapter 22, p. 277</figcaption>" in page
    assert "<blockquote><p>Memories fade surprisingly quickly.</p></blockquote>" in page
    assert '<span class="fact__kind">Film</span>' in page
    assert "<cite>Never Let Me Go</cite>" in page
    assert "(2010)" in page
    assert "<cite>The Remains of the Day</cite>" in page
    assert "(1989)" in page


def test_guide_page_shows_reading_time_as_the_seed_does(client):
    guide = make_guide()
    Guide.objects.filter(pk=guide.pk).update(reading_minutes=3)

    assert '<p class="guide__meta">3 min read</p>' in html_of(client.get(guide.get_absolute_url()))


def test_guide_page_links_themes_to_the_filtered_list(client):
    guide = make_full_guide()

    page = html_of(client.get(guide.get_absolute_url()))

    assert '<a class="tag" href="/guides/?theme=memory">Memory</a>' in page
    assert '<a class="tag" href="/guides/?theme=mortality">Mortality</a>' in page


def test_guide_page_shows_the_illustration_with_alt_and_caption(client):
    guide = add_illustration(
        make_full_guide(),
        alt="A reader enjoying the novel in a cosy interior",
        caption="A reader enjoying Never Let Me Go",
    )

    page = html_of(client.get(guide.get_absolute_url()))

    assert re.search(
        r'<figure class="guide__figure">\s*<img src="/media/illustrations/[^"]+\.png" '
        r'alt="A reader enjoying the novel in a cosy interior">\s*'
        r"<figcaption>A reader enjoying Never Let Me Go</figcaption>",
        page,
    )


def test_guide_page_omits_empty_sections(client):
    guide = make_guide(summary="Just a summary.")
    Question.objects.create(guide=guide, text="Only a question?")

    page = html_of(client.get(guide.get_absolute_url()))

    assert ">Summary</h2>" in page
    assert ">Discussion questions</h2>" in page
    for absent in (
        "What is it about?",
        "What to say about it",
        "Top quotes",
        "Adaptations",
        "Other books by",
        "Did you know?",
        "<figure",
        "Unverified",
    ):
        assert absent not in page


def test_factual_items_show_whether_they_are_verified(client):
    guide = make_full_guide()

    page = html_of(client.get(guide.get_absolute_url()))

    # The film is verified with a source; the other book and the trivia are not.
    assert page.count('<span class="badge badge--ok">Verified</span>') == 1
    assert page.count('<span class="badge badge--warn">Unverified</span>') == 2
    assert '<a class="claim__source" href="https://example.org/film" rel="nofollow noopener">Source' in page
    assert "have not yet been checked against a source" in page


def test_the_unverified_note_is_left_out_when_every_fact_is_verified(client):
    guide = make_guide()
    Trivia.objects.create(guide=guide, text="A checked fact.", review_status=ReviewStatus.VERIFIED)

    page = html_of(client.get(guide.get_absolute_url()))

    assert "Verified</span>" in page
    assert "have not yet been checked" not in page


def test_markdown_fields_are_rendered(client):
    guide = make_full_guide()

    page = html_of(client.get(guide.get_absolute_url()))

    assert "<p>A <strong>quiet</strong> novel about <em>memory</em> and loss.</p>" in page
    assert "Directed by <em>Mark Romanek</em>." in page
    assert "It was shortlisted for the <strong>Booker Prize</strong>." in page


@pytest.mark.parametrize("payload", [XSS_SCRIPT, XSS_LINK, XSS_IMG], ids=["script", "js-link", "onerror"])
def test_markdown_fields_render_hostile_html_inert(client, payload):
    guide = make_guide(summary=f"Summary {payload}", about=f"About {payload}")
    Trivia.objects.create(guide=guide, text=f"Trivia {payload}")
    Adaptation.objects.create(guide=guide, title="Film", notes=f"Notes {payload}")

    page = html_of(client.get(guide.get_absolute_url()))

    body = page.split("</head>", 1)[1]
    assert "alert" not in body
    assert "javascript:" not in page
    assert "onerror" not in page
    assert "<img" not in body
    for text in ("Summary", "About", "Trivia", "Notes"):
        assert f"{text} " in body


def test_plain_text_fields_are_escaped(client):
    guide = make_guide(title="<i>Bold</i> & <b>Brave</b>")
    Question.objects.create(guide=guide, text="Is <script>alert(1)</script> a question?")
    TalkingPoint.objects.create(guide=guide, text="<b>loud</b>")
    Quote.objects.create(guide=guide, text="<em>quoted</em>")
    OtherBook.objects.create(guide=guide, title="<u>Underlined</u>")

    page = html_of(client.get(guide.get_absolute_url()))

    assert "<script>alert(1)</script>" not in page
    assert "<b>loud</b>" not in page
    assert "&lt;b&gt;loud&lt;/b&gt;" in page
    assert "&lt;em&gt;quoted&lt;/em&gt;" in page
    assert "&lt;u&gt;Underlined&lt;/u&gt;" in page
    assert "&lt;i&gt;Bold&lt;/i&gt; &amp; &lt;b&gt;Brave&lt;/b&gt;</h1>" in page


def test_draft_guides_are_not_found_for_anonymous_and_plain_users(client, plain_user):
    guide = make_guide(published=False)

    assert client.get(guide.get_absolute_url()).status_code == 404
    client.force_login(plain_user)
    assert client.get(guide.get_absolute_url()).status_code == 404


def test_staff_preview_drafts_with_a_banner(staff_client):
    guide = make_full_guide()
    Guide.objects.filter(pk=guide.pk).update(status=Guide.Status.DRAFT)

    response = staff_client.get(guide.get_absolute_url())

    assert response.status_code == 200
    assert "<strong>Draft preview.</strong>" in html_of(response)


def test_published_guides_show_no_draft_banner(staff_client):
    guide = make_guide()

    assert "Draft preview" not in html_of(staff_client.get(guide.get_absolute_url()))


def test_unknown_guide_is_not_found(client):
    assert client.get("/guides/no-such-book/").status_code == 404


def test_guide_page_refuses_post(client):
    guide = make_guide()

    assert client.post(guide.get_absolute_url()).status_code == 405


def test_guide_page_has_opengraph_tags(client):
    guide = add_illustration(make_full_guide(), alt="A reader")

    page = html_of(client.get(guide.get_absolute_url()))

    assert meta_content(page, "og:type") == "book"
    assert meta_content(page, "og:title") == "Never Let Me Go"
    assert meta_content(page, "og:description") == "A quiet novel about memory and loss."
    assert meta_content(page, "og:url") == "http://testserver/guides/never-let-me-go/"
    assert re.fullmatch(r"http://testserver/media/illustrations/[^\"]+\.png", meta_content(page, "og:image"))
    assert meta_content(page, "book:author") == "Kazuo Ishiguro"


def test_og_description_is_plain_text_and_truncated(client):
    summary = "A *very* long summary with <b>markup</b> & more. " + "Word " * 100
    guide = make_guide(summary=summary)

    description = meta_content(html_of(client.get(guide.get_absolute_url())), "og:description")

    assert description.startswith("A very long summary with markup &amp; more. Word")
    assert description.endswith("Word…")
    assert len(description) <= 200 + len("amp;")


def test_og_image_is_left_out_without_an_illustration(client):
    guide = make_guide()

    assert "og:image" not in html_of(client.get(guide.get_absolute_url()))


def test_guide_page_describes_the_book_as_json_ld(client):
    guide = add_illustration(make_full_guide(), alt="A reader")

    data = json_ld_of(html_of(client.get(guide.get_absolute_url())))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Book"
    assert data["name"] == "Never Let Me Go"
    assert data["author"] == {"@type": "Person", "name": "Kazuo Ishiguro"}
    assert data["description"] == "A quiet novel about memory and loss."
    assert data["url"] == "http://testserver/guides/never-let-me-go/"
    assert data["image"].startswith("http://testserver/media/illustrations/")
    assert data["keywords"] == "Memory, Mortality"
    assert data["about"] == [{"@type": "Thing", "name": "Memory"}, {"@type": "Thing", "name": "Mortality"}]


def test_json_ld_cannot_be_broken_out_of(client):
    title = "</script><script>alert(1)</script>"
    guide = make_guide(title=title, slug="break-out", author="A & B <!--", summary="x </script> y")

    page = html_of(client.get(guide.get_absolute_url()))

    head = page.split("</head>", 1)[0]
    assert "<script>alert(1)" not in page
    assert "<!--" not in head
    # Exactly three script elements in the head: htmx, the announcer and the data block.
    assert head.count("<script") == 3
    assert head.count("</script>") == 3
    assert head.count('<script type="application/ld+json">') == 1
    data = json_ld_of(page)
    assert data["name"] == title
    assert data["author"]["name"] == "A & B <!--"
    assert "\\u003c/script\\u003e" in head


@pytest.mark.parametrize("per_section", [1, 34])
def test_guide_page_runs_three_queries_for_5_or_200_items(client, django_assert_num_queries, per_section):
    # 6 sections x 1 = 6 items, and 6 x 34 = 204: "5 or 200" items, rounded to whole sections.
    guide = add_illustration(make_guide(themes=("Memory", "Loss")), alt="A reader")
    add_items(guide, per_section)

    # The guide, its themes, and every list in one UNION query.
    with django_assert_num_queries(3):
        response = client.get(guide.get_absolute_url())

    page = html_of(response)
    assert f"Question {per_section}?" in page
    assert f"Trivia {per_section}." in page
    assert f"<cite>Other book {per_section}</cite>" in page


@pytest.mark.parametrize("per_section", [1, 34])
def test_guide_page_stays_within_budget_for_staff(staff_client, django_assert_num_queries, per_section):
    guide = make_guide(published=False, themes=("Memory",))
    add_items(guide, per_section)

    # Session and user, then the same three as for anyone.
    with django_assert_num_queries(5):
        response = staff_client.get(guide.get_absolute_url())

    assert "Draft preview" in html_of(response)


def test_guide_pages_link_home_and_to_the_list(client):
    guide = make_guide()

    page = html_of(client.get(guide.get_absolute_url()))

    assert '<a class="site-name" href="/">Bookclub</a>' in page
    assert '<a href="/guides/" aria-current="page">Guides</a>' in page
    assert '<a class="skip-link" href="#main">Skip to content</a>' in page
    assert '<main id="main" class="wrap" tabindex="-1">' in page
    assert reverse("guides:list") == LIST_URL
