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
it is derivable, and in each region, is 0 or at least THRESHOLD. Regions of one set miss sums
that use different sets at nested units (the home page's 党员 less one org's 正式党员); for
dimensions of up to CHAIN_ATOMS atoms (statuses, flows, averages) `_Audit.chains` then searches
every countable set exactly (a set is countable when, from each unit to each child, what it
takes of the members changes by a vector the child's figures span) and withholds until none
counts 1–4. Star bands (9 atoms) get the region check only: the exact search is too slow there. A violation is
repaired by withholding one more cell: at the nearest unit below whose withholding merges the region
with a safe one (the smallest such), else at the unit itself; until nothing violates. Cells
the caller cannot withhold are `locked` (shown when 5 or more) or `forced` (shown whatever
their size: a ranking's average per org); a violation among those alone is reported in
`Outcome.unresolved`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
import hashlib
import io
import itertools
import pickle
from functools import lru_cache

THRESHOLD = 5
Cell = tuple[Hashable, ...]  # a published figure's key, e.g. ("status", "正式党员")
_PRIME = (1 << 61) - 1  # exact for 0/1 matrices of up to 16 columns (Hadamard: minors < 2**32)
MAX_ATOMS = 16
CHAIN_ATOMS = 6  # dimensions searched completely (statuses, flows, averages); star bands are not (9 atoms, too slow)


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
    cells: dict[str, dict[Cell, int]]  # unit -> cell -> how many members it counts
    locked: set[tuple[str, Cell]] = field(default_factory=set)  # shown (if 5 or more) whatever this module decides
    forced: set[tuple[str, Cell]] = field(default_factory=set)  # shown whatever their size and whatever this decides


@dataclass
class Outcome:
    published: set[tuple[str, Cell]]
    withheld: set[tuple[str, Cell]]  # secondary: would pass the threshold, hidden to stop a difference
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
        return frozenset(
            mask for cell, mask in dim.cell_masks.items() if cell != without and (unit, cell) in self.published
        )

    def spanning(self, unit: str, dim: Dimension, without: Cell | None = None) -> frozenset[int]:
        """The sets a reader can count at `unit` in `dim` span these: its published cells, and linked sets."""
        generators = set(self.generators(unit, dim, without))
        for here, other, there in dim.links:
            linked = self.dims[other]
            if linked.mask(there) in indicators(self.generators(unit, linked, without), len(linked.atoms)):
                generators.add(dim.mask(here))
        return frozenset(generators)

    def derivable(self, unit: str, dim: Dimension, without: Cell | None = None) -> frozenset[int]:
        return indicators(self.spanning(unit, dim, without), len(dim.atoms))

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
                self._lists[key] = [
                    counts[atom] if (counts := self.table.counts.get(u, {}).get(dim.name)) else 0 for u in self.units
                ]
            else:
                self._lists[key] = [a + b for a, b in zip(self._counts(dim, lowest), self._counts(dim, mask ^ lowest))]
        return self._lists[key]

    # --- finding and repairing a disclosure -------------------------------------------
    def violations(self, dim: Dimension, mask: int, where: dict[str, frozenset[int]]) -> list[str]:
        """Every unit where `mask` is counted, alone or as a region, as 1–4 members (or pinned), top down."""
        parent = self.table.parent
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

    def violates(
        self, unit: str, dim: Dimension, mask: int, where: dict[str, frozenset[int]], below: list[str]
    ) -> bool:
        values = self.column(dim, mask)
        if 0 < values[unit] < THRESHOLD:
            return True
        region = values[unit] - sum(values[d] for d in below)
        return 0 < region < THRESHOLD or (
            region > 0 and mask in dim.cell_masks.values() and self.pinned(unit, dim, mask, where, region)
        )

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
            candidates = sorted(
                (c for c in related if (unit, c) in self.published and (unit, c) not in fixed),
                key=lambda c: (self.table.cells[unit].get(c, 0), repr(c)),
            )
            if not candidates:
                return False
            enough = next((c for c in candidates if mask not in self.derivable(unit, dim, without=c)), candidates[0])
            self.published.discard((unit, enough))
        return True

    def repair(self, dim: Dimension, mask: int, unit: str, below: list[str], where: dict[str, frozenset[int]]) -> bool:
        """Withhold one more figure so that `unit`'s region for `mask` is no longer 1–4 members."""
        ranked = sorted(
            below,
            key=lambda d: (self.region(d, dim, mask, where) < THRESHOLD, self.value(d, dim, mask), self.depth_first[d]),
        )
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

    # --- sets that differ from unit to unit (the complete search) ------------------------
    def chains(self, stuck: list[tuple[str, str, int]]) -> bool:
        """Withhold one figure for each dimension where a set counted differently at nested units (在册人数 here,
        正式党员 below) still isolates 1–4 members; True if anything was withheld.

        A set X of members is countable exactly when, going down the tree, what X takes of each unit's
        members changes only by a vector the unit's published figures span (`_steps`): X = 党员 at the
        home page less 正式党员 of one org is counted by the home page's 党员 and that org's 正式党员.
        `_counts_below` finds, bottom up, every count (0–4, or 5 and more) such sets can have."""
        changed = False
        for dim in self.table.dimensions:
            if len(dim.atoms) > CHAIN_ATOMS:
                continue  # star bands: the region check only (see the module docstring)
            search = _Chains(self, dim)
            while (witness := search.witness()) is not None:
                unit = self._break(dim, witness)
                if unit is None:
                    stuck.append((witness[0][0], dim.name, witness[0][2]))
                    break
                search.update(unit)
                changed = True
        return changed

    def _break(self, dim: Dimension, witness: list[tuple[str, int | None, int]]) -> str | None:
        """Withhold the smallest figure that stops one step of the witness, deepest unit first; its unit."""
        fixed = self.table.locked | self.table.forced
        steps = sorted(witness, key=lambda step: -self.depth_first[step[0]])
        for unit, above, here in steps:
            step = _vector(here, len(dim.atoms)) if above is None else _difference(here, above, len(dim.atoms))
            cells = sorted(
                (c for c in dim.cell_masks if (unit, c) in self.published and (unit, c) not in fixed),
                key=lambda c: (self.table.cells[unit].get(c, 0), repr(c)),
            )
            for cell in cells:
                if not _spans(self.spanning(unit, dim, without=cell), len(dim.atoms), step):
                    self.published.discard((unit, cell))
                    return unit
        return None


_CAP = THRESHOLD  # a set of counts is a bit mask of 0..4: counts of 5 and more give nobody away, and are dropped


def _convolved() -> list[list[int]]:
    """counts a, counts b -> the counts of their sums (made in a function: its names are locals, and the module's
    import took 4 ms of every command with them global)."""
    table = [[0] * (1 << _CAP) for _ in range(1 << _CAP)]
    for a, b in itertools.product(range(1 << _CAP), repeat=2):
        for i, j in itertools.product(range(_CAP), repeat=2):
            if a >> i & 1 and b >> j & 1 and i + j < _CAP:
                table[a][b] |= 1 << (i + j)
    return table


_CONVOLVE = _convolved()


def _vector(mask: int, size: int) -> tuple[int, ...]:
    return tuple(mask >> i & 1 for i in range(size))


def _difference(here: int, above: int, size: int) -> tuple[int, ...]:
    return tuple((here >> i & 1) - (above >> i & 1) for i in range(size))


@lru_cache(maxsize=4096)
def _reduced(generators: frozenset[int], size: int) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The span of `generators` in reduced row echelon form, mod _PRIME (exact here, as in `indicators`)."""
    rows: list[tuple[int, list[int]]] = []
    for mask in sorted(generators):
        row = _reduce([(mask >> i) & 1 for i in range(size)], rows)
        pivot = next((i for i, x in enumerate(row) if x), None)
        if pivot is None:
            continue
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = [x * inverse % _PRIME for x in row]
        rows = [(p, [(x - r[pivot] * y) % _PRIME for x, y in zip(r, row)]) for p, r in rows]
        rows.append((pivot, row))
    return tuple((p, tuple(r)) for p, r in sorted(rows))


def _spans(generators: frozenset[int], size: int, vector: tuple[int, ...]) -> bool:
    rows = [(p, list(r)) for p, r in _reduced(generators, size)]
    return not any(_reduce([x % _PRIME for x in vector], rows))


@lru_cache(maxsize=65536)
def _steps(generators: frozenset[int], size: int, above: int) -> frozenset[int]:
    """Every set T a unit can take below a parent's set `above`: T − above is a −1/0/1 vector in the span."""
    rows = _reduced(generators, size)
    found = []
    for values in itertools.product(*[((0, _PRIME - 1) if above >> p & 1 else (0, 1)) for p, _ in rows]):
        step = [0] * size
        for value, (_, row) in zip(values, rows):
            if value:
                step = [(x + value * y) % _PRIME for x, y in zip(step, row)]
        here = 0
        for i, x in enumerate(step):
            bit = above >> i & 1
            if x == 0:
                here |= bit << i
            elif x == 1 and not bit:
                here |= 1 << i
            elif not (x == _PRIME - 1 and bit):
                break
        else:
            found.append(here)
    return frozenset(found)


class _Chains:
    """The complete search of one dimension: what every countable set of members can count, bottom up.

    Only the sets a unit can take (reachable from the top through the units' steps) are followed."""

    def __init__(self, audit: _Audit, dim: Dimension) -> None:
        self.audit, self.dim, self.size = audit, dim, len(dim.atoms)
        self.spans = {u: audit.spanning(u, dim) for u in audit.order}
        self.own = {u: self._own(u) for u in audit.order}
        self.reach: dict[str, set[int]] = {}
        for unit in audit.order:
            above = self.audit.table.parent.get(unit)
            sources = self.reach[above] if above in self.reach else {0}
            self.reach[unit] = {t for a in sources for t in _steps(self.spans[unit], self.size, a)}
        self.counts: dict[str, dict[int, int]] = {}  # unit -> its set -> the counts its subtree can have
        self.up: dict[str, dict[int, int]] = {}  # unit -> the parent's set -> the counts the subtree can add
        for unit in reversed(audit.order):
            self._count(unit)
            self._lift(unit)

    def _own(self, unit: str) -> list[int]:
        """The unit's own members (not below it) in each set of atoms."""
        table, name, zero = self.audit.table.counts, self.dim.name, (0,) * self.size
        counts: list[int] | tuple[int, ...] = table.get(unit, {}).get(name, zero)
        below = [table.get(child, {}).get(name, zero) for child in self.audit.children.get(unit, [])]
        if below:  # less every child's, atom by atom (as short as the shortest, as pairwise subtraction is)
            counts = [a - sum(column) for a, column in zip(counts, zip(*below))]
        sums = [0]  # sums[mask]: the members in the atoms of `mask`, doubled one atom at a time
        for atom in range(self.size):
            count = counts[atom]
            sums += [total + count for total in sums]
        return sums

    def _count(self, unit: str) -> None:
        children, row = self.audit.children.get(unit, []), {}
        for here in self.reach[unit]:
            bits = 1 << self.own[unit][here] if self.own[unit][here] < _CAP else 0
            for child in children:
                if not bits:
                    break
                bits = _CONVOLVE[bits][self.up[child].get(here, 0)]
            if bits:
                row[here] = bits
        self.counts[unit] = row

    def _lift(self, unit: str) -> None:
        above = self.audit.table.parent.get(unit)
        sources = self.reach[above] if above in self.reach else {0}
        row, spans = self.counts[unit], self.spans[unit]
        up: dict[int, int] = {}
        for source in sources:
            steps = _steps(spans, self.size, source)
            bits = 0
            for here in row if len(row) < len(steps) else steps:
                if here in steps and here in row:
                    bits |= row[here]
            if bits:
                up[source] = bits
        self.up[unit] = up

    def update(self, unit: str) -> None:
        """After a figure of `unit` was withheld: its steps, and the counts above it."""
        self.spans[unit] = self.audit.spanning(unit, self.dim)
        self._lift(unit)
        above = self.audit.table.parent.get(unit)
        while above is not None and above in self.reach:
            self._count(above)
            self._lift(above)
            above = self.audit.table.parent.get(above)

    def witness(self) -> list[tuple[str, int | None, int]] | None:
        """(unit, the set above it or None at a root, its set) for each unit whose set changes, of one
        countable set of 1–4 members; None when there is none."""
        for root in [u for u in self.audit.order if self.audit.table.parent.get(u) is None]:
            for here in _steps(self.spans[root], self.size, 0):
                bad = [k for k in range(1, _CAP) if self.counts[root].get(here, 0) >> k & 1]
                if bad and not self._alone_and_fixed(root, here):
                    steps: list = [(root, None, here)] if here else []
                    self._trace(root, here, bad[0], steps)
                    return steps
        return None

    def _alone_and_fixed(self, root: str, here: int) -> bool:
        """A root's own figures alone (locked: reported by the region check) are not searched again."""
        fixed = self.audit.table.locked | self.audit.table.forced
        cells = [c for c in self.dim.cell_masks if (root, c) in self.audit.published]
        alone = self.audit.value(root, self.dim, here)
        return 0 < alone < _CAP and bool(cells) and all((root, c) in fixed for c in cells)

    def _trace(self, unit: str, here: int, total: int, steps: list) -> None:
        """Split `total` between the unit's own members and its children, recording each child's set."""
        rest = total - self.own[unit][here]
        children = self.audit.children.get(unit, [])
        # after i children: sum -> (previous sum, this child's count); nothing before the first child
        reachable: list[dict[int, tuple[int, int]]] = [{0: (0, 0)}]
        for child in children:
            options = [k for k in range(_CAP) if self.up[child].get(here, 0) >> k & 1]
            nxt: dict[int, tuple[int, int]] = {}
            for value in reachable[-1]:
                for k in options:
                    if value + k <= rest and value + k not in nxt:
                        nxt[value + k] = (value, k)
            reachable.append(nxt)
        shares, value = [], rest
        for i in range(len(children), 0, -1):
            before, share = reachable[i][value]
            shares.append(share)
            value = before
        for child, share in zip(children, reversed(shares)):
            below = next(
                t for t in _steps(self.spans[child], self.size, here) if self.counts[child].get(t, 0) >> share & 1
            )
            if below != here:
                steps.append((child, here, below))
            self._trace(child, below, share, steps)


# What `suppress` gave for the last tables it saw, by their whole content (`_content`): a long-running `serve`
# rebuilds after each edit, and most edits (a story, an org's summary) change no figure, so the figures' table,
# each year end's and the new members' are the same again. The key is the table's content pickled, compared whole
# on a hit (no digest that could collide; one bytes object, where nested tuples kept alive would make the garbage
# collector's full passes longer); a table that differs in anything is computed again.
_MEMO: OrderedDict[bytes, Outcome] = OrderedDict()
MEMO_TABLES = 64  # a county's site suppresses 17 tables; a few sites' worth


def _content(table: Table) -> tuple:
    """Everything `suppress` reads of `table`, in its order (iteration order can pick which figure is withheld)."""
    dimensions = tuple((d.name, d.atoms, tuple(d.cells.items()), d.links) for d in table.dimensions)
    return (
        tuple(table.parent.items()),
        dimensions,
        tuple((unit, tuple(counts.items())) for unit, counts in table.counts.items()),
        tuple((unit, tuple(cells.items())) for unit, cells in table.cells.items()),
        frozenset(table.locked),
        frozenset(table.forced),
    )


def suppress(table: Table) -> Outcome:
    """Cells to publish so that no sum or difference of them counts 1–4 members (the same table as one of the last
    `MEMO_TABLES`: what was found then; else as one an earlier run kept in the cache folder: what it found; a fresh
    copy, callers may change theirs)."""
    content = _content(table)
    key = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
    if key in _MEMO:
        _MEMO.move_to_end(key)
    else:
        _MEMO[key] = _kept(content, lambda: _suppress(table))
        while len(_MEMO) > MEMO_TABLES:
            _MEMO.popitem(last=False)
    found = _MEMO[key]
    return Outcome(set(found.published), set(found.withheld), list(found.unresolved))


# What `suppress` found for a table is kept between runs too (issue 23: the figures' table of a city takes 5 s),
# in the cache part `suppression/`, under a digest of the table's whole content (canonical: the sets sorted, the
# pickle made without its memo, so equal tables give equal bytes whichever objects they share) and of this module's
# code. A build after an edit that changes no figure (a story, an org's summary) solves nothing.
PART = "suppression"
FORMAT = b"dangjian-suppression 1"
MAX_BYTES = 1 << 28


def entry_name(content: tuple) -> str:
    """The cache entry of a table's outcome: a digest of its content (`_content`) and of this module's code."""
    from .cache import code_fingerprint

    canonical = (*content[:4], sorted(content[4], key=repr), sorted(content[5], key=repr))
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: the bytes depend on the values only, never on which objects are shared
    pickler.dump(canonical)
    digest = hashlib.blake2b(code_fingerprint("suppression.py"), digest_size=16)
    digest.update(out.getbuffer())
    return digest.hexdigest() + ".outcome"


def _kept(content: tuple, solve: Callable[[], Outcome]) -> Outcome:
    """`solve()`, or what it gave for a table of this content in an earlier run (`cache.Sealed`)."""
    from .cache import Sealed, cache_dir

    folder, sealed = cache_dir(), Sealed(PART, FORMAT, MAX_BYTES)
    if folder is None:
        return solve()
    name = entry_name(content)
    found = sealed.read(folder, name)
    if isinstance(found, Outcome):
        return found
    made = solve()
    sealed.write(folder, name, made)
    return made


def _suppress(table: Table) -> Outcome:
    audit = _Audit(table)
    while True:
        audit.unresolved.clear()
        while audit.run():
            audit.unresolved.clear()
        stuck: list[tuple[str, str, int]] = []
        if not audit.chains(stuck):
            audit.unresolved += stuck
            break
    primary = {(u, c) for u, cells in table.cells.items() for c, n in cells.items() if n >= THRESHOLD}
    unresolved = list(dict.fromkeys(audit.unresolved))
    return Outcome(audit.published, primary - audit.published, unresolved)
