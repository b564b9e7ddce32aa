"""URLs of a club's own guides; they live under the club, whose members alone may see them."""

from django.urls import path

from guides import club_views

app_name = "club_guides"
urlpatterns = [
    path("clubs/<slug:slug>/guides/new/", club_views.guide_create, name="new"),
    path("clubs/<slug:slug>/guides/import/", club_views.guide_import, name="import"),
    path("clubs/<slug:slug>/guides/<int:pk>/", club_views.guide_detail, name="detail"),
    path("clubs/<slug:slug>/guides/<int:pk>/edit/", club_views.guide_edit, name="edit"),
    path("clubs/<slug:slug>/guides/<int:pk>/history/", club_views.guide_history, name="history"),
    path(
        "clubs/<slug:slug>/guides/<int:pk>/history/<int:version_id>/revert/",
        club_views.guide_revert,
        name="revert",
    ),
]
