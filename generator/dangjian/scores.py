"""Yearly member scores (党员积分履责制) and star ratings, exactly as the format defines them.

A member with a scored status is scored for year Y only when `joined` is on or before
31 December of Y (format 1.1: no score for a year before admission). Score for Y: start at `base`; per rule,
sum its points from ledger entries and activity attendance dated in Y (up to an optional last day), the
sum's absolute value limited to `max_per_year`; clamp to 0..cap. Arithmetic is on
Fractions of the decimal values written in the files.

Time (dated histories, issue 20; rolls.py): a member with a `history:` is scored for Y only when, besides
`joined` by 31 December of Y, they were in the party (预备党员 or 正式党员 on a roll of this registry) on
at least one day of Y; an event counts only when dated on a day they were on a roll with a scored status
(a member who left in June is scored for that year on the events before leaving; nothing after counts;
nothing from before their status became 预备党员 counts). `joined_by(m, day)` is "in the party on that
day". A member without a history is timeless: every event of a year counts, as in format 1.1.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction
from typing import Any, cast

from .load import Record
from .model import Registry
from .rolls import Rolls


@dataclass(frozen=True)
class MemberScore:
    """A member's yearly score and star rating."""

    member: str
    score: Fraction
    stars: int


def exact_sum(values: Iterable[Fraction]) -> Fraction:
    """The sum of `values`, exactly what `sum(values, Fraction(0))` gives: the numerators are added per
    denominator first (scores share a few denominators), so a county's averages take a few Fraction
    additions instead of one per member."""
    numerators: dict[int, int] = {}
    for value in values:
        numerators[value.denominator] = numerators.get(value.denominator, 0) + value.numerator
    return sum((Fraction(n, d) for d, n in numerators.items()), Fraction(0))


def stars_for(score: Fraction, thresholds: dict[int, Fraction]) -> int:
    """The largest star count whose threshold the score reaches (0 if none)."""
    return max((stars for stars, low in thresholds.items() if score >= low), default=0)


# member id -> the ledger files and the activity files naming them, in the registry's order (`site/keptparts.py`)
Naming = Callable[[str], tuple[Sequence[str], Sequence[str]]]


