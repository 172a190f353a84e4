"""The member's duty record (党员履责证): a year's score taken apart, exactly as `scores.ScoreBook` adds it up.

For each scored member and year: the base, every rule with points that year (in rulebook order) with its
times, raw sum, cap (`max_per_year`) and the sum counted after the cap, every event behind them (a ledger
entry or an attended activity: date, rule, points, the ledger's note), the total before and after clamping
to 0..cap, the stars, and the member's own 履责手记 (notes, a record kind of their own). Events are those the
score counts: for a member with a history, only those dated on days in the party (`ScoreBook.counts_event`).

What may be shown where is not decided here: the ledger's `note` is the editors' own (declared internal)
and the notes of private members are theirs; the site and the printed certificates choose (see
`site/duty.py` and `editing/certificates.py`). `tests/test_duty.py` checks that the total equals
`ScoreBook.yearly_score` for random rulebooks and ledgers.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from .load import Record
from .model import Registry
from .scores import ScoreBook, stars_for


@dataclass(frozen=True)
class DutyEvent:
    """One dated event that earned (or cost) points: a ledger entry, or attending an activity."""

    date: datetime.date
    rule: str  # the points rule's id
    rule_name: str
    points: Fraction  # the rule's points for one time (before the yearly cap)
    source: str  # "ledger" or "activity"
    note: str | None = None  # a ledger entry's `note`: internal, never on the site
    activity: str | None = None  # an attended activity's id
    title: str | None = None  # an attended activity's title


@dataclass(frozen=True)
class RuleLine:
    """One rule's year: how many times, the raw sum, its cap and what counted."""

    rule: str
    name: str
    points: Fraction  # per time
    times: int
    raw: Fraction  # times × points
    cap: Fraction | None  # `max_per_year`: the limit of the sum's absolute value
    counted: Fraction  # the raw sum limited to ±cap

    @property
    def capped(self) -> bool:
        """Whether the cap cut this rule's sum."""
        return self.counted != self.raw


@dataclass(frozen=True)
class DutyNote:
    """A 履责手记 entry: the member's own account of a duty done."""

    date: datetime.date
    text: str
    title: str | None = None


@dataclass(frozen=True)
class DutyRecord:
    """A member's duty record for one year (履责证 的一年)."""

    member: str
    year: int
    base: Fraction
    lines: tuple[RuleLine, ...]
    events: tuple[DutyEvent, ...]  # by date, then rule order
    before_clamp: Fraction  # base + every line's counted sum
    total: Fraction  # clamped to 0..cap: the yearly score
    cap: Fraction
    stars: int
    notes: tuple[DutyNote, ...]  # that year's 履责手记, by date

    @property
    def clamped(self) -> bool:
        """Whether the clamp to 0..cap changed the total."""
        return self.total != self.before_clamp


def limited(raw: Fraction, cap: Fraction | None) -> Fraction:
    """A rule's yearly sum with its absolute value limited to `cap` (no cap: as it is)."""
    if cap is None or abs(raw) <= cap:
        return raw
    return cap if raw > 0 else -cap


