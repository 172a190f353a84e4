"""Open data under /api/: JSON and CSV of what the pages show, nothing more."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..rankings import Ranking
from ..report import number as _number
from ..spreadsheet import csv_cell
from .data import SiteData, hidden


def number(value):
    """A JSON number, or null for a figure the site may not publish (never its stand-in 0)."""
    return None if hidden(value) else _number(value)


def _org_row(data: SiteData, org) -> dict[str, Any]:
    secretary = data.person(org.get("secretary"))
    return {
        "id": org.id,
        "name": org["name"],
        "kind": org["kind"],
        "domain": org.get("domain"),
        "parent": org.get("parent"),
        "founded": _date(org.get("founded")),
        "dissolved": _date(org.get("dissolved")),
        "secretary": secretary.name if secretary else None,
        "brand": org.get("brand"),
        "labels": org.get("labels", []),
        "weak": bool(org.get("weak")),
        "benchmark": org.get("benchmark"),
    }


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _brand_row(brand) -> dict[str, Any]:
    return {
        "id": brand.id,
        "name": brand["name"],
        "slogan": brand.get("slogan"),
        "owner": brand.get("owner"),
        "parent": brand.get("parent"),
        "color": brand.get("color"),
        "founded": _date(brand.get("founded")),
        "methods": [m["name"] for m in brand.get("methods", [])],
    }


def _project_row(data: SiteData, project) -> dict[str, Any]:
    lead = data.person(project.get("lead"))
    milestones = project.get("milestones", [])
    return {
        "id": project.id,
        "title": project["title"],
        "org": project.get("org"),
        "category": project["category"],
        "year": project["year"],
        "status": project["status"],
        "lead": lead.name if lead else None,
        "team": [p.name for p in data.people(project.get("team", []))],
        "brand": project.get("brand"),
        "milestones": len(milestones),
        "milestones_done": sum("done" in m for m in milestones),
        "progress": data.progress(project),
    }


def _ranking_rows(ranking: Ranking) -> list[dict[str, Any]]:
    rows = []
    for row in ranking.rows:
        rows.append(
            {
                "rank": row.rank,
                "org": row.org,
                "name": row.name,
                "total": number(row.total),
                "change": row.change,
                **{k: number(v) for k, v in row.indicators.items()},
                "bonus": number(row.bonus),
                "penalty": number(row.penalty),
                "top": row.top,
                "bottom": row.bottom,
            }
        )
    return rows


def _csv(rows: list[dict[str, Any]]) -> bytes:
    if not rows:
        return "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens Chinese CSV correctly


def _cell(value: Any) -> Any:
    """One CSV cell: lists joined by ；, text that Excel would run as a formula made inert (numbers stay numbers)."""
    if isinstance(value, list):
        value = "；".join(map(str, value))
    return "" if value is None else csv_cell(value)


def _json(rows: Any) -> bytes:
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode()


def tables(data: SiteData) -> dict[str, list[dict[str, Any]]]:
    """Export name (path without extension, under api/) → rows."""
    out = {
        "api/orgs": [_org_row(data, o) for o in sorted(data.reg.orgs.values(), key=lambda o: o.id)],
        "api/brands": [_brand_row(b) for b in data.brands],
        "api/projects": [_project_row(data, p) for p in sorted(data.projects, key=lambda p: p.id)],
    }
    for scheme in data.schemes:
        for ranking in data.histories[scheme.id]:
            out[f"api/rankings/{scheme.id}/{ranking.period.label}"] = _ranking_rows(ranking)
    return out


def export_files(data: SiteData) -> dict[str, bytes]:
    """Every export file: path → bytes (JSON and CSV of each table)."""
    files: dict[str, bytes] = {}
    for name, rows in tables(data).items():
        files[f"{name}.json"] = _json(rows)
        files[f"{name}.csv"] = _csv(rows)
    return files
