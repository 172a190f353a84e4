"""Reading built pages as a reader does: every table as rows of {header: cell}.

A reader finds a number by looking down from its column heading, so tests do the same:
`tables(soup)` turns each `<table>` into a `Table` whose rows map header text to cell text,
with colspans and rowspans spread over every column and row they cover. The header comes
from `<thead>` or, without one, from a first row made only of `<th>`. A table whose rows
each start with a `<th scope="row">` and has no header row is a table of facts
(label → value) and reads as one dict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
WRAPPERS = ("md-typeset__table", "md-typeset__scrollwrap")  # Material's table wrappers


def text(cell: Tag | None) -> str:
    """A cell's text as a reader sees it: parts joined by one space, trimmed."""
    if cell is None:
        return ""
    return re.sub(r"\s+", " ", cell.get_text(" ", strip=True)).strip()


@dataclass
class Table:
    """One `<table>` of a page, read by header."""

    element: Tag
    headers: list[str]  # one per column, after colspans
    grid: list[list[Tag | None]]  # body rows, one slot per column (None: no cell there)
    header_rows: int = 0
    facts: dict[str, str] | None = None  # for a table of facts: label → value
    label: str = ""  # caption, aria-label, or the heading just before it

    @property
    def rows(self) -> list[dict[str, str]]:
        """Body rows as {header: cell text}."""
        return [{h: text(c) for h, c in zip(self.headers, row)} for row in self.grid]

    def column(self, name: str) -> str:
        """The one header equal to `name`, or starting with `name` and a space (such as "民情通 满分 15")."""
        found = [h for h in self.headers if h == name] or [h for h in self.headers if h.startswith(name + " ")]
        assert len(found) == 1, f"column {name!r}: found {found} in {self.headers}"
        return found[0]

    def cells(self, name: str) -> list[str]:
        """The texts under header `name`, top to bottom."""
        header = self.column(name)
        return [row[header] for row in self.rows]

    def row(self, key_header: str, key: str) -> dict[str, str]:
        """The one body row whose cell under `key_header` is `key`."""
        found = [r for r in self.rows if r[self.column(key_header)] == key]
        assert len(found) == 1, f"{len(found)} rows with {key_header} = {key!r}"
        return found[0]


def _own_rows(table: Tag) -> list[Tag]:
    """The table's rows, not those of a table nested in a cell."""
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _grid(rows: list[Tag]) -> list[list[Tag | None]]:
    """Rows as slots, each spanned cell repeated in every slot it covers."""
    grid: list[list[Tag | None]] = []
    pending: dict[tuple[int, int], Tag] = {}  # (row, column) → a cell spanning down into it
    for r, tr in enumerate(rows):
        line: list[Tag | None] = []
        column = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while (r, column) in pending:
                line.append(pending.pop((r, column)))
                column += 1
            span, down = _span(cell, "colspan"), _span(cell, "rowspan")
            for c in range(column, column + span):
                line.append(cell)
                for below in range(r + 1, r + down):
                    pending[below, c] = cell
            column += span
        while (r, column) in pending:
            line.append(pending.pop((r, column)))
            column += 1
        grid.append(line)
    return grid


def _span(cell: Tag, attribute: str) -> int:
    value = str(cell.get(attribute) or "1").strip()
    return max(int(value), 1) if value.isdigit() else 1


def _header_count(table: Tag, rows: list[Tag]) -> int:
    head = table.find("thead")
    if head is not None and head.find_parent("table") is table:
        return len([tr for tr in rows if tr.find_parent("thead") is head])
    if rows and rows[0].find_all(["td", "th"], recursive=False) and not rows[0].find_all("td", recursive=False):
        return 1
    return 0


def _headers(grid: list[list[Tag | None]], count: int) -> list[str]:
    """Each column's header: the distinct texts of the header rows above it."""
    width = max((len(row) for row in grid[:count]), default=0)
    headers = []
    for c in range(width):
        parts: list[str] = []
        for row in grid[:count]:
            part = text(row[c]) if c < len(row) else ""
            if part and part not in parts:
                parts.append(part)
        headers.append(" ".join(parts))
    return headers


def _facts(rows: list[Tag]) -> dict[str, str] | None:
    """label → value when every row is one `<th>` followed by one `<td>`."""
    facts = {}
    for tr in rows:
        cells = tr.find_all(["td", "th"], recursive=False)
        if len(cells) != 2 or cells[0].name != "th" or cells[1].name != "td":
            return None
        facts[text(cells[0])] = text(cells[1])
    return facts if rows else None


def label_of(table: Tag) -> str:
    """What names the table for a reader: its caption, its aria-label, or the heading right before it."""
    caption = table.find("caption")
    if caption is not None and text(caption):
        return text(caption)
    if table.get("aria-label"):
        return str(table["aria-label"]).strip()
    node: Tag = table
    while isinstance(node.parent, Tag) and set(node.parent.get("class") or ()) & set(WRAPPERS):
        node = node.parent
    before = node.find_previous_sibling(True)
    return text(before) if before is not None and before.name in HEADINGS else ""


def read_table(table: Tag) -> Table:
    """One `<table>` element, read by header."""
    rows = _own_rows(table)
    grid = _grid(rows)
    count = _header_count(table, rows)
    facts = _facts(rows) if count == 0 else None
    return Table(table, _headers(grid, count), grid[count:], count, facts, label_of(table))


def tables(soup: BeautifulSoup | Tag) -> list[Table]:
    """Every table of a page (or of a part of one), in document order."""
    return [read_table(t) for t in soup.find_all("table")]


def table_problems(table: Table) -> list[str]:
    """What a reader would stumble on in a table: no header, ragged rows, a heading over nothing,
    a column with no heading, no caption or heading to say what it is, or a class that keeps
    Material's table style away."""
    problems = []
    if table.element.get("class"):
        problems.append(f"class={table.element['class']}: Material styles only table:not([class])")
    if not table.label:
        problems.append("no caption, aria-label or heading right before it")
    if table.facts is not None:
        return problems
    if not table.headers:
        return [*problems, "no header row (<thead> or a first row of <th>)"]
    width = len(table.headers)
    for n, row in enumerate(table.grid, 1):
        if len(row) != width:
            problems.append(f"body row {n} has {len(row)} cells under {width} headers")
    for c, header in enumerate(table.headers):
        filled = [text(row[c]) for row in table.grid if c < len(row) and text(row[c])]
        if not header and filled:
            problems.append(f"column {c + 1} has no header but holds {filled[0]!r}")
    return problems
