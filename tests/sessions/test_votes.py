"""Choosing the next book: opening a vote, nominating, ranking, closing and the count on the page."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from bookclub import ratelimit
from guides.models import Guide
from sessions.models import Ballot, BookVote, Nomination
from tests.sessions.conftest import client_for

HTMX = {"HX-Request": "true"}
pytestmark = pytest.mark.usefixtures("empty_cache")


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


@pytest.fixture
def vote(club, host) -> BookVote:
    return BookVote.open(club=club, by=host, closes_at=timezone.now() + timedelta(days=7))


def nominate(vote, user, title, **extra) -> Nomination:
    return vote.nominate(by=user, title=title, author=extra.pop("author", "Someone"), **extra)


@pytest.fixture
def voting(vote, host, member) -> BookVote:
    nominate(vote, host, "Klara and the Sun")
    nominate(vote, member, "The Remains of the Day")
    nominate(vote, member, "A Pale View of Hills")
    vote.start_voting()
    return vote


def ids(vote) -> dict[str, int]:
    return {n.title: n.pk for n in vote.nominations.all()}


# ---------- Opening a vote ----------


def test_a_host_opens_a_vote_with_a_close_date(host_client, club):
    closes = (timezone.now() + timedelta(days=3)).astimezone(club.tzinfo)
    response = host_client.post(
        url("vote_create", club.slug),
        {
            "title": "Choose our next book",
            "closes_at": f"{closes:%Y-%m-%dT%H:%M}",
            "nominations_per_member": 2,
        },
    )
    vote = BookVote.objects.get()
    assert response.status_code == 302
    assert response.url == url("vote", vote.pk)
    assert vote.is_nominating
    assert vote.nominations_per_member == 2
    assert vote.show_tallies_live is False


def test_a_vote_form_with_a_past_date_comes_back_with_what_was_typed(host_client, club):
    response = host_client.post(
        url("vote_create", club.slug),
        {"title": "Spring picks", "closes_at": "2001-01-01T10:00", "nominations_per_member": 3},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Pick a date and time in the future." in page
    assert 'value="Spring picks"' in page
    assert not BookVote.objects.exists()


def test_a_member_cannot_open_a_vote(member_client, club):
    assert member_client.get(url("vote_create", club.slug)).status_code == 403


# ---------- Nominating ----------


def test_a_member_nominates_a_book_by_title_with_a_reason(member_client, vote):
    response = member_client.post(
        url("nominate", vote.pk),
        {"title": "Klara and the Sun", "author": "Kazuo Ishiguro", "reason": "Short."},
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert (nomination.title, nomination.author, nomination.reason) == (
        "Klara and the Sun",
        "Kazuo Ishiguro",
        "Short.",
    )
    assert "Klara and the Sun" in member_client.get(url("vote", vote.pk)).content.decode()


def test_a_nomination_can_link_a_guide(member_client, vote, guide):
    member_client.post(url("nominate", vote.pk), {"guide": guide.pk})
    nomination = Nomination.objects.get()
    assert nomination.guide == guide
    assert nomination.title == "Never Let Me Go"


def test_a_member_is_held_to_the_hosts_nomination_limit(member_client, vote):
    member_client.post(url("nominate", vote.pk), {"title": "One"})
    member_client.post(url("nominate", vote.pk), {"title": "Two"})
    response = member_client.post(url("nominate", vote.pk), {"title": "Three", "reason": "Because."})
    page = response.content.decode()
    assert response.status_code == 422
    assert "You have used your 2 nominations for this vote." in page
    assert 'value="Three"' in page and "Because." in page
    assert vote.nominations.count() == 2


def test_a_book_the_club_already_met_on_is_refused_with_the_date_it_was_read(member_client, vote, meeting):
    meeting.start()
    meeting.end()
    response = member_client.post(url("nominate", vote.pk), {"title": "never let me go"})
    when = timezone.localtime(meeting.starts_at, meeting.club.tzinfo)
    assert response.status_code == 422
    assert f"The club already met on “Never Let Me Go”, on {when:%-d %B %Y}." in response.content.decode()
    assert not Nomination.objects.exists()


def test_the_same_book_cannot_be_nominated_twice(member_client, host, vote):
    nominate(vote, host, "Klara and the Sun")
    response = member_client.post(url("nominate", vote.pk), {"title": "KLARA AND THE SUN"})
    assert response.status_code == 422
    assert "is already nominated" in response.content.decode()


def test_a_nomination_needs_a_title_or_a_guide(member_client, vote):
    response = member_client.post(url("nominate", vote.pk), {"title": "  ", "author": "Anon"})
    assert response.status_code == 422
    assert "Give the book&#x27;s title, or pick a book with a guide." in response.content.decode()


def test_nominations_close_when_voting_starts(member_client, voting):
    response = member_client.post(url("nominate", voting.pk), {"title": "Too late"}, follow=True)
    assert "Nominations are closed for this vote." in response.content.decode()
    assert not voting.nominations.filter(title="Too late").exists()


def test_a_member_withdraws_their_own_nomination_but_not_anothers(member_client, vote, host, member):
    own = nominate(vote, member, "Mine")
    theirs = nominate(vote, host, "Theirs")
    member_client.post(url("nomination_withdraw", vote.pk, own.pk))
    member_client.post(url("nomination_withdraw", vote.pk, theirs.pk))
    assert list(vote.nominations.values_list("title", flat=True)) == ["Theirs"]


def test_nominations_are_rate_limited(member_client, vote, settings, monkeypatch):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "nominate": "3/hour"}
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_700_000_070.0))
    statuses = [
        member_client.post(url("nominate", vote.pk), {"title": f"Book {n}"}).status_code for n in range(4)
    ]
    assert statuses[:3] == [302, 302, 422]  # the third is over the nomination limit of 2, not the rate
    assert statuses[3] == 429


# ---------- Voting ----------


def test_the_host_starts_voting_and_a_second_click_changes_nothing(host_client, vote, host):
    nominate(vote, host, "Klara and the Sun")
    host_client.post(url("vote_start", vote.pk))
    host_client.post(url("vote_start", vote.pk))
    vote.refresh_from_db()
    assert vote.is_voting


def test_voting_cannot_start_without_nominations(host_client, vote):
    response = host_client.post(url("vote_start", vote.pk), follow=True)
    assert "Nominate at least one book before voting starts." in response.content.decode()
    vote.refresh_from_db()
    assert vote.is_nominating


def test_a_member_ranks_books_with_buttons_alone(member_client, member, voting):
    books = ids(voting)
    klara, remains, pale = (
        books["Klara and the Sun"],
        books["The Remains of the Day"],
        books["A Pale View of Hills"],
    )
    post = lambda ranking, action: member_client.post(  # noqa: E731
        url("ballot", voting.pk), {"ranking": ranking, "action": action}
    )
    assert post([], f"add:{klara}").status_code == 302
    post([klara], f"add:{pale}")
    post([klara, pale], f"up:{pale}")
    assert Ballot.objects.get(user=member).ranking == [pale, klara]
    post([pale, klara], f"add:{remains}")
    post([pale, klara, remains], f"down:{pale}")
    assert Ballot.objects.get(user=member).ranking == [klara, pale, remains]
    post([klara, pale, remains], f"remove:{klara}")
    assert Ballot.objects.get(user=member).ranking == [pale, remains]


def test_a_dragged_order_is_saved_as_sent(member_client, member, voting):
    order = list(reversed(list(ids(voting).values())))
    member_client.post(url("ballot", voting.pk), {"ranking": order, "action": "save"})
    assert Ballot.objects.get(user=member).ranking == order


def test_an_htmx_ballot_change_returns_the_ballot_with_the_new_order(member_client, voting):
    books = ids(voting)
    response = member_client.post(
        url("ballot", voting.pk),
        {"ranking": [], "action": f"add:{books['A Pale View of Hills']}"},
        headers=HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<form class="section ballot" id="ballot"')
    assert "Your ranking is saved." in page
    assert page.index("A Pale View of Hills") < page.index("Not ranked")


def test_a_ballot_naming_a_book_not_in_the_vote_is_refused(member_client, member, voting):
    response = member_client.post(
        url("ballot", voting.pk), {"ranking": ["99999"], "action": "save"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "That book is not nominated in this vote." in response.content.decode()
    assert not Ballot.objects.filter(user=member).exists()


def test_ballots_are_refused_before_voting_starts(member_client, member, vote, host):
    nomination = nominate(vote, host, "Early")
    member_client.post(url("ballot", vote.pk), {"action": f"add:{nomination.pk}"})
    assert not Ballot.objects.exists()


def test_votes_are_rate_limited(member_client, voting, settings, monkeypatch):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "2/minute"}
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_700_000_070.0))
    pk = next(iter(ids(voting).values()))
    statuses = [member_client.post(url("ballot", voting.pk), {"ranking": [pk]}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]


# ---------- Tallies, closing and the result ----------


def cast(vote, rankings: dict[User, list[str]]):
    books = ids(vote)
    for user, titles in rankings.items():
        vote.cast(user, [books[title] for title in titles])


def test_tallies_stay_hidden_until_the_vote_closes(member_client, member, voting):
    cast(voting, {member: ["Klara and the Sun"]})
    page = member_client.get(url("vote", voting.pk)).content.decode()
    assert "Round 1" not in page
    assert "The tally stays hidden until the vote closes." in page
    assert "1 ballot cast" in page


def test_the_host_can_show_tallies_live(member_client, member, voting):
    BookVote.objects.filter(pk=voting.pk).update(show_tallies_live=True)
    cast(voting, {member: ["Klara and the Sun"]})
    page = member_client.get(url("vote", voting.pk)).content.decode()
    assert "The tally so far" in page
    assert "Round 1" in page


def test_closing_shows_the_count_round_by_round_and_the_rule_that_decided(host_client, host, member, voting):
    # Host: Klara; member: Remains. 1-1: a tie on votes and first preferences; the later nomination goes.
    cast(voting, {host: ["Klara and the Sun"], member: ["The Remains of the Day"]})
    response = host_client.post(url("vote_close", voting.pk), follow=True)
    page = response.content.decode()
    assert "The club chose <strong>Klara and the Sun</strong>" in page
    assert "Round 1" in page and "Round 2" in page and "Round 3" in page
    assert "Decided by the tie rule: the book nominated later goes out." in page
    assert "A tie was broken by nomination order" in page
    voting.refresh_from_db()
    assert voting.is_closed
    assert voting.winner.title == "Klara and the Sun"


def test_the_result_never_changes_after_the_close(host_client, host, member, voting):
    cast(voting, {host: ["A Pale View of Hills"]})
    voting.close()
    Ballot.objects.all().delete()
    page = host_client.get(url("vote", voting.pk)).content.decode()
    assert "The club chose <strong>A Pale View of Hills</strong>" in page


def test_a_vote_closes_by_itself_at_its_close_date(member_client, member, voting):
    cast(voting, {member: ["The Remains of the Day"]})
    BookVote.objects.filter(pk=voting.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    page = member_client.get(url("vote", voting.pk)).content.decode()
    assert "The club chose <strong>The Remains of the Day</strong>" in page
    assert BookVote.objects.get(pk=voting.pk).is_closed


def test_only_a_host_closes_a_vote(member_client, voting):
    assert member_client.post(url("vote_close", voting.pk)).status_code == 403
    assert not BookVote.objects.get(pk=voting.pk).is_closed


def test_the_winner_with_a_guide_gets_a_button_to_schedule_a_meeting_on_it(host_client, host, vote, guide):
    # Never Let Me Go was not met on yet: it can be nominated.
    vote.nominate(by=host, guide=guide, title="")
    vote.start_voting()
    vote.cast(host, [vote.nominations.get().pk])
    vote.close()
    page = host_client.get(url("vote", vote.pk)).content.decode()
    schedule = f"{url('meeting_create', vote.club.slug)}?guide={guide.pk}"
    assert f'href="{schedule}">Schedule a meeting on this book</a>' in page
    form = host_client.get(schedule).content.decode()
    assert f'<option value="{guide.pk}" selected>' in form


def test_a_winner_without_a_guide_says_a_guide_is_needed(host_client, host, voting):
    cast(voting, {host: ["Klara and the Sun"]})
    voting.close()
    page = host_client.get(url("vote", voting.pk)).content.decode()
    assert "Schedule a meeting on this book" not in page
    assert "There is no guide for this book yet." in page


def test_a_winner_whose_title_matches_a_published_guide_links_that_guide(host_client, host, voting):
    guide = Guide.objects.create(
        title="Klara and the Sun", author="Kazuo Ishiguro", status=Guide.Status.PUBLISHED
    )
    cast(voting, {host: ["Klara and the Sun"]})
    voting.close()
    page = host_client.get(url("vote", voting.pk)).content.decode()
    assert f"?guide={guide.pk}" in page


def test_no_ballots_close_without_a_winner(host_client, voting):
    host_client.post(url("vote_close", voting.pk))
    page = host_client.get(url("vote", voting.pk)).content.decode()
    assert "No ballots were cast." in page
    assert BookVote.objects.get(pk=voting.pk).winner is None


# ---------- Query counts ----------


def grow(vote, host, nominations: int, members: int) -> None:
    club = vote.club
    vote.nominations_per_member = nominations
    vote.save()
    for n in range(nominations):
        vote.nominate(by=host, title=f"Book {n}")
    vote.start_voting()
    candidates = list(vote.nominations.values_list("pk", flat=True))
    for m in range(members):
        user = User.objects.create_user(f"reader{m}-{nominations}")
        club.join(user)
        vote.cast(user, candidates[m % len(candidates) :] + candidates[: m % len(candidates)])


@pytest.mark.parametrize("size", [(2, 3), (20, 60)], ids=["small", "large"])
@pytest.mark.parametrize("closed", [False, True], ids=["voting", "closed"])
def test_the_vote_page_makes_a_fixed_number_of_queries(django_assert_num_queries, vote, host, size, closed):
    grow(vote, host, *size)
    if closed:
        vote.close()
    client = client_for(host)
    # session, user, vote with club, membership, nominations, ballots (+ the published-guide lookup
    # for a closed vote's winner without a guide)
    with django_assert_num_queries(7 if closed else 6):
        response = client.get(url("vote", vote.pk))
    assert response.status_code == 200
    assert response.content.decode().count('class="nomination"') == size[0]


def test_the_club_page_shows_the_current_vote_and_the_next_meetings_reading(
    member_client, club, voting, meeting
):
    meeting.set_reading_plan(unit="part", target=2)
    page = member_client.get(url("club", club.slug)).content.decode()
    assert "What's next" in page
    assert f'href="{url("vote", voting.pk)}">Choose our next book</a>' in page
    assert "Read by then: <strong>Parts 1-2</strong>" in page
