"""Secondary suppression: no published figure, alone or by difference, counts 1–4 members.

The site publishes a table: *units* (every organization, over itself and everything below
it, and the whole registry on the home page) in a forest, each publishing *cells* (在册人数,
members by status, 流出/流入, members per star band, an average score). Whoever reads the
site can add and subtract any published cells. Primary suppression alone (hide a cell
that counts fewer than five members) is not enough: a parent of 6 members beside its child
of 5 gives the sixth member away by subtraction. This module works out what sums of
published cells can isolate and withholds further cells (secondary suppression, as
τ-ARGUS and sdcTable do) until none isolates 1–4 members.

The model (docs/security.md, "Disclosure by difference", states the rule for readers):

- A *dimension* partitions a unit's members into *atoms*: the five statuses; the flow
  directions (out, in, none); a year's star bands with the unscored statuses beside them;
  the scored members behind a year's average. A cell counts a union of atoms in one or more
  dimensions (在册人数 is every atom of the first three kinds).
- At one unit, the sets of members a reader can count are the 0/1 vectors in the linear
  span of the published cells' vectors: the *derivable sets* of that unit. (Two
  dimensions that split the same members cross-cut; a 0/1 combination of their cells can
  only vary along one of them, so each dimension is searched on its own, with the sets two
  dimensions share (the scored members) carried across by `links`.)
- Published subtrees are nested or disjoint, so for a derivable set A a reader can count A
  exactly in each *region*: the subtree of a unit where A is derivable minus the subtrees of
  the nearest units below it where A is derivable too, and in no finer piece.

The rule: for every dimension and every derivable set A, the count of A at each unit where
it is derivable, and in each region, is 0 or at least THRESHOLD. A violation is repaired by
withholding one more cell: at the nearest unit below whose withholding merges the region
with a safe one (the smallest such), else at the unit itself; until nothing violates. Cells
the caller cannot withhold are `locked` (shown when 5 or more) or `forced` (shown whatever
their size: a ranking's average per org); a violation among those alone is reported in
`Outcome.unresolved`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

THRESHOLD = 5
Cell = Hashable  # a published figure's key, e.g. ("status", "正式党员")
_PRIME = (1 << 61) - 1  # exact for 0/1 matrices of up to 16 columns (Hadamard: minors < 2**32)
MAX_ATOMS = 16


@dataclass(eq=False)
class Dimension:
    """A partition of a unit's members, and which atoms each cell counts in it."""

    name: str
    atoms: tuple[str, ...]
    cells: dict[Cell, tuple[str, ...]]
    links: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()  # (atoms here, dimension, atoms there)

    def __post_init__(self) -> None:
        self.cell_masks = {cell: self.mask(atoms) for cell, atoms in self.cells.items()}

    def add_cells(self, cells: dict[Cell, tuple[str, ...]]) -> None:
        self.cells.update(cells)
        self.cell_masks.update({cell: self.mask(atoms) for cell, atoms in cells.items()})

    def mask(self, atoms: Iterable[str]) -> int:
        return sum(1 << self.atoms.index(a) for a in set(atoms))


@dataclass
class Table:
    """Units in a forest, the count of each atom under each unit, and the cells each would publish."""

    parent: dict[str, str | None]
    dimensions: list[Dimension]
    counts: dict[str, dict[str, tuple[int, ...]]]  # unit -> dimension name -> atom counts (subtree)
    cells: dict[str, dict[Cell, int]]               # unit -> cell -> how many members it counts
    locked: set[tuple[str, Cell]] = field(default_factory=set)  # shown (if 5 or more) whatever this module decides
    forced: set[tuple[str, Cell]] = field(default_factory=set)  # shown whatever their size and whatever this decides


@dataclass
class Outcome:
    published: set[tuple[str, Cell]]
    withheld: set[tuple[str, Cell]]        # secondary: would pass the threshold, hidden to stop a difference
    unresolved: list[tuple[str, str, int]]  # (unit, dimension, atom mask) only locked cells could fix


@lru_cache(maxsize=4096)
def indicators(generators: frozenset[int], size: int) -> frozenset[int]:
    """Every non-empty 0/1 vector (a bit mask over `size` atoms) in the span of `generators`."""
    if size > MAX_ATOMS:
        raise ValueError(f"{size} atoms: at most {MAX_ATOMS}")
    basis: list[tuple[int, list[int]]] = []  # (pivot column, row), reduced mod _PRIME
    for mask in sorted(generators):
        row = _reduce([(mask >> i) & 1 for i in range(size)], basis)
        pivot = next((i for i, x in enumerate(row) if x), None)
        if pivot is not None:
            inverse = pow(row[pivot], _PRIME - 2, _PRIME)
            basis.append((pivot, [x * inverse % _PRIME for x in row]))
    found = []
    for mask in range(1, 1 << size):
        if not any(_reduce([(mask >> i) & 1 for i in range(size)], basis)):
            found.append(mask)
    return frozenset(found)


