"""The editors' admin in a real browser: axe-core (WCAG 2.2 A/AA) on every admin page we own or customise,
as staff, with the guide's lists filled; every control named after its row; filter links large enough to
hit; and the admin index's "Editorial work" box reflowing at 320 px and under WCAG's text spacing.

The axe harness is the one in tests/test_accessibility.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import reversion
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from guides.exchange import import_guide
from guides.models import Adaptation, Guide, OtherBook, Theme, Trivia
from tests.axe import axe_violations
from tests.conftest import DEMO_GUIDE
from tests.guides.guide_builders import add_items, make_full_guide
from tests.test_accessibility import expect, finish_transitions

# The browser tests need the live server's transactional database; the page-source tests share it.
pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Admin:
    base_url: str
    editor: User
    guide: Guide
    deleted_version: Version


@pytest.fixture
def admin(live_server) -> Admin:
    """The demo guide, imported as an editor imports it (one revision), and a second guide deleted after
    its revision was recorded, so the history, revision and recover pages all have something to show."""
    editor = User.objects.create_user("edith", "edith@example.com", "edith-password", is_staff=True)
    editor.is_superuser = True
    editor.save()
    with reversion.create_revision():
        reversion.set_user(editor)
        guide = import_guide(DEMO_GUIDE.read_bytes()).guide
        reversion.add_to_revision(guide)
    with reversion.create_revision():
        gone = Guide.objects.create(title="The Remains of the Day", author="Kazuo Ishiguro")
    gone.delete()
    deleted = Version.objects.get_deleted(Guide).get()
    return Admin(live_server.url, editor, guide, deleted)


def as_staff(page, admin: Admin) -> None:
    client = Client()
    client.force_login(admin.editor)
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": admin.base_url}])


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


# ---------- How to reach each page ----------


def go(name: str, *args: object) -> Callable[[Admin], str]:
    return lambda admin: admin_url(name, *args)


def first(model) -> Callable[[Admin], str]:
    return lambda admin: admin_url(
        f"guides_{model._meta.model_name}_change", model.objects.order_by("pk").first().pk
    )


def of_first(model, view: str) -> Callable[[Admin], str]:
    return lambda admin: admin_url(
        f"guides_{model._meta.model_name}_{view}", model.objects.order_by("pk").first().pk
    )


def guide_revision(admin: Admin) -> str:
    version = Version.objects.get_for_object(admin.guide).first()
    return admin_url("guides_guide_revision", admin.guide.pk, version.pk)


def guide_recover(admin: Admin) -> str:
    return admin_url("guides_guide_recover", admin.deleted_version.pk)


def claims_changelist(model) -> Callable[[Admin], str]:
    return lambda admin: admin_url(f"guides_{model._meta.model_name}_changelist")


def with_query(where: Callable[[Admin], str], query: str) -> Callable[[Admin], str]:
    return lambda admin: f"{where(admin)}?{query}"


PAGES = [
    pytest.param(go("index"), id="admin-index"),
    pytest.param(go("app_list", "guides"), id="guides-app-index"),
    pytest.param(go("guides_guide_changelist"), id="guide-changelist"),
    pytest.param(with_query(go("guides_guide_changelist"), "claims=unverified&q=never"), id="guide-filtered"),
    pytest.param(go("guides_guide_add"), id="guide-add"),
    pytest.param(first(Guide), id="guide-change"),
    pytest.param(of_first(Guide, "history"), id="guide-history"),
    pytest.param(guide_revision, id="guide-revision"),
    pytest.param(go("guides_guide_recoverlist"), id="guide-recover-list"),
    pytest.param(guide_recover, id="guide-recover"),
    pytest.param(of_first(Guide, "delete"), id="guide-delete"),
    pytest.param(go("guides_guide_import"), id="guide-import"),
    pytest.param(go("guides_guide_unverified"), id="claims-to-review"),
    pytest.param(go("guides_theme_changelist"), id="theme-changelist"),
    pytest.param(go("guides_theme_add"), id="theme-add"),
    pytest.param(first(Theme), id="theme-change"),
    pytest.param(of_first(Theme, "history"), id="theme-history"),
    pytest.param(of_first(Theme, "delete"), id="theme-delete"),
    *(
        pytest.param(where, id=f"{model._meta.model_name}-{view}")
        for model in (Adaptation, OtherBook, Trivia)
        for view, where in (
            ("changelist", claims_changelist(model)),
            (
                "changelist-unverified",
                with_query(claims_changelist(model), "review_status__exact=unverified"),
            ),
            ("add", go(f"guides_{model._meta.model_name}_add")),
            ("change", first(model)),
            ("history", of_first(model, "history")),
            ("delete", of_first(model, "delete")),
        )
    ),
]


def assert_axe_clean(page) -> None:
    light = axe_violations(page)
    page.emulate_media(color_scheme="dark")
    finish_transitions(page)
    dark = axe_violations(page, colours_only=True)
    assert not (light or dark), f"light:\n{light}\n\ndark:\n{dark}"


@pytest.mark.browser
@pytest.mark.parametrize("where", PAGES)
def test_every_admin_page_we_own_or_customise_passes_axe(page, admin, where):
    as_staff(page, admin)
    page.emulate_media(color_scheme="light")
    response = page.goto(where(admin))
    assert response.status == 200, response.url
    assert_axe_clean(page)


# ---------- Every control is named, after its row ----------


class _Controls(HTMLParser):
    """Each form control of a page that people fill in, by name, with its accessible name: its aria-label,
    or "<label>" when a label is for it or around it. The admin's JavaScript template rows (__prefix__)
    count too, since every row added is a copy."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.names: dict[str, str | None] = {}
        self._ids: dict[str, str] = {}
        self._label_for: set[str] = set()
        self._in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._in_label += 1
            if attrs.get("for"):
                self._label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            if attrs.get("type") in ("hidden", "submit", "button"):
                return
            self.names[attrs["name"]] = attrs.get("aria-label") or ("<label>" if self._in_label else None)
            if attrs.get("id"):
                self._ids[attrs["name"]] = attrs["id"]

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1

    def close(self) -> None:
        super().close()
        for name, id_ in self._ids.items():
            if self.names[name] is None and id_ in self._label_for:
                self.names[name] = "<label>"

    def unnamed(self) -> list[str]:
        return [name for name, said in self.names.items() if not said]


