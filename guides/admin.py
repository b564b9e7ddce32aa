"""The staff admin for guides: one page per guide with all its lists, history with revert, the claims
still to check, and import/export of guide files.

Every change to a guide or any of its items is recorded as a django-reversion revision of the whole
guide (the guide follows its six lists), so the guide's History page can put back any earlier state,
items included.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import reversion
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.forms import BaseInlineFormSet, BaseModelFormSet, CheckboxSelectMultiple, ModelForm
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods
from reversion.admin import VersionAdmin

from guides.exchange import GuideExportError, GuideImportError, export_guide, import_guide
from guides.forms import GuideAdminForm, GuideImportForm, GuideItemInlineForm
from guides.models import (
    FACTUAL_ITEM_MODELS,
    SECTION_MODELS,
    Adaptation,
    FactualItem,
    Guide,
    GuideItem,
    GuideSections,
    OtherBook,
    Question,
    Quote,
    ReadAlike,
    ReviewStatus,
    TalkingPoint,
    Theme,
    Trivia,
)

logger = logging.getLogger(__name__)

# Registered here, before GuideAdmin is built: VersionAdmin would otherwise register Guide itself, and
# its guess at what to follow is exactly the kind of thing a revert must not get wrong.
# The same registration as guides.club_guides (whichever module is imported first registers).
for _item_model in (*SECTION_MODELS.values(), ReadAlike):
    if not reversion.is_registered(_item_model):
        reversion.register(_item_model)
if not reversion.is_registered(Guide):
    reversion.register(Guide, follow=(*SECTION_MODELS, "further_reading"))


def renumber_lists(guide: Guide, new_rows: Iterable[GuideItem] = ()) -> GuideSections:
    """Number each of the guide's lists 1..n in the order the editor gave.

    Equal positions keep rows that were already there ahead of rows just added, then go by id.
    """
    new = {(type(item), item.pk) for item in new_rows}

    def order(item: GuideItem) -> tuple[int, bool, int]:
        return (item.position, (type(item), item.pk) in new, item.pk)

    sections = guide.load_sections()
    for name, model in SECTION_MODELS.items():
        items: list[GuideItem] = getattr(sections, name)
        items.sort(key=order)
        moved = []
        for number, item in enumerate(items, start=1):
            if item.position != number:
                item.position = number
                moved.append(item)
        if moved:
            model.objects.bulk_update(moved, ["position"])
    return sections


def record_guide_revision(guide: Guide, sections: GuideSections) -> None:
    """Put the guide and every item, as they are now, into the revision being recorded.

    Reversion captures an object when it is saved; renumbering and the reading time are written with
    UPDATE queries afterwards, so without this the revision would keep the numbers from before.
    """
    if not reversion.is_active():
        return
    reversion.add_to_revision(guide)
    for item in sections.all_items():
        reversion.add_to_revision(item)


def refresh_guide(guide: Guide, new_rows: Iterable[GuideItem] = ()) -> None:
    """After any of the guide's items changed: renumber, recount the reading time, record the revision."""
    sections = renumber_lists(guide, new_rows)
    guide.update_reading_time()
    # Renumbering writes in bulk (no signals), and an item moved to another guide leaves this one
    # changed too: the cached page must not outlive either.
    Guide.objects.filter(pk=guide.pk).touch()
    record_guide_revision(guide, sections)


