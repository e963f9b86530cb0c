"""Errors raised by the clinical domain.

Every expected failure (bad input, bad protocol, broken rules data) is a
`DomainError`, so interfaces can turn it into a clean message and an exit code
instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class InvalidInput(DomainError):
    """Input that does not satisfy a contract; `problems` holds one line per problem.

    Each line names the offending path first (``scars[0].area: ...``), so a caller can
    print them as they are.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("; ".join(self.problems) or "invalid input")


class InvalidProtocol(InvalidInput):
    """A clinic protocol that is malformed or crosses a hard safety limit."""


class RulesError(DomainError):
    """The packaged rules data is inconsistent (a defect, caught by the test suite)."""
