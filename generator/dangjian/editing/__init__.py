"""Editors' tools: scaffolding new records and importing/exporting member rosters."""
