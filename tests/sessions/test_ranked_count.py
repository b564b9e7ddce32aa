"""The instant-runoff count (sessions/ranked.py) against examples worked by hand, and its properties."""

from hypothesis import given
from hypothesis import strategies as st

from sessions.ranked import Rule, instant_runoff

A, B, C, D = 1, 2, 3, 4  # candidate ids, nominated in this order


def test_a_majority_of_first_preferences_wins_in_the_first_round():
    count = instant_runoff([[A], [A, B], [B]], [A, B])
    assert count.winner == A
    assert len(count.rounds) == 1
    assert count.rounds[0].tallies == {A: 2, B: 1}
    assert count.rounds[0].rule == Rule.MAJORITY


def test_the_last_book_transfers_its_ballots_to_their_next_choice():
    # 4 A, 3 B, 2 C-then-B. Round 1: no one has more than 4.5; C is out and its ballots go to B (5 of 9).
    ballots = [[A]] * 4 + [[B]] * 3 + [[C, B]] * 2
    count = instant_runoff(ballots, [A, B, C])
    assert [r.tallies for r in count.rounds] == [{A: 4, B: 3, C: 2}, {A: 4, B: 5}]
    assert count.rounds[0].eliminated == C
    assert count.rounds[0].rule == Rule.FEWEST_VOTES
    assert count.winner == B
    assert count.rounds[1].rule == Rule.MAJORITY


def test_exhausted_ballots_stop_counting_and_the_majority_is_of_those_still_counting():
    # 4 A, 3 B, 2 C with no later choice. C out: its 2 ballots are exhausted, and 4 of the 7 still
    # counting is a majority, though not of the 9 cast.
    ballots = [[A]] * 4 + [[B]] * 3 + [[C]] * 2
    count = instant_runoff(ballots, [A, B, C])
    final = count.rounds[-1]
    assert final.tallies == {A: 4, B: 3}
    assert final.exhausted == 2
    assert final.counting == 7
    assert count.winner == A
    assert final.rule == Rule.MAJORITY


def test_a_tie_for_last_place_is_broken_by_first_preferences():
    # Round 1: A 6, B 3, C 2, D 1; D out, its ballot goes to C. Round 2: A 6, B 3, C 3 (A's 6 of 12 is
    # no majority). B and C tie for last; C had 2 first preferences to B's 3, so C is out.
    ballots = [[A]] * 6 + [[B]] * 3 + [[C]] * 2 + [[D, C]]
    count = instant_runoff(ballots, [A, B, C, D])
    second = count.rounds[1]
    assert second.tallies == {A: 6, B: 3, C: 3}
    assert second.tied == [B, C]
    assert second.eliminated == C
    assert second.rule == Rule.FIRST_PREFERENCES
    assert count.winner == A
    assert count.rounds[2].exhausted == 3
    assert count.deciding_rule == Rule.FIRST_PREFERENCES


def test_a_tie_on_votes_and_first_preferences_is_broken_by_nomination_order():
    # A 2, B 1, C-then-B 1: A's 2 of 4 is no majority. B and C tie with 1 vote and 1 first preference
    # each; C was nominated later, so C is out and its ballot goes to B. Round 2: A 2, B 2; A had more
    # first preferences, so B is out and A wins.
    ballots = [[A]] * 2 + [[B]] + [[C, B]]
    count = instant_runoff(ballots, [A, B, C])
    first = count.rounds[0]
    assert first.tied == [B, C]
    assert first.eliminated == C
    assert first.rule == Rule.NOMINATION_ORDER
    assert count.rounds[1].tallies == {A: 2, B: 2}
    assert count.rounds[1].eliminated == B
    assert count.rounds[1].rule == Rule.FIRST_PREFERENCES
    assert count.winner == A
    assert count.deciding_rule == Rule.NOMINATION_ORDER


def test_a_two_way_tie_at_the_end_goes_to_the_earlier_nomination():
    count = instant_runoff([[A], [B]], [A, B])
    assert count.rounds[0].eliminated == B
    assert count.rounds[0].rule == Rule.NOMINATION_ORDER
    assert count.winner == A
    assert count.rounds[-1].rule == Rule.LAST_STANDING


def test_nomination_order_breaks_the_tie_whichever_way_the_ids_run():
    # Nominated B first, then A: A is the later nomination and goes out.
    count = instant_runoff([[A], [B]], [B, A])
    assert count.winner == B


def test_no_ballots_means_no_winner():
    count = instant_runoff([], [A, B])
    assert count.winner is None
    assert count.rounds == []
    count = instant_runoff([[]], [A, B])
    assert count.winner is None


def test_unknown_books_and_repeats_in_a_ballot_are_ignored():
    count = instant_runoff([[99, A, A, B], [B, 99], [A]], [A, B])
    assert count.rounds[0].tallies == {A: 2, B: 1}
    assert count.first_preferences == {A: 2, B: 1}


def test_every_round_accounts_for_every_ballot():
    ballots = [[A, B, C], [B], [C, A], [D], [D, B], [C]]
    count = instant_runoff(ballots, [A, B, C, D])
    for round_ in count.rounds:
        assert round_.counting + round_.exhausted == len(ballots)


candidates_strategy = st.integers(min_value=1, max_value=6).map(lambda n: list(range(1, n + 1)))


@st.composite
def elections(draw):
    candidates = draw(candidates_strategy)
    ballot = st.permutations(candidates).flatmap(
        lambda order: st.integers(1, len(order)).map(lambda k: order[:k])
    )
    ballots = draw(st.lists(ballot, min_size=1, max_size=40))
    return candidates, ballots


@given(elections())
def test_a_majority_first_preference_winner_always_wins(election):
    candidates, ballots = election
    firsts = {c: sum(1 for b in ballots if b[0] == c) for c in candidates}
    leader = max(candidates, key=firsts.get)
    count = instant_runoff(ballots, candidates)
    if firsts[leader] * 2 > len(ballots):
        assert count.winner == leader
        assert len(count.rounds) == 1


@given(elections())
def test_the_count_always_ends_with_a_winner_among_the_candidates(election):
    candidates, ballots = election
    count = instant_runoff(ballots, candidates)
    assert count.winner in candidates
    assert len(count.rounds) <= len(candidates)
    eliminated = [r.eliminated for r in count.rounds if r.eliminated is not None]
    assert count.winner not in eliminated
    assert len(set(eliminated)) == len(eliminated)
    for round_ in count.rounds:
        assert round_.counting + round_.exhausted == len(ballots)