def _reduce(row: list[int], basis: list[tuple[int, list[int]]]) -> list[int]:
    for pivot, base in basis:
        factor = row[pivot]
        if factor:
            row = [(x - factor * b) % _PRIME for x, b in zip(row, base)]
    return row


class _Audit:
    """The state of one suppression run: published cells, and what each unit makes derivable."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.dims = {d.name: d for d in table.dimensions}
        self.published = {(u, c) for u, cells in table.cells.items() for c, n in cells.items() if n >= THRESHOLD}
        self.published |= table.forced
        self.children: dict[str, list[str]] = {}
        for unit, parent in table.parent.items():
            if parent is not None:
                self.children.setdefault(parent, []).append(unit)
        self.order = self._top_down()
        reached = set(self.order)  # a unit no root reaches (a cycle of parents) is never audited: show nothing of it
        self.published = {(u, c) for u, c in self.published if u in reached or (u, c) in table.forced}
        self.depth_first = {u: i for i, u in enumerate(self.order)}
        self.unresolved: list[tuple[str, str, int]] = []
        self.units = list(table.parent)
        self._values: dict[tuple[str, int], dict[str, int]] = {}
        self._lists: dict[tuple[str, int], list[int]] = {}

    def _top_down(self) -> list[str]:
        roots = sorted(u for u, p in self.table.parent.items() if p is None or p not in self.table.parent)
        order, stack = [], list(reversed(roots))
        seen = set()
        while stack:
            unit = stack.pop()
            if unit in seen:
                continue
            seen.add(unit)
            order.append(unit)
            stack.extend(reversed(sorted(self.children.get(unit, []))))
        return order

    # --- what a reader can count ---------------------------------------------------
    def generators(self, unit: str, dim: Dimension, without: Cell | None = None) -> frozenset[int]:
        return frozenset(mask for cell, mask in dim.cell_masks.items()
                         if cell != without and (unit, cell) in self.published)

    def derivable(self, unit: str, dim: Dimension, without: Cell | None = None) -> frozenset[int]:
        generators = set(self.generators(unit, dim, without))
        for here, other, there in dim.links:
            linked = self.dims[other]
            if linked.mask(there) in indicators(self.generators(unit, linked, without), len(linked.atoms)):
                generators.add(dim.mask(here))
        return indicators(frozenset(generators), len(dim.atoms))

    def value(self, unit: str, dim: Dimension, mask: int) -> int:
        return self.column(dim, mask)[unit]

    def column(self, dim: Dimension, mask: int) -> dict[str, int]:
        """Every unit's count of the members in `mask` (counts never change: computed once)."""
        key = (dim.name, mask)
        if key not in self._values:
            self._values[key] = dict(zip(self.units, self._counts(dim, mask)))
        return self._values[key]

    def _counts(self, dim: Dimension, mask: int) -> list[int]:
        """`mask`'s counts in unit order: its lowest atom's plus the rest's (each mask summed once)."""
        key = (dim.name, mask)
        if key not in self._lists:
            lowest = mask & -mask
            if lowest == mask:
                atom = lowest.bit_length() - 1
                self._lists[key] = [counts[atom] if (counts := self.table.counts.get(u, {}).get(dim.name)) else 0
                                    for u in self.units]
            else:
                self._lists[key] = [a + b for a, b in zip(self._counts(dim, lowest), self._counts(dim, mask ^ lowest))]
        return self._lists[key]

    # --- finding and repairing a disclosure -------------------------------------------
    def violations(self, dim: Dimension, mask: int, where: dict[str, frozenset[int]]) -> list[str]:
        """Every unit where `mask` is counted, alone or as a region, as 1–4 members (or pinned), top down."""
        values, parent = self.column(dim, mask), self.table.parent
        units = [u for u in self.order if mask in where[u]]
        inside = set(units)
        below: dict[str, list[str]] = {u: [] for u in units}
        for unit in units:
            above = parent.get(unit)
            while above is not None and above not in inside:
                above = parent.get(above)
            if above is not None:
                below[above].append(unit)
        return [u for u in units if self.violates(u, dim, mask, where, below[u])]

    def violates(self, unit: str, dim: Dimension, mask: int, where: dict[str, frozenset[int]], below: list[str]) -> bool:
        values = self.column(dim, mask)
        if 0 < values[unit] < THRESHOLD:
            return True
        region = values[unit] - sum(values[d] for d in below)
        return 0 < region < THRESHOLD or (region > 0 and mask in dim.cell_masks.values()
                                           and self.pinned(unit, dim, mask, where, region))

    def nearest_below(self, unit: str, mask: int, where: dict[str, frozenset[int]]) -> list[str]:
        """The units nearest below `unit` where `mask` is derivable."""
        found, stack = [], list(self.children.get(unit, []))
        while stack:
            current = stack.pop()
            if mask in where[current]:
                found.append(current)
            else:
                stack.extend(self.children.get(current, []))
        return found

    def pinned(self, unit: str, dim: Dimension, mask: int, where: dict[str, frozenset[int]], region: int) -> bool:
        """Whether a region adds up only from hidden children shown as 少于5人, each then known to be exactly 4.

        A reader knows a 少于5人 child holds at most 4: a region of 4 × k over k such children and no
        members of the unit itself pins each at 4. (A withheld child, —, is known to hold 5 or more,
        with no upper bound: one such, or any member of the unit's own, leaves every child a range.)"""
        children, values = self.children.get(unit, []), self.column(dim, mask)
        if region == 0 or values[unit] != sum(values[c] for c in children):
            return False  # nothing to pin, or the unit's own members give slack
        hidden = [c for c in children if mask not in where[c]]
        if region != (THRESHOLD - 1) * len(hidden):
            return False
        cells = [cell for cell, m in dim.cell_masks.items() if m == mask]
        return all(values[c] < THRESHOLD and any(cell in self.table.cells.get(c, {}) for cell in cells) for c in hidden)

    def region(self, unit: str, dim: Dimension, mask: int, where: dict[str, frozenset[int]]) -> int:
        """The count of `mask` in `unit`'s region (its subtree less the nearest derivable subtrees below)."""
        values = self.column(dim, mask)
        return values[unit] - sum(values[d] for d in self.nearest_below(unit, mask, where))

    def withhold(self, unit: str, dim: Dimension, mask: int) -> bool:
        """Withhold cells of `unit`, smallest first, until `mask` is not derivable there; False if it cannot."""
        if mask not in self.derivable(unit, dim):
            return False  # nothing to withhold here (never expected: every target is where `mask` is derivable)
        while mask in self.derivable(unit, dim):
            related = {c for d in [dim, *(self.dims[o] for _, o, _ in dim.links)] for c in d.cells}
            fixed = self.table.locked | self.table.forced
            candidates = sorted((c for c in related if (unit, c) in self.published and (unit, c) not in fixed),
                                key=lambda c: (self.table.cells[unit].get(c, 0), repr(c)))
            if not candidates:
                return False
            enough = next((c for c in candidates if mask not in self.derivable(unit, dim, without=c)), candidates[0])
            self.published.discard((unit, enough))
        return True

    def repair(self, dim: Dimension, mask: int, unit: str, below: list[str], where: dict[str, frozenset[int]]) -> bool:
        """Withhold one more figure so that `unit`'s region for `mask` is no longer 1–4 members."""
        ranked = sorted(below, key=lambda d: (self.region(d, dim, mask, where) < THRESHOLD,
                                              self.value(d, dim, mask), self.depth_first[d]))
        for target in [*ranked, unit]:
            if self.withhold(target, dim, mask):
                where[target] = self.derivable(target, dim)
                return True
        return False

    def run(self) -> bool:
        """One pass over every dimension and derivable set; True if anything was withheld."""
        changed = False
        for dim in self.table.dimensions:
            where = {u: self.derivable(u, dim) for u in self.order}
            for mask in sorted(set().union(*where.values())):
                stuck: set[str] = set()  # only locked figures could fix these: reported, not retried
                progressed = True
                while progressed and (found := [u for u in self.violations(dim, mask, where) if u not in stuck]):
                    progressed = False
                    for unit in found:  # repairs above may have fixed those below: each is checked again
                        below = self.nearest_below(unit, mask, where)
                        if mask not in where[unit] or not self.violates(unit, dim, mask, where, below):
                            continue
                        progressed = True
                        if self.repair(dim, mask, unit, below, where):
                            changed = True
                        else:
                            stuck.add(unit)
                            self.unresolved.append((unit, dim.name, mask))
        return changed


def suppress(table: Table) -> Outcome:
    """Cells to publish so that no sum or difference of them counts 1–4 members."""
    audit = _Audit(table)
    while audit.run():
        audit.unresolved.clear()
    primary = {(u, c) for u, cells in table.cells.items() for c, n in cells.items() if n >= THRESHOLD}
    unresolved = list(dict.fromkeys(audit.unresolved))
    return Outcome(audit.published, primary - audit.published, unresolved)
