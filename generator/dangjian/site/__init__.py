"""The public site: pages from the registry model, in mkdocs-material's look."""
