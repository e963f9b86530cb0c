"""Versioned clinical rules data (``default.toml``); see ``domain.ruleset``."""
