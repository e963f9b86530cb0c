"""Verbatim copies of the contract schemas (shared/contracts) used to validate I/O."""