def json_download(guide: Guide) -> HttpResponse:
    response = HttpResponse(export_guide(guide), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{guide.slug}.json")
    return response


# Every control of a list's rows is named after its row ("Question 3 text", "Trivia 2 delete"): the rows'
# column headings are not labels, so without this 160 fields of the demo guide's page had no name.


def _name_row_controls(form: ModelForm, name: Callable[[str], str]) -> None:
    for field_name, formfield in form.fields.items():
        if formfield.widget.is_hidden:
            continue
        label = "delete" if field_name == DELETION_FIELD_NAME else str(formfield.label or field_name)
        formfield.widget.attrs["aria-label"] = name(label)


def _lower_first(label: str) -> str:
    """ "Text" reads "text" after the row's name; a label that starts with an abbreviation keeps its case."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


class RowNamedInlineFormSet(BaseInlineFormSet):
    """A guide's list on its page: rows are numbered as they stand (the blank template row is "New")."""

    def add_fields(self, form: ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        noun = str(self.form._meta.model._meta.verbose_name)
        row = f"New {noun}" if index is None else f"{noun.capitalize()} {index + 1}"
        _name_row_controls(form, lambda label: f"{row} {_lower_first(label)}")


class RowNamedChangeListFormSet(BaseModelFormSet):
    """The editable columns of a changelist: each row is named by the item it shows."""

    def add_fields(self, form: ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        item = Truncator(str(form.instance)).chars(60)
        _name_row_controls(form, lambda label: f"{label} of “{item}”")


# Inlines: one per list, in the order the guide page shows them.

ITEM_FORMFIELDS: dict[type[models.Field], dict[str, Any]] = {
    models.TextField: {"widget": AdminTextareaWidget(attrs={"rows": 2})},
    # A source link typed without a scheme is almost always an https:// address.
    models.URLField: {"assume_scheme": "https"},
}


class GuideItemInline(admin.TabularInline):
    form = GuideItemInlineForm
    formset = RowNamedInlineFormSet
    extra = 1
    formfield_overrides = ITEM_FORMFIELDS


class QuestionInline(GuideItemInline):
    model = Question
    fields = ("position", "text")


class TalkingPointInline(GuideItemInline):
    model = TalkingPoint
    fields = ("position", "text")


class QuoteInline(GuideItemInline):
    model = Quote
    fields = ("position", "text", "chapter", "page")


class AdaptationInline(admin.StackedInline):
    model = Adaptation
    form = GuideItemInlineForm
    formset = RowNamedInlineFormSet
    extra = 0
    formfield_overrides = ITEM_FORMFIELDS
    fields = (("position", "kind", "year"), "title", "notes", ("review_status", "source_url"))


class OtherBookInline(GuideItemInline):
    model = OtherBook
    fields = ("position", "title", "year", "review_status", "source_url")


class TriviaInline(GuideItemInline):
    model = Trivia
    fields = ("position", "text", "review_status", "source_url")


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("library", "the library"), ("club", "a club")]

    def queryset(self, request, queryset):
        if self.value() == "library":
            return queryset.library()
        if self.value() == "club":
            return queryset.filter(club__isnull=False)
        return queryset


class ClaimsToReviewFilter(admin.SimpleListFilter):
    title = "claims to review"
    parameter_name = "claims"

    def lookups(self, request, model_admin):
        return [("unverified", "has unverified claims"), ("verified", "all claims verified")]

    def queryset(self, request, queryset):
        if self.value() == "unverified":
            return queryset.with_unverified_claims()
        if self.value() == "verified":
            return queryset.exclude(pk__in=Guide.objects.with_unverified_claims().values("pk"))
        return queryset


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "guide_count")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(guide_count=Count("guides"))

    @admin.display(description="guides", ordering="guide_count")
    def guide_count(self, theme: Theme) -> int:
        return theme.guide_count  # type: ignore[attr-defined]


@dataclass
class Claim:
    kind: str
    text: str
    source_url: str
    change_url: str | None


@dataclass
class ClaimGroup:
    guide: Guide
    change_url: str
    claims: list[Claim] = field(default_factory=list)


@admin.register(Guide)
class GuideAdmin(VersionAdmin):
    form = GuideAdminForm
    inlines = [
        QuestionInline,
        TalkingPointInline,
        QuoteInline,
        AdaptationInline,
        OtherBookInline,
        TriviaInline,
    ]
    list_display = ("title", "author", "status", "club", "reading_time", "updated_at")
    list_filter = ("status", OwnerFilter, "themes", ClaimsToReviewFilter)
    list_select_related = ("club",)
    search_fields = ("title", "author")
    prepopulated_fields = {"slug": ("title",)}
    # Check boxes, one per theme: the admin's autocomplete (select2) leaves its search box and combobox
    # without an accessible name.
    formfield_overrides = {models.ManyToManyField: {"widget": CheckboxSelectMultiple}}
    readonly_fields = ("reading_time", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "author", "slug", "status", "club")}),
        ("Text", {"fields": ("summary", "about", "about_author", "has_spoilers", "themes")}),
        ("Illustration", {"fields": ("illustration", "illustration_alt", "illustration_caption")}),
        ("Record", {"fields": ("reading_time", "created_at", "updated_at")}),
    )
    actions = ["export_selected", "copy_to_library"]
    raw_id_fields = ("club",)
    history_latest_first = True

    @admin.display(description="reading time", ordering="reading_minutes")
    def reading_time(self, guide: Guide) -> str:
        return f"{guide.reading_minutes} min"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_guide(form.instance, new_rows=[obj for formset in formsets for obj in formset.new_objects])

    # Extra pages: import, claims to review, export.

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/",
                wrap(require_http_methods(["GET", "POST"])(self.import_view)),
                name=f"{prefix}_import",
            ),
            path("unverified/", wrap(require_GET(self.unverified_view)), name=f"{prefix}_unverified"),
            path(
                "<path:object_id>/export/",
                wrap(require_GET(self.export_view)),
                name=f"{prefix}_export",
            ),
            *super().get_urls(),
        ]

    def _page_context(self, request: HttpRequest, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def import_view(self, request: HttpRequest) -> HttpResponse:
        # An import can replace an existing guide's contents as well as add one.
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            form = GuideImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["guide_file"]
                try:
                    with self.create_revision(request):
                        result = import_guide(upload.read(), draft=form.cleaned_data["draft"])
                        guide = result.guide
                        note = f"Imported from {upload.name}."
                        if result.created:
                            self.log_addition(request, guide, note)
                        else:
                            self.log_change(request, guide, note)
                        record_guide_revision(guide, guide.load_sections())
                except GuideImportError as error:
                    form.add_error("guide_file", f"{upload.name}: {error}")
                except Exception:
                    # The import ran in a transaction that has been rolled back, so nothing is half done.
                    logger.exception("Importing %s failed unexpectedly", upload.name)
                    form.add_error(
                        "guide_file",
                        f"{upload.name}: the guide could not be imported because of an unexpected problem; "
                        "nothing was saved. The details are in the server log.",
                    )
                else:
                    self.message_user(request, f"{result.message} from {upload.name}.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:guides_guide_change", args=[quote(guide.pk)]))
        else:
            form = GuideImportForm()
        return TemplateResponse(
            request, "admin/guides/guide/import.html", self._page_context(request, "Import guide", form=form)
        )

    def unverified_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        groups: dict[int, ClaimGroup] = {}
        total = 0
        for model in FACTUAL_ITEM_MODELS:
            can_edit = self.admin_site.is_registered(model) and self.admin_site.get_model_admin(
                model
            ).has_change_permission(request)
            kind = str(model._meta.verbose_name).capitalize()
            unverified = (
                model.objects.filter(review_status=ReviewStatus.UNVERIFIED)
                .select_related("guide")
                .order_by("position", "pk")
            )
            for item in unverified:
                group = groups.get(item.guide_id)
                if group is None:
                    group = groups[item.guide_id] = ClaimGroup(
                        guide=item.guide,
                        change_url=reverse("admin:guides_guide_change", args=[quote(item.guide_id)]),
                    )
                group.claims.append(
                    Claim(
                        kind=kind,
                        text=str(item),
                        source_url=item.source_url,
                        change_url=(
                            reverse(f"admin:guides_{model._meta.model_name}_change", args=[quote(item.pk)])
                            if can_edit
                            else None
                        ),
                    )
                )
                total += 1
        ordered = sorted(groups.values(), key=lambda group: (group.guide.title.casefold(), group.guide.pk))
        return TemplateResponse(
            request,
            "admin/guides/guide/unverified.html",
            self._page_context(request, "Claims to review", groups=ordered, total=total),
        )

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        guide = self.get_object(request, unquote(object_id))
        if guide is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, guide):
            raise PermissionDenied
        try:
            return json_download(guide)
        except GuideExportError as error:
            self.message_user(request, f"“{guide}” could not be exported: {error}.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:guides_guide_change", args=[quote(guide.pk)]))

    @admin.action(description="Publish a copy in the library (as a draft)", permissions=["add"])
    def copy_to_library(self, request: HttpRequest, queryset) -> None:
        from guides.club_guides import copy_to_library

        club_guides = list(queryset.filter(club__isnull=False))
        for guide in club_guides:
            copy = copy_to_library(guide)
            self.log_addition(request, copy, f"Copied from club guide #{guide.pk}.")
        if not club_guides:
            self.message_user(request, "None of the selected guides belongs to a club.", messages.INFO)
            return
        self.message_user(
            request,
            f"Copied {len(club_guides)} club guide(s) into the library as drafts; publish them when checked.",
            messages.SUCCESS,
        )

    @admin.action(description="Export selected guides", permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        guides = list(queryset.order_by("slug"))
        try:
            if len(guides) == 1:
                return json_download(guides[0])
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for guide in guides:
                    archive.writestr(f"{guide.slug}.json", export_guide(guide))
        except GuideExportError as error:
            # Returning nothing brings the editor back to the changelist, where the message shows.
            self.message_user(request, f"Nothing was exported: {error}.", messages.ERROR)
            return None
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, "guides.zip")
        return response


