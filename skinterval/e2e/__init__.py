"""End-to-end tests: the real Django server driven by Debian's Chromium through
Playwright. Marked `e2e`; `make test` runs them once, in its SQLite pass."""
