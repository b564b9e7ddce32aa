"""The staff admin for guides, driven through its real URLs and forms."""

from __future__ import annotations

import io
import json
import zipfile
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from reversion.models import Version

from guides.admin import renumber_lists
from guides.forms import ALT_TEXT_REQUIRED, MAX_IMPORT_BYTES
from guides.models import Adaptation, Guide, OtherBook, Question, ReviewStatus, TalkingPoint, Theme, Trivia
from tests.guides.guide_builders import add_items, make_full_guide, make_guide, png_bytes

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:guides_{name}", args=args)


class _FormFields(HTMLParser):
    """What a browser would submit for one form of a page: every named control with its current value."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.fields: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._select_multiple = False
        self._options: list[tuple[str, bool]] = []

    def _add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:  # the template rows the admin's JavaScript copies
            self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = self.found = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._select_multiple, self._options = name, "multiple" in attrs, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value") or "", "selected" in attrs))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline that Django writes right after <textarea>.
            self._add(self._textarea, self._text.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not self._select_multiple and self._options:
                chosen = [self._options[0][0]]
            for value in chosen:
                self._add(self._select, value)
            self._select = None


def form_data(response, form_id: str = "guide_form") -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    assert parser.found, f"no form with id {form_id!r} on the page"
    return parser.fields


def set_field(data: dict, name: str, value) -> None:
    data[name] = [value] if isinstance(value, str) else value


def add_rows(data: dict, prefix: str, rows: list[dict[str, str]]) -> None:
    """Fill the blank (extra) forms of an inline with `rows`, after the rows already saved."""
    initial = int(data[f"{prefix}-INITIAL_FORMS"][0])
    for key in [key for key in data if key.startswith(f"{prefix}-")]:
        index = key.removeprefix(f"{prefix}-").split("-")[0]
        if index.isdigit() and int(index) >= initial:
            del data[key]
    for offset, row in enumerate(rows):
        data[f"{prefix}-{initial + offset}-guide"] = data.get(f"{prefix}-0-guide", [""])
        for name, value in row.items():
            data[f"{prefix}-{initial + offset}-{name}"] = [value]
    data[f"{prefix}-TOTAL_FORMS"] = [str(initial + len(rows))]


def row_index(data: dict, prefix: str, item) -> int:
    for key, value in data.items():
        if key.startswith(f"{prefix}-") and key.endswith("-id") and value == [str(item.pk)]:
            return int(key.split("-")[1])
    raise AssertionError(f"{item!r} is not on the form")


def change_form(client, guide: Guide) -> dict[str, list[str]]:
    return form_data(client.get(url("guide_change", guide.pk)))


def post_change(client, guide: Guide, data: dict):
    return client.post(url("guide_change", guide.pk), data)


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def changelist_titles(client, query: str = "") -> set[str]:
    response = client.get(url("guide_changelist") + query)
    assert response.status_code == 200
    return {guide.title for guide in response.context["cl"].result_list}


def image_bytes(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 200)).save(buffer, format=image_format)
    return buffer.getvalue()


# Access


def test_changelist_add_and_change_pages_load_for_staff(staff_client):
    guide = make_full_guide()
    for page in (url("guide_changelist"), url("guide_add"), url("guide_change", guide.pk)):
        assert staff_client.get(page).status_code == 200, page


def test_the_change_page_shows_every_list_and_the_reading_time(staff_client):
    guide = make_full_guide()
    response = staff_client.get(url("guide_change", guide.pk))
    prefixes = [formset.formset.prefix for formset in response.context["inline_admin_formsets"]]
    assert prefixes == ["questions", "talking_points", "quotes", "adaptations", "other_books", "trivia"]
    assert f"{guide.reading_minutes} min" in response.content.decode()
    assert "Did Kathy&#x27;s voice convince you?" in response.content.decode()


@pytest.mark.parametrize(
    "name", ["guide_changelist", "guide_add", "guide_import", "guide_unverified", "adaptation_changelist"]
)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", ["guide_changelist", "guide_change", "guide_export", "guide_import"])
def test_signed_in_members_who_are_not_staff_are_sent_to_the_admin_login(client, plain_user, name):
    guide = make_guide()
    client.force_login(plain_user)
    response = client.get(url(name, guide.pk) if name in ("guide_change", "guide_export") else url(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_view_on_site_leads_to_the_guides_public_page(staff_client):
    guide = make_guide(published=False)
    response = staff_client.get(url("guide_change", guide.pk))
    view_on_site = response.context["absolute_url"]
    assert view_on_site in response.content.decode()
    assert staff_client.get(view_on_site).url == "http://testserver" + guide.get_absolute_url()


# Saving a guide with its lists


def test_adding_a_guide_with_items_makes_the_slug_from_the_title(staff_client):
    data = form_data(staff_client.get(url("guide_add")))
    set_field(data, "title", "Klara and the Sun")
    set_field(data, "author", "Kazuo Ishiguro")
    set_field(data, "slug", "")
    add_rows(data, "questions", [{"text": "Is Klara a person?"}, {"text": "What does the Sun give?"}])
    response = staff_client.post(url("guide_add"), data)
    assert response.status_code == 302, form_errors(response)
    guide = Guide.objects.get()
    assert guide.slug == "klara-and-the-sun"
    assert [(q.position, q.text) for q in guide.questions.all()] == [
        (1, "Is Klara a person?"),
        (2, "What does the Sun give?"),
    ]


def test_saving_renumbers_each_list_in_the_editors_order_with_old_rows_first_on_ties(staff_client):
    guide = make_guide()
    first, second, third = (
        Question.objects.create(guide=guide, position=n, text=f"Question {n}?") for n in (1, 2, 3)
    )
    data = change_form(staff_client, guide)
    set_field(data, f"questions-{row_index(data, 'questions', first)}-position", "5")
    set_field(data, f"questions-{row_index(data, 'questions', second)}-position", "2")
    set_field(data, f"questions-{row_index(data, 'questions', third)}-position", "2")
    add_rows(
        data,
        "questions",
        [
            {"text": "New, tied with two old ones?", "position": "2"},
            {"text": "New, no position?", "position": ""},
        ],
    )
    response = post_change(staff_client, guide, data)
    assert response.status_code == 302, form_errors(response)
    assert [(q.position, q.text) for q in guide.questions.all()] == [
        (1, "Question 2?"),
        (2, "Question 3?"),
        (3, "New, tied with two old ones?"),
        (4, "Question 1?"),
        (5, "New, no position?"),
    ]


def test_renumbering_puts_rows_already_there_before_new_ones_whatever_their_ids():
    # PostgreSQL hands out ids from a sequence, so a new row can have a lower id than an old one that
    # was created with an explicit id (e.g. restored from a revision).
    guide = make_guide()
    Question.objects.create(guide=guide, pk=500, position=1, text="Old?")
    new = Question.objects.create(guide=guide, pk=7, position=1, text="New?")
    renumber_lists(guide, new_rows=[new])
    assert list(guide.questions.values_list("position", "text")) == [(1, "Old?"), (2, "New?")]
    # Without the hint, equal positions fall back to id order.
    guide.questions.update(position=1)
    renumber_lists(guide)
    assert list(guide.questions.values_list("position", "text")) == [(1, "New?"), (2, "Old?")]


def test_a_title_whose_slug_is_taken_is_a_form_error(staff_client):
    make_guide("Never Let Me Go")
    data = form_data(staff_client.get(url("guide_add")))
    set_field(data, "title", "Never let me go!")
    set_field(data, "author", "Someone Else")
    set_field(data, "slug", "")
    response = staff_client.post(url("guide_add"), data)
    assert response.status_code == 200
    assert form_errors(response)["slug"] == ["Guide with this Slug already exists."]
    assert Guide.objects.count() == 1


def test_deleting_an_item_closes_the_gap_in_its_list(staff_client):
    guide = make_guide()
    add_items(guide, 3)
    data = change_form(staff_client, guide)
    middle = guide.talking_points.get(position=2)
    set_field(data, f"talking_points-{row_index(data, 'talking_points', middle)}-DELETE", "on")
    response = post_change(staff_client, guide, data)
    assert response.status_code == 302, form_errors(response)
    assert list(guide.talking_points.values_list("position", "text")) == [
        (1, "Talking point 1."),
        (2, "Talking point 3."),
    ]


def test_saving_updates_the_reading_time(staff_client):
    guide = make_guide()  # four words of title and two of author: one minute
    assert guide.reading_minutes == 1
    data = change_form(staff_client, guide)
    add_rows(data, "talking_points", [{"text": "word " * 740, "position": ""}])
    response = post_change(staff_client, guide, data)
    assert response.status_code == 302, form_errors(response)
    guide.refresh_from_db()
    assert guide.reading_minutes == 3  # 746 words at 250 a minute
    assert "3 min" in staff_client.get(url("guide_change", guide.pk)).content.decode()


# Finding guides


def test_search_finds_guides_by_title_and_by_author(staff_client):
    make_guide("Never Let Me Go", "Kazuo Ishiguro")
    make_guide("Klara and the Sun", "Kazuo Ishiguro")
    make_guide("Middlemarch", "George Eliot")
    assert changelist_titles(staff_client, "?q=ishiguro") == {"Never Let Me Go", "Klara and the Sun"}
    assert changelist_titles(staff_client, "?q=middle") == {"Middlemarch"}


def test_the_status_and_theme_filters_narrow_the_list(staff_client):
    make_guide("Never Let Me Go", themes=("Memory",))
    make_guide("Klara and the Sun", published=False, themes=("Love",))
    make_guide("Middlemarch", themes=("Memory", "Marriage"))
    memory = Theme.objects.get(name="Memory")
    assert changelist_titles(staff_client, "?status__exact=draft") == {"Klara and the Sun"}
    assert changelist_titles(staff_client, "?status__exact=published") == {"Never Let Me Go", "Middlemarch"}
    assert changelist_titles(staff_client, f"?themes__id__exact={memory.pk}") == {
        "Never Let Me Go",
        "Middlemarch",
    }


def test_the_claims_filter_separates_guides_with_unverified_claims(staff_client):
    checked = make_guide("Checked")
    OtherBook.objects.create(guide=checked, title="A", review_status=ReviewStatus.VERIFIED)
    make_guide("No claims at all")
    trivia = make_guide("Unchecked trivia")
    Trivia.objects.create(guide=trivia, text="Said to be true.")
    adaptation = make_guide("Unchecked adaptation")
    Adaptation.objects.create(guide=adaptation, title="A film", review_status=ReviewStatus.VERIFIED)
    Adaptation.objects.create(guide=adaptation, title="A play")
    assert changelist_titles(staff_client, "?claims=unverified") == {
        "Unchecked trivia",
        "Unchecked adaptation",
    }
    assert changelist_titles(staff_client, "?claims=verified") == {"Checked", "No claims at all"}


# Claims to review


def test_the_claims_page_lists_exactly_the_unverified_claims_by_guide(staff_client):
    never = make_guide("Never Let Me Go")
    Adaptation.objects.create(guide=never, title="The film", review_status=ReviewStatus.VERIFIED)
    Trivia.objects.create(guide=never, text="It was shortlisted for the Booker.")
    klara = make_guide("Klara and the Sun")
    OtherBook.objects.create(guide=klara, title="Nocturnes")
    Adaptation.objects.create(guide=klara, kind=Adaptation.Kind.FILM, title="Klara", year=2026)
    done = make_guide("Middlemarch")
    Trivia.objects.create(guide=done, text="Checked.", review_status=ReviewStatus.VERIFIED)

    response = staff_client.get(url("guide_unverified"))

    assert response.status_code == 200
    listed = {
        group.guide.title: sorted(claim.text for claim in group.claims)
        for group in response.context["groups"]
    }
    assert listed == {
        "Klara and the Sun": ["Film: Klara (2026)", "Nocturnes"],
        "Never Let Me Go": ["It was shortlisted for the Booker."],
    }
    page = response.content.decode()
    assert url("guide_change", klara.pk) in page
    assert url("guide_change", never.pk) in page
    assert "The film" not in page
    assert response.context["total"] == 3


def test_the_claims_page_takes_the_same_number_of_queries_for_2_and_20_guides(staff_client):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url("guide_unverified"))
        assert response.status_code == 200
        return len(queries)

    for n in range(2):
        add_items(make_guide(f"Guide {n}"), 3)
    few = queries_for_page()
    for n in range(2, 20):
        add_items(make_guide(f"Guide {n}"), 3)
    many = queries_for_page()
    assert few == many
    assert "Guide 19" in staff_client.get(url("guide_unverified")).content.decode()


def test_the_claims_page_is_linked_from_the_guide_list_and_the_admin_index(staff_client):
    claims = url("guide_unverified")
    assert claims in staff_client.get(url("guide_changelist")).content.decode()
    assert claims in staff_client.get(reverse("admin:index")).content.decode()


def test_mark_as_verified_verifies_only_the_selected_claims_and_records_the_guides_history(staff_client):
    guide = make_guide()
    chosen = Adaptation.objects.create(guide=guide, title="The film")
    other = Adaptation.objects.create(guide=guide, title="The play")
    response = staff_client.post(
        url("adaptation_changelist"), {"action": "mark_verified", "_selected_action": [chosen.pk]}
    )
    assert response.status_code == 302
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert chosen.review_status == ReviewStatus.VERIFIED
    assert other.review_status == ReviewStatus.UNVERIFIED
    latest = Version.objects.get_for_object(guide).first()
    assert latest.revision.get_comment() == "Marked 1 adaptation as verified."
    versions_of_claims = {
        v.object_id: v.field_dict["review_status"]
        for v in latest.revision.version_set.all()
        if v.content_type.model == "adaptation"
    }
    assert versions_of_claims == {str(chosen.pk): "verified", str(other.pk): "unverified"}


@pytest.mark.parametrize("model", [Adaptation, OtherBook, Trivia])
def test_each_kind_of_claim_has_its_own_list_search_and_page(staff_client, model):
    never = make_guide("Never Let Me Go")
    add_items(never, 2)
    add_items(make_guide("Middlemarch", "George Eliot"), 1)
    name = model._meta.model_name
    response = staff_client.get(url(f"{name}_changelist") + "?q=middlemarch")
    assert response.status_code == 200
    assert {item.guide.title for item in response.context["cl"].result_list} == {"Middlemarch"}
    response = staff_client.get(
        url(f"{name}_changelist") + f"?review_status__exact=unverified&guide__id__exact={never.pk}"
    )
    expected = model.objects.filter(guide=never, review_status=ReviewStatus.UNVERIFIED)
    assert set(response.context["cl"].result_list) == set(expected)
    item = model.objects.filter(guide=never).first()
    assert staff_client.get(url(f"{name}_change", item.pk)).status_code == 200


def test_editing_a_claim_on_its_own_page_updates_its_guide(staff_client):
    guide = make_guide()
    trivia = Trivia.objects.create(guide=guide, position=1, text="Short.")
    Trivia.objects.create(guide=guide, position=2, text="Second.")
    data = form_data(staff_client.get(url("trivia_change", trivia.pk)), "trivia_form")
    set_field(data, "text", " ".join(["word"] * 740))
    set_field(data, "position", "9")
    response = staff_client.post(url("trivia_change", trivia.pk), data)
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.reading_minutes == 3
    assert list(guide.trivia.values_list("position", "text")) == [
        (1, "Second."),
        (2, " ".join(["word"] * 740)),
    ]
    assert Version.objects.get_for_object(guide).count() == 1


def test_claims_can_be_reviewed_in_the_list_itself(staff_client):
    guide = make_guide()
    trivia = Trivia.objects.create(guide=guide, text="It was written in 2005.")
    response = staff_client.get(url("trivia_changelist"))
    data = form_data(response, "changelist-form")
    set_field(data, "form-0-review_status", "verified")
    set_field(data, "form-0-source_url", "https://example.org/source")
    set_field(data, "_save", "Save")
    response = staff_client.post(url("trivia_changelist"), data)
    assert response.status_code == 302
    trivia.refresh_from_db()
    assert (trivia.review_status, trivia.source_url) == ("verified", "https://example.org/source")


# Revision history


def test_reverting_a_guide_puts_back_its_title_and_deleted_items(staff_client):
    data = form_data(staff_client.get(url("guide_add")))
    set_field(data, "title", "Never Let Me Go")
    set_field(data, "author", "Kazuo Ishiguro")
    set_field(data, "slug", "never-let-me-go")
    add_rows(
        data,
        "questions",
        [{"text": "What did you think of the ending?"}, {"text": "Did Kathy's voice convince you?"}],
    )
    assert staff_client.post(url("guide_add"), data).status_code == 302
    guide = Guide.objects.get()
    ending = guide.questions.get(position=1)

    data = change_form(staff_client, guide)
    set_field(data, "title", "Never Let Me Go (revised)")
    set_field(data, f"questions-{row_index(data, 'questions', ending)}-DELETE", "on")
    add_rows(data, "questions", [{"text": "A question added later?", "position": ""}])
    response = post_change(staff_client, guide, data)
    assert response.status_code == 302, form_errors(response)
    guide.refresh_from_db()
    assert guide.title == "Never Let Me Go (revised)"
    assert list(guide.questions.values_list("text", flat=True)) == [
        "Did Kathy's voice convince you?",
        "A question added later?",
    ]

    first_version = Version.objects.get_for_object(guide).last()
    revision_url = url("guide_revision", guide.pk, first_version.pk)
    assert revision_url in staff_client.get(url("guide_history", guide.pk)).content.decode()
    response = staff_client.post(revision_url, form_data(staff_client.get(revision_url)))

    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.title == "Never Let Me Go"
    assert list(guide.questions.values_list("position", "text")) == [
        (1, "What did you think of the ending?"),
        (2, "Did Kathy's voice convince you?"),
    ]
    assert guide.questions.filter(pk=ending.pk).exists()


# Import


def import_file(client, name: str, content: bytes, draft: bool = True, **kwargs):
    data = {"guide_file": SimpleUploadedFile(name, content, content_type="text/plain")}
    if draft:
        data["draft"] = "on"
    return client.post(url("guide_import"), data, **kwargs)


def test_the_import_page_is_linked_from_the_guide_list(staff_client):
    response = staff_client.get(url("guide_changelist"))
    assert url("guide_import") in response.content.decode()
    page = staff_client.get(url("guide_import")).content.decode()
    assert '<label for="id_guide_file">Guide file:</label>' in page
    assert '<label for="id_draft" class="vCheckboxLabel">Import as draft</label>' in page


def test_importing_a_guide_file_adds_the_guide_and_opens_it(staff_client, demo_guide_bytes):
    response = import_file(staff_client, "never-let-me-go.txt", demo_guide_bytes, follow=True)
    guide = Guide.objects.get()
    assert response.redirect_chain == [(url("guide_change", guide.pk), 302)]
    assert "Imported &#x27;Never Let Me Go&#x27;" in response.content.decode()
    assert guide.status == Guide.Status.DRAFT
    assert guide.questions.count() == 10
    assert Version.objects.get_for_object(guide).count() == 1


def test_importing_the_same_guide_again_updates_it(staff_client, demo_guide_bytes):
    import_file(staff_client, "never-let-me-go.txt", demo_guide_bytes)
    response = import_file(staff_client, "never-let-me-go.txt", demo_guide_bytes, follow=True)
    assert "Updated &#x27;Never Let Me Go&#x27;" in response.content.decode()
    assert Guide.objects.count() == 1


def test_a_file_that_cannot_be_imported_comes_back_with_the_reason_and_nothing_is_written(staff_client):
    make_full_guide()
    response = import_file(staff_client, "broken.json", b'{"format": "bookclub-guide", "version": ')
    assert response.status_code == 200
    errors = response.context["form"].errors["guide_file"]
    assert len(errors) == 1
    assert errors[0].startswith("broken.json: not valid JSON")
    assert "broken.json: not valid JSON" in response.content.decode()
    assert Guide.objects.count() == 1


def test_a_guide_page_with_a_problem_is_refused_with_the_line_to_fix(staff_client, demo_guide_bytes):
    response = import_file(staff_client, "notes.txt", b"Just some notes about a book I liked.\n")
    assert response.status_code == 200
    [error] = response.context["form"].errors["guide_file"]
    assert error.startswith("notes.txt: ")
    assert "\n" not in error
    assert Guide.objects.count() == 0


def test_files_over_5_mb_are_refused_before_they_are_read(staff_client):
    response = import_file(staff_client, "huge.txt", b"x" * (MAX_IMPORT_BYTES + 1))
    assert response.status_code == 200
    [error] = response.context["form"].errors["guide_file"]
    assert error == "huge.txt: the file is larger than 5.0\xa0MB, the most a guide file can be."
    assert Guide.objects.count() == 0


def test_staff_who_may_not_add_guides_cannot_import(client, demo_guide_bytes):
    viewer = User.objects.create_user("vera", password="vera-password", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_guide"))
    client.force_login(viewer)
    assert client.get(url("guide_import")).status_code == 403
    assert import_file(client, "never-let-me-go.txt", demo_guide_bytes).status_code == 403
    assert url("guide_import") not in client.get(url("guide_changelist")).content.decode()
    assert Guide.objects.count() == 0


def test_members_who_are_not_staff_cannot_import(client, plain_user, demo_guide_bytes):
    client.force_login(plain_user)
    response = import_file(client, "never-let-me-go.txt", demo_guide_bytes)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert Guide.objects.count() == 0


# Export


def test_the_export_link_downloads_the_guide_as_json(staff_client):
    guide = make_full_guide()
    export = url("guide_export", guide.pk)
    assert export in staff_client.get(url("guide_change", guide.pk)).content.decode()
    response = staff_client.get(export)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="never-let-me-go.json"'
    data = json.loads(response.content)
    assert data["title"] == "Never Let Me Go"
    assert [q["text"] for q in data["questions"]] == [
        "What did you think of the ending?",
        "Did Kathy's voice convince you?",
    ]


def test_exporting_one_selected_guide_downloads_its_json(staff_client):
    guide = make_full_guide()
    make_guide("Middlemarch", "George Eliot")
    response = staff_client.post(
        url("guide_changelist"), {"action": "export_selected", "_selected_action": [guide.pk]}
    )
    assert response["Content-Disposition"] == 'attachment; filename="never-let-me-go.json"'
    assert json.loads(response.content)["author"] == "Kazuo Ishiguro"


def test_exporting_several_selected_guides_downloads_a_zip_of_their_json(staff_client):
    never = make_full_guide()
    middlemarch = make_guide("Middlemarch", "George Eliot")
    make_guide("Not selected")
    response = staff_client.post(
        url("guide_changelist"),
        {"action": "export_selected", "_selected_action": [never.pk, middlemarch.pk]},
    )
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="guides.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["middlemarch.json", "never-let-me-go.json"]
        assert json.loads(archive.read("middlemarch.json"))["author"] == "George Eliot"
        assert len(json.loads(archive.read("never-let-me-go.json"))["quotes"]) == 2


def test_an_exported_guide_imports_back_unchanged(staff_client):
    guide = make_full_guide()
    exported = staff_client.get(url("guide_export", guide.pk)).content
    guide.delete()
    response = import_file(staff_client, "never-let-me-go.json", exported, draft=False)
    assert response.status_code == 302
    assert staff_client.get(url("guide_export", Guide.objects.get().pk)).content == exported


# Illustration


def upload_illustration(client, guide: Guide, name: str, content: bytes, alt: str = "A reader."):
    data = change_form(client, guide)
    set_field(data, "illustration_alt", alt)
    data["illustration"] = SimpleUploadedFile(name, content)
    return post_change(client, guide, data)


def test_an_image_with_alt_text_is_saved(staff_client):
    guide = make_guide()
    response = upload_illustration(staff_client, guide, "reader.webp", image_bytes("WEBP"))
    assert response.status_code == 302, form_errors(response)
    guide.refresh_from_db()
    assert guide.illustration.name.endswith(".webp")
    assert guide.illustration_alt == "A reader."


def test_a_file_that_is_not_an_image_is_refused_with_a_form_error(staff_client):
    guide = make_guide()
    response = upload_illustration(staff_client, guide, "reader.png", b"this is not a picture")
    assert response.status_code == 200
    assert form_errors(response)["illustration"] == [
        "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF image."
    ]
    guide.refresh_from_db()
    assert not guide.illustration


def test_an_image_in_a_format_browsers_cannot_show_is_refused(staff_client):
    guide = make_guide()
    response = upload_illustration(staff_client, guide, "reader.bmp", image_bytes("BMP"))
    assert response.status_code == 200
    [error] = form_errors(response)["illustration"]
    assert error.startswith("BMP images cannot be shown on every device.")


def test_an_image_over_the_size_limit_is_refused(staff_client, settings):
    settings.MAX_ILLUSTRATION_BYTES = 100
    guide = make_guide()
    response = upload_illustration(staff_client, guide, "reader.png", png_bytes(200, 200))
    assert response.status_code == 200
    [error] = form_errors(response)["illustration"]
    assert "it can be at most 100\xa0bytes" in error


def test_an_illustration_needs_alt_text(staff_client):
    guide = make_guide()
    response = upload_illustration(staff_client, guide, "reader.png", png_bytes(), alt="  ")
    assert response.status_code == 200
    assert form_errors(response)["illustration_alt"] == [ALT_TEXT_REQUIRED]
    assert ALT_TEXT_REQUIRED in response.content.decode()


def test_the_talking_points_of_a_guide_are_not_touched_by_an_unrelated_save(staff_client):
    guide = make_full_guide()
    before = list(TalkingPoint.objects.values_list("pk", "position", "text"))
    response = post_change(staff_client, guide, change_form(staff_client, guide))
    assert response.status_code == 302, form_errors(response)
    assert list(TalkingPoint.objects.values_list("pk", "position", "text")) == before
