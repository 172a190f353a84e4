"""Command-line commands for editors, registered on the `dangjian` group (see cli.py)."""

from __future__ import annotations