class ScoreBook:
    """Every member's dated points events, indexed once, to score any member for any year."""

    def __init__(self, reg: Registry, rolls: Rolls | None = None, *, naming: Naming | None = None) -> None:
        """`naming`: which files name a member: their events are then gathered member by member, from those files
        alone, until something asks for every member's (a build that kept most orgs' parts asks for a few)."""
        self.reg = reg
        self._naming = naming
        self._gathered: dict[str, tuple[list, list, list]] = {}
        self._named: dict[tuple[str, str], dict[str, list[Record]]] = {}  # (kind, file) -> member -> their records
        book = reg.rulebook
        self.base = Fraction(book.get("base", 0)) if book else Fraction(0)
        self.cap = Fraction(book.get("cap", 0)) if book else Fraction(0)
        self.rules = reg.points_rules
        # who is in the party when: the fast path for members without a history
        self.rolls = rolls if rolls is not None else Rolls(reg)
        self._memo: dict[tuple[str, int, datetime.date], Fraction] = {}
        # A score depends only on how many events of each rule counted: members share a few such tallies
        # (a county has about a hundred for ten thousand members), so each is added up once.
        self._tallies: dict[tuple[tuple[str, int], ...], Fraction] = {}
        self._years: dict[str, dict[int, tuple[tuple[str, int], ...]]] = {}  # see `_whole_years`

    # The events are indexed when first asked for (a build that kept every org's own parts, `parts.py`, asks none), or
    # gathered member by member from the files naming them (`naming`).
    @property
    def events(self) -> Mapping[str, list[tuple[datetime.date, str]]]:
        """Member id -> their dated points events (day, rule): their ledger entries', then their activities', each in
        the files' order."""
        return self._indexed[0] if self._naming is None else _ByMember(self, 0)

    @property
    def ledger(self) -> Mapping[str, list[Record]]:
        """Where each member's events come from, in the files' order, for the duty book (duty.py) to take a year apart
        without indexing a million ledger entries again: their ledger entries…"""
        return self._indexed[1] if self._naming is None else _ByMember(self, 1)

    @property
    def attended(self) -> Mapping[str, list[Record]]:
        """…and the activities with a rule and a date that list them (planned ones too, which score nothing: the duty
        book sees what it saw)."""
        return self._indexed[2] if self._naming is None else _ByMember(self, 2)

    def _gather(self, member_id: str) -> tuple[list, list, list]:
        """A member's events, ledger entries and activities attended, from the files naming them alone (each file's
        records read once, for every member it names): what the full index holds of them, in the same order."""
        found = self._gathered.get(member_id)
        if found is not None:
            return found
        assert self._naming is not None
        events: list[tuple[datetime.date, str]] = []
        ledger: list[Record] = []
        held: list[tuple[datetime.date, str]] = []
        attended: list[Record] = []
        ledger_files, activity_files = self._naming(member_id)
        for file in ledger_files:
            for entry in self._file("ledger", file).get(member_id, ()):
                events.append((entry.data["date"], entry.data["rule"]))
                ledger.append(entry)
        for file in activity_files:
            for activity in self._file("activity", file).get(member_id, ()):
                if activity.get("planned") is not True:
                    held.append((activity["date"], activity["rule"]))
                attended.append(activity)
        found = self._gathered[member_id] = (events + held, ledger, attended)
        return found

    def _file(self, kind: str, file: str) -> dict[str, list[Record]]:
        """member id -> the records of one file that give them events (a ledger entry with a date and a rule; an
        activity with a rule and a date, once per time it lists them), in order; made once per file."""
        named = self._named.get((kind, file))
        if named is not None:
            return named
        named = self._named[kind, file] = {}
        for record in self.reg.file_records(kind, file):  # that file alone, while the ledger is not loaded whole
            data = record.data
            if kind == "ledger":
                if "member" in data and "date" in data and "rule" in data:
                    named.setdefault(data["member"], []).append(record)
            elif "rule" in data and "date" in data:
                for attendee in data.get("attendees", []):
                    named.setdefault(attendee, []).append(record)
        return named

    @cached_property
    def _indexed(
        self,
    ) -> tuple[dict[str, list[tuple[datetime.date, str]]], dict[str, list[Record]], dict[str, list[Record]]]:
        events: dict[str, list[tuple[datetime.date, str]]] = defaultdict(list)
        ledger: dict[str, list[Record]] = defaultdict(list)
        attended: dict[str, list[Record]] = defaultdict(list)
        for entry in self.reg.all("ledger"):  # a million at city: read each entry's fields once
            data = entry.data
            if "member" in data and "date" in data and "rule" in data:
                member_id = data["member"]
                events[member_id].append((data["date"], data["rule"]))
                ledger[member_id].append(entry)
        for activity in self.reg.all("activity"):
            if "rule" in activity.data and "date" in activity.data:
                held = activity.get("planned") is not True
                for member_id in activity.get("attendees", []):
                    if held:
                        events[member_id].append((activity["date"], activity["rule"]))
                    attended[member_id].append(activity)
        return events, ledger, attended

    def yearly_score(self, member_id: str, year: int, until: datetime.date | None = None) -> Fraction:
        """The member's score for `year`, counting events up to `until` (inclusive) when given."""
        last = until or datetime.date(year, 12, 31)
        key = (member_id, year, last)
        if key not in self._memo:
            self._memo[key] = self._score(member_id, year, last)
        return self._memo[key]

    def _score(self, member_id: str, year: int, last: datetime.date) -> Fraction:
        dated = member_id in self.rolls.dated_members  # only a history can rule an event out
        if not dated and last >= datetime.date(year, 12, 31):  # the whole year, every event counts: all years at once
            tally = self._whole_years(member_id).get(year, ())
        else:
            counts: dict[str, int] = defaultdict(int)  # events per rule: n × points is exact, cheaper than n additions
            for date, rule_id in self.events.get(member_id, ()):
                if date.year == year and date <= last and rule_id in self.rules:
                    if not dated or self.rolls.counts_on(member_id, date):
                        counts[rule_id] += 1
            tally = tuple(sorted(counts.items()))
        if tally not in self._tallies:
            self._tallies[tally] = self._add_up(tally)
        return self._tallies[tally]

    def _whole_years(self, member_id: str) -> dict[int, tuple[tuple[str, int], ...]]:
        """year -> the tally of a member without a history's events of that whole year (each rule's times), from one
        pass over their events (the figures ask for a member's every year)."""
        if member_id not in self._years:
            counts: dict[int, dict[str, int]] = {}
            for date, rule_id in self.events.get(member_id, ()):
                if rule_id in self.rules:
                    of_year = counts.setdefault(date.year, {})
                    of_year[rule_id] = of_year.get(rule_id, 0) + 1
            self._years[member_id] = {year: tuple(sorted(found.items())) for year, found in counts.items()}
        return self._years[member_id]

    def _add_up(self, tally: tuple[tuple[str, int], ...]) -> Fraction:
        """base + each rule's points × times (its sum's absolute value limited to `max_per_year`), clamped."""
        score = self.base
        for rule_id, count in tally:
            total = Fraction(self.rules[rule_id]["points"]) * count
            limit = self.rules[rule_id].get("max_per_year")
            if limit is not None and abs(total) > limit:
                total = limit if total > 0 else -Fraction(limit)
            score += total
        return min(max(score, Fraction(0)), self.cap)

    def counts_event(self, member_id: str, day: datetime.date) -> bool:
        """Whether a points event of the member dated `day` counts (on a roll with a scored status that day)."""
        return self.rolls.counts_on(member_id, day)

    def joined_by(self, member_id: str, day: datetime.date) -> bool:
        """Whether the member is in the party on `day`: a scored status then, admitted (`joined`) on or before it."""
        return self.rolls.in_party(member_id, day)

    def scored_in(self, member_id: str, year: int) -> bool:
        """Whether the member is scored for `year`: admitted by 31 December of it, in the party on a day of it."""
        return self.rolls.in_party_during(member_id, year)

    def member_score(self, member_id: str, year: int) -> MemberScore:
        """Score and stars of one member for one year."""
        score = self.yearly_score(member_id, year)
        return MemberScore(member_id, score, stars_for(score, self.reg.stars))

    def year(self, year: int) -> list[MemberScore]:
        """Every member scored for `year` (admitted by its end), ordered by member id."""
        scored = sorted(m for m in self.reg.members if self.scored_in(m, year))
        return [self.member_score(member_id, year) for member_id in scored]


class _ByMember(Mapping[str, list]):
    """One of a score book's indexes (events, ledger entries, activities attended) read member by member: a member's
    gathered from the files naming them (`ScoreBook._gather`); read whole, the full index."""

    def __init__(self, book: ScoreBook, position: int) -> None:
        self.book, self.position = book, position

    def get(self, member_id: str, default: Any = None) -> Any:
        found = self.book._gather(member_id)[self.position]  # noqa: SLF001 - the book's own reader
        return found if found else default

    def __getitem__(self, member_id: str) -> list:
        found = self.get(member_id)
        if found is None:
            raise KeyError(member_id)
        return cast(list, found)

    def __contains__(self, member_id: object) -> bool:
        return isinstance(member_id, str) and self.get(member_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.book._indexed[self.position])  # noqa: SLF001

    def __len__(self) -> int:
        return len(self.book._indexed[self.position])  # noqa: SLF001
