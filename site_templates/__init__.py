"""Data package: the templates and theme overrides of the dangjian site (installed as `dangjian_site_templates`)."""