def controls(response) -> _Controls:
    assert response.status_code == 200
    parser = _Controls()
    parser.feed(response.content.decode())
    parser.close()
    return parser


def test_every_control_of_a_guides_lists_is_named_after_its_row(staff_client):
    guide = make_full_guide()
    add_items(guide, 3)

    page = controls(staff_client.get(admin_url("guides_guide_change", guide.pk)))

    assert page.unnamed() == []
    named = page.names
    assert named["questions-2-text"] == "Discussion question 3 text"
    assert named["questions-2-DELETE"] == "Discussion question 3 delete"
    assert named["other_books-0-review_status"] == "Other book by the author 1 review status"
    assert named["trivia-1-source_url"] == "Trivia item 2 source link"
    assert named["adaptations-0-kind"] == "Adaptation 1 kind"
    assert named["quotes-__prefix__-page"] == "New quote page"
    row_names = [said for said in named.values() if said != "<label>"]
    assert len(row_names) > 100 and len(set(row_names)) == len(row_names)


def test_the_editable_columns_of_a_claims_list_are_named_by_their_claim(staff_client):
    add_items(make_full_guide(), 2)

    page = controls(staff_client.get(admin_url("guides_trivia_changelist") + "?q=Trivia+2"))

    assert page.unnamed() == []
    assert page.names["form-0-review_status"] == "Review status of “Trivia 2.”"
    assert page.names["form-0-source_url"] == "Source link of “Trivia 2.”"


# ---------- The filter links ----------


@pytest.mark.browser
def test_every_changelist_filter_link_is_at_least_24_by_24_css_pixels(page, admin):
    """WCAG 2.5.8: the filter links stood 20 px apart, close enough to hit the next one instead."""
    as_staff(page, admin)
    page.goto(admin_url("guides_guide_changelist"))
    links = page.locator("#changelist-filter li a")
    expect(links.first).to_be_visible()

    boxes = links.evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getBoundingClientRect().toJSON()])"
    )

    small = [
        f"{text}: {box['width']:.0f}x{box['height']:.0f}"
        for text, box in boxes
        if box["width"] < 24 or box["height"] < 24
    ]
    assert len(boxes) > 8 and not small, small


# ---------- The "Editorial work" box: reflow and text spacing ----------

# WCAG 1.4.12's overrides: the box must lose nothing when a reader's style sheet sets these.
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p, li, td, th, caption { margin-bottom: 2em !important; }
"""

# What sticks out of the box, or is cut off inside it, and whether the page scrolls sideways.
BOX_PROBLEMS = """() => {
    const box = document.getElementById('editorial-module');
    const frame = box.getBoundingClientRect();
    const root = document.documentElement;
    const problems = [];
    if (root.scrollWidth > root.clientWidth + 1) {
        problems.push(`the page scrolls sideways: ${root.scrollWidth}px wide in ${root.clientWidth}px`);
    }
    if (frame.right > root.clientWidth + 1) problems.push(`the box ends at ${frame.right}px`);
    for (const el of [box, ...box.querySelectorAll('*')]) {
        const style = getComputedStyle(el);
        const clips = [style.overflowX, style.overflowY].some(value => value !== 'visible');
        if (el.scrollWidth > el.clientWidth + 1 && (clips || el === box)) {
            problems.push(`<${el.tagName.toLowerCase()}> holds ${el.scrollWidth}px in ${el.clientWidth}px`);
        }
        const r = el.getBoundingClientRect();
        if (el !== box && (r.left < frame.left - 1 || r.right > frame.right + 1)) {
            problems.push(`<${el.tagName.toLowerCase()}> "${el.textContent.trim().slice(0, 30)}" sticks out`);
        }
    }
    return problems;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("spacing", [False, True], ids=["", "text-spacing"])
def test_the_editorial_work_box_reflows(browser, admin, width, spacing):
    """WCAG 1.4.10 at 320 CSS px (no scrolling sideways) and 1.4.12 (text spacing), nothing cut off."""
    # A reader's own style sheet is not the page's to refuse: the CSP would block the one added here.
    context = browser.new_context(base_url=admin.base_url, bypass_csp=True)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    as_staff(page, admin)
    page.goto(admin_url("index"))
    expect(page.locator("#editorial-module").get_by_role("link", name="Claims to review")).to_be_visible()
    if spacing:
        page.add_style_tag(content=TEXT_SPACING)

    problems = page.evaluate(BOX_PROBLEMS)

    context.close()
    assert not problems, "\n".join(problems)
