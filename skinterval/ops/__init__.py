"""Operating an installation: backup and restore (docs/operations.md)."""
