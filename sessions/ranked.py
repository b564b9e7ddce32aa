"""Instant-runoff (ranked-choice) count for choosing the next book.

Each ballot ranks some of the candidates, best first. In each round every ballot counts for its highest
ranked candidate still in the running; a ballot with none left is exhausted. A candidate with more than
half of the ballots still counting wins. Otherwise the candidate with the fewest votes is out and the
next round begins.

A tie for last place is broken, in order, by:
1. first preferences: of the tied, the one fewest ballots ranked first is out;
2. nomination order: of those still tied, the one nominated last is out.
Every round records which rule decided it, so the page can say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class Rule:
    MAJORITY = "majority"
    LAST_STANDING = "last_standing"
    FEWEST_VOTES = "fewest_votes"
    FIRST_PREFERENCES = "first_preferences"
    NOMINATION_ORDER = "nomination_order"


@dataclass
class Round:
    number: int
    tallies: dict[int, int]  # candidate -> ballots counting for it, for every candidate still in
    exhausted: int
    eliminated: int | None = None
    rule: str = ""  # why `eliminated` went out, or why the winner won (majority / last standing)
    tied: list[int] = field(default_factory=list)  # the candidates tied for last place, if any

    @property
    def counting(self) -> int:
        return sum(self.tallies.values())


@dataclass
class Count:
    rounds: list[Round]
    winner: int | None
    first_preferences: dict[int, int]

    @property
    def deciding_rule(self) -> str:
        """The tie rule that decided the count, if any round needed one."""
        for round_ in self.rounds:
            if round_.rule in (Rule.FIRST_PREFERENCES, Rule.NOMINATION_ORDER):
                return round_.rule
        return ""


def instant_runoff(ballots: Sequence[Sequence[int]], candidates: Sequence[int]) -> Count:
    """Count `ballots` (each a ranking of candidate ids, best first) over `candidates`, given in
    nomination order. Rankings may be partial; unknown ids and repeats in a ballot are ignored."""
    order = {candidate: index for index, candidate in enumerate(candidates)}
    cleaned = [_clean(ballot, order) for ballot in ballots]
    cleaned = [ballot for ballot in cleaned if ballot]
    first = {candidate: 0 for candidate in candidates}
    for ballot in cleaned:
        first[ballot[0]] += 1
    if not cleaned or not candidates:
        return Count(rounds=[], winner=None, first_preferences=first)

    running = list(candidates)
    rounds: list[Round] = []
    while True:
        tallies = {candidate: 0 for candidate in running}
        exhausted = 0
        for ballot in cleaned:
            top = next((choice for choice in ballot if choice in tallies), None)
            if top is None:
                exhausted += 1
            else:
                tallies[top] += 1
        round_ = Round(number=len(rounds) + 1, tallies=tallies, exhausted=exhausted)
        rounds.append(round_)
        counting = round_.counting
        leader = max(running, key=lambda c: (tallies[c], first[c], -order[c]))
        if len(running) == 1:
            round_.rule = Rule.LAST_STANDING
            return Count(rounds=rounds, winner=leader, first_preferences=first)
        if tallies[leader] * 2 > counting:
            round_.rule = Rule.MAJORITY
            return Count(rounds=rounds, winner=leader, first_preferences=first)
        round_.eliminated, round_.rule, round_.tied = _last_place(running, tallies, first, order)
        running.remove(round_.eliminated)


def _clean(ballot: Sequence[int], order: dict[int, int]) -> list[int]:
    seen: list[int] = []
    for choice in ballot:
        if choice in order and choice not in seen:
            seen.append(choice)
    return seen


def _last_place(
    running: list[int], tallies: dict[int, int], first: dict[int, int], order: dict[int, int]
) -> tuple[int, str, list[int]]:
    fewest = min(tallies[c] for c in running)
    tied = [c for c in running if tallies[c] == fewest]
    if len(tied) == 1:
        return tied[0], Rule.FEWEST_VOTES, []
    fewest_first = min(first[c] for c in tied)
    still_tied = [c for c in tied if first[c] == fewest_first]
    if len(still_tied) == 1:
        return still_tied[0], Rule.FIRST_PREFERENCES, tied
    latest = max(still_tied, key=lambda c: order[c])
    return latest, Rule.NOMINATION_ORDER, tied