class DutyBook:
    """Every member's events and notes, to take any member's year apart.

    A member's events are gathered when first asked for, from the ledger entries and attended activities the
    score book (`ScoreBook.ledger`, `ScoreBook.attended`) already found for them, as plain tuples, and made
    `DutyEvent`s only for the years a record is asked of: a city has a million ledger entries and a site shows the
    records of a few thousand public members."""

    def __init__(self, reg: Registry, scores: ScoreBook | None = None) -> None:
        self.reg = reg
        self.scores = scores or ScoreBook(reg)
        self.rules = reg.points_rules
        self.order = {rule_id: n for n, rule_id in enumerate(self.rules)}
        # member -> (date, rule id, ledger entry or None, attended activity or None), in the files' order: ledger
        # entries first, then attended activities (see `_raw`)
        self._raws: dict[str, list[tuple[datetime.date, str, Record | None, Record | None]]] = {}
        self.notes: dict[str, list[DutyNote]] = defaultdict(list)
        self._kinds: dict[str, tuple[str, Fraction]] = {}  # rule id -> (its name, its points), read once
        self._shared: dict[int, DutyEvent] = {}  # id of an attended activity -> its one event, as attended by all
        for note in reg.all("note"):
            if {"member", "date", "text"} <= note.data.keys():
                self.notes[note["member"]].append(DutyNote(note["date"], note["text"], note.get("title")))
        self._years: dict[str, set[int]] = {}

    def _raw(self, member_id: str) -> list[tuple[datetime.date, str, Record | None, Record | None]]:
        """The member's events with a known rule, as tuples: their ledger entries, then the activities they attended."""
        if member_id not in self._raws:
            rules = self.rules
            found: list[tuple[datetime.date, str, Record | None, Record | None]] = [
                (entry.data["date"], entry.data["rule"], entry, None)
                for entry in self.scores.ledger.get(member_id, ())
                if entry.data["rule"] in rules
            ]
            found += [
                (activity.data["date"], activity.data["rule"], None, activity)
                for activity in self.scores.attended.get(member_id, ())
                if activity.data["rule"] in rules
            ]
            self._raws[member_id] = found
        return self._raws[member_id]

    def _members(self) -> list[str]:
        """Every member with an event of a known rule."""
        candidates = dict.fromkeys(self.scores.ledger) | dict.fromkeys(self.scores.attended)
        return [m for m in candidates if self._raw(m)]

    def _event(self, date: datetime.date, rule_id: str, source: str, **extra: str | None) -> DutyEvent:
        if rule_id not in self._kinds:
            rule = self.rules[rule_id]
            self._kinds[rule_id] = (rule.get("name", rule_id), Fraction(rule["points"]))
        name, points = self._kinds[rule_id]
        return DutyEvent(date, rule_id, name, points, source, **extra)

    def _made(self, raw: tuple[datetime.date, str, Record | None, Record | None]) -> DutyEvent:
        """The `DutyEvent` of an indexed event (an activity's one event is shared by its attendees)."""
        date, rule_id, entry, activity = raw
        if entry is not None:
            return self._event(date, rule_id, "ledger", note=entry.get("note"))
        assert activity is not None
        if id(activity) not in self._shared:
            self._shared[id(activity)] = self._event(
                date, rule_id, "activity", activity=activity.id, title=activity.get("title")
            )
        return self._shared[id(activity)]

    @property
    def events(self) -> dict[str, list[DutyEvent]]:
        """member id -> every event of theirs with a known rule, in the files' order (all made at once: for tests
        and tools; `record` makes only a year's)."""
        return {m: [self._made(raw) for raw in self._raw(m)] for m in self._members()}

    def _event_years(self, member_id: str) -> set[int]:
        if member_id not in self._years:
            self._years[member_id] = {raw[0].year for raw in self._raw(member_id)}
        return self._years[member_id]

    def years(self, member_id: str) -> list[int]:
        """The years the member is scored in and has an event or a note in, the latest first."""
        years = set(self._event_years(member_id))
        years |= {n.date.year for n in self.notes.get(member_id, ())}
        return sorted((y for y in years if self.scores.scored_in(member_id, y)), reverse=True)

    def members_with_year(self, year: int) -> list[str]:
        """Every member with a duty record for `year` (scored in it, with an event or a note in it), by id."""
        found = {m for m in self._members() if year in self._event_years(m)}
        found |= {m for m, notes in self.notes.items() if any(n.date.year == year for n in notes)}
        return sorted(m for m in found if self.scores.scored_in(m, year))

    def has_year(self, member_id: str, year: int) -> bool:
        """Whether the member has a duty record for `year` (what `members_with_year` asks of each member)."""
        notes = self.notes.get(member_id, ())
        in_year = year in self._event_years(member_id) or any(n.date.year == year for n in notes)
        return in_year and self.scores.scored_in(member_id, year)

    def record(self, member_id: str, year: int) -> DutyRecord:
        """The member's duty record for `year` (whether or not they are scored in it: ask `years` first)."""
        events = sorted(
            (
                self._made(raw)
                for raw in self._raw(member_id)
                if raw[0].year == year and self.scores.counts_event(member_id, raw[0])  # in the party that day
            ),
            key=lambda e: (e.date, self.order[e.rule]),
        )
        lines = tuple(self._line(rule_id, [e for e in events if e.rule == rule_id]) for rule_id in self.rules)
        lines = tuple(line for line in lines if line.times)
        base, cap = self.scores.base, self.scores.cap
        before = base + sum((line.counted for line in lines), Fraction(0))
        total = min(max(before, Fraction(0)), cap)
        notes = tuple(sorted((n for n in self.notes.get(member_id, ()) if n.date.year == year), key=lambda n: n.date))
        stars = stars_for(total, self.reg.stars)
        return DutyRecord(member_id, year, base, lines, tuple(events), before, total, cap, stars, notes)

    def _line(self, rule_id: str, events: list[DutyEvent]) -> RuleLine:
        rule = self.rules[rule_id]
        points = Fraction(rule["points"])
        cap = Fraction(rule["max_per_year"]) if rule.get("max_per_year") is not None else None
        raw = points * len(events)
        return RuleLine(rule_id, rule.get("name", rule_id), points, len(events), raw, cap, limited(raw, cap))