class ClaimAdmin(admin.ModelAdmin):
    """One kind of factual item across all guides, for working through the claims to check.

    Changes made here are recorded in the guide's history, like changes made on the guide's page.
    """

    list_display = ("guide_link", "item", "review_status", "source_url")
    list_display_links = ("item",)
    list_editable = ("review_status", "source_url")
    list_filter = ("review_status", ("guide", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("guide",)
    # The guide by its id with a lookup, as for a guide's club: the autocomplete's combobox has no name.
    raw_id_fields = ("guide",)
    ordering = ("guide__title", "position", "pk")
    actions = ["mark_verified"]
    formfield_overrides = ITEM_FORMFIELDS

    def get_changelist_formset(self, request: HttpRequest, **kwargs):
        return super().get_changelist_formset(request, formset=RowNamedChangeListFormSet, **kwargs)

    @admin.display(description="guide", ordering="guide__title")
    def guide_link(self, item: FactualItem) -> str:
        url = reverse("admin:guides_guide_change", args=[quote(item.guide_id)])
        return format_html('<a href="{}">{}</a>', url, item.guide)

    @admin.display(description="claim")
    def item(self, item: FactualItem) -> str:
        return Truncator(str(item)).chars(120)

    @contextmanager
    def _revision(self, request: HttpRequest) -> Iterator[None]:
        with reversion.create_revision():
            reversion.set_user(request.user)
            yield

    def changeform_view(self, request, *args, **kwargs):
        with self._revision(request):
            return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        with self._revision(request):
            return super().changelist_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        with self._revision(request):
            return super().delete_view(request, *args, **kwargs)

    def _comment(self, obj: FactualItem, entry) -> None:
        if reversion.is_active():
            reversion.set_comment(f"{str(obj._meta.verbose_name).capitalize()}: {entry.get_change_message()}")

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._comment(obj, entry)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._comment(obj, entry)
        return entry

    def save_model(self, request, obj, form, change):
        previous_guide_id = form.initial.get("guide") if change else None
        super().save_model(request, obj, form, change)
        refresh_guide(obj.guide, new_rows=[] if change else [obj])
        if previous_guide_id and previous_guide_id != obj.guide_id:
            refresh_guide(Guide.objects.get(pk=previous_guide_id))

    def delete_model(self, request, obj):
        guide = obj.guide
        super().delete_model(request, obj)
        refresh_guide(guide)

    def delete_queryset(self, request, queryset):
        guides = list(Guide.objects.filter(pk__in=queryset.values("guide_id")))
        super().delete_queryset(request, queryset)
        for guide in guides:
            refresh_guide(guide)

    @admin.action(description="Mark as verified", permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset) -> None:
        items = list(queryset.filter(review_status=ReviewStatus.UNVERIFIED).select_related("guide"))
        if not items:
            self.message_user(request, "All the selected claims were already verified.", messages.INFO)
            return
        self.model.objects.filter(pk__in=[item.pk for item in items]).update(
            review_status=ReviewStatus.VERIFIED
        )
        for item in items:
            self.log_change(request, item, "Marked as verified.")
        guides = {item.guide_id: item.guide for item in items}
        Guide.objects.filter(pk__in=guides.keys()).touch()  # the update above sends no signals
        for guide in guides.values():
            record_guide_revision(guide, guide.load_sections())
        noun = self.opts.verbose_name if len(items) == 1 else self.opts.verbose_name_plural
        reversion.set_comment(f"Marked {len(items)} {noun} as verified.")
        self.message_user(request, f"Marked {len(items)} {noun} as verified.", messages.SUCCESS)


@admin.register(Adaptation)
class AdaptationAdmin(ClaimAdmin):
    search_fields = ("title", "notes", "guide__title", "guide__author")
    fields = ("guide", ("position", "kind", "year"), "title", "notes", ("review_status", "source_url"))


@admin.register(OtherBook)
class OtherBookAdmin(ClaimAdmin):
    search_fields = ("title", "guide__title", "guide__author")
    fields = ("guide", ("position", "title", "year"), ("review_status", "source_url"))


@admin.register(Trivia)
class TriviaAdmin(ClaimAdmin):
    search_fields = ("text", "guide__title", "guide__author")
    fields = ("guide", "position", "text", ("review_status", "source_url"))
