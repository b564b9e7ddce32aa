"""Every club-guide URL against every kind of visitor (the table of tests/sessions/test_access_matrix.py,
grown to a club's own guides): anonymous, outsider, guest, member, host and staff. Outsiders, staff
included, get 404; members read; only hosts write. A guide is found through its own club only."""

# Fixtures imported from other test modules are parameters of the tests here (pytest's way of sharing
# them without a conftest that every guides test would see); ruff reads those parameters as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.urls import reverse
from reversion.models import Version

from guides.club_forms import GuideContent
from guides.club_guides import save_guide
from guides.models import Guide
from sessions.models import Club
from tests.sessions.conftest import club, guide, host, member, outsider, staff  # noqa: F401
from tests.sessions.test_access_matrix import HTMX, LOGIN, REDIRECT, ROLES, world  # noqa: F401

OK = 200

CONTENT = {
    "title": "The Salt Road",
    "author": "Ada Quill",
    "questions": "Why the road?\nWhy the salt?",
}


@pytest.fixture
def club_guide(world) -> Guide:
    first = save_guide(
        GuideContent(title="The Salt Road", author="Ada Quill", questions=["Why the road?"]),
        by=None,
        club=world.club,
    )
    return save_guide(
        GuideContent(title="The Salt Road", author="Ada Quill", questions=["Why the road?", "Why salt?"]),
        by=None,
        guide=first,
    )


def _guide_url(name: str, data: dict | None = None):
    def build(world, guide):
        return reverse(f"club_guides:{name}", args=[world.club.slug, guide.pk]), dict(data or {})

    return build


def _club_url(name: str, data: dict | None = None):
    def build(world, guide):
        return reverse(f"club_guides:{name}", args=[world.club.slug]), dict(data or {})

    return build


def _revert(world, guide):
    oldest = Version.objects.get_for_object(guide).order_by("pk").first()
    return reverse("club_guides:revert", args=[world.club.slug, guide.pk, oldest.pk]), {}


# Expected per ROLES: anonymous, outsider, guest, member, host, staff.
CASES = {
    "guide page": ("get", _guide_url("detail"), (LOGIN, 404, LOGIN, OK, OK, 404)),
    "new guide form": ("get", _club_url("new"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "new guide": ("post", _club_url("new", CONTENT), (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
    "import form": ("get", _club_url("import"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "import read": (
        "post",
        _club_url("import", {"action": "read", "pasted": "1. Why?\n2. How?"}),
        (LOGIN, 404, LOGIN, 403, OK, 404),
    ),
    "edit form": ("get", _guide_url("edit"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "edit": ("post", _guide_url("edit", CONTENT), (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
    "history": ("get", _guide_url("history"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "revert": ("post", _revert, (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
}
MATRIX = [(name, role, htmx) for name in CASES for role in ROLES for htmx in (False, True)]


@pytest.mark.parametrize(("name", "role", "htmx"), MATRIX)
def test_each_visitor_gets_what_the_access_rules_allow(world, club_guide, name, role, htmx):
    method, build, expected_by_role = CASES[name]
    expected = expected_by_role[ROLES.index(role)]
    url, data = build(world, club_guide)
    client = world.clients[role]
    headers = HTMX if htmx else {}
    response = (
        client.get(url, headers=headers) if method == "get" else client.post(url, data, headers=headers)
    )

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == REDIRECT:
        assert response.status_code == 302, response.content[:500]
        assert not response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected


def test_refused_writes_change_nothing(world, club_guide):
    before = list(club_guide.questions.values_list("text", flat=True))
    for role in ("anonymous", "outsider", "guest", "member", "staff"):
        world.clients[role].post(reverse("club_guides:edit", args=[world.club.slug, club_guide.pk]), CONTENT)
        world.clients[role].post(reverse("club_guides:new", args=[world.club.slug]), CONTENT)
    assert list(club_guide.questions.values_list("text", flat=True)) == before
    assert Guide.objects.filter(club=world.club).count() == 1


def test_a_guide_is_found_only_through_its_own_club(world, club_guide, host):
    # The host also hosts another club: its URL with this club's guide id is still a 404.
    other = Club.create(name="Other Readers", host=host)
    client = world.clients["host"]
    for name in ("detail", "edit", "history"):
        assert client.get(reverse(f"club_guides:{name}", args=[other.slug, club_guide.pk])).status_code == 404


def test_a_version_of_another_guide_cannot_be_reverted_through_this_one(world, club_guide):
    another = save_guide(
        GuideContent(title="Other", author="A. N. Other", questions=["Q?"]), by=None, club=world.club
    )
    foreign = Version.objects.get_for_object(another).first()
    url = reverse("club_guides:revert", args=[world.club.slug, club_guide.pk, foreign.pk])
    assert world.clients["host"].post(url).status_code == 404


def test_club_guides_stay_out_of_the_public_library_even_for_staff(world, club_guide):
    for role in ("anonymous", "outsider", "member", "staff"):
        client = world.clients[role]
        assert client.get(reverse("guides:detail", args=[club_guide.slug])).status_code == 404
        assert "The Salt Road" not in client.get(reverse("guides:list")).content.decode()
        assert "The Salt Road" not in client.get(reverse("home")).content.decode()


def test_another_clubs_host_cannot_schedule_a_meeting_on_this_clubs_guide(world, club_guide, outsider):
    theirs = Club.create(name="Elsewhere", host=outsider)
    response = world.clients["outsider"].get(
        reverse("sessions:meeting_create", args=[theirs.slug]) + f"?guide={club_guide.pk}"
    )
    assert response.status_code == 200
    assert "Why salt?" not in response.content.decode()
    assert f'value="{club_guide.pk}"' not in response.content.decode()


@pytest.mark.parametrize(
    "name", ["club_guides:new", "club_guides:import", "club_guides:edit", "club_guides:revert"]
)
def test_every_post_needs_the_csrf_token(world, club_guide, name, host):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(host)
    if name == "club_guides:revert":
        url, _ = _revert(world, club_guide)
    elif name == "club_guides:edit":
        url = reverse(name, args=[world.club.slug, club_guide.pk])
    else:
        url = reverse(name, args=[world.club.slug])
    assert client.post(url, CONTENT).status_code == 403
    assert client.post(url, CONTENT, headers=HTMX).status_code == 403
