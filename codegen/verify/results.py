"""What a build's verify step came to: `Verification`, its rounds and repairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import EXIT_API, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from ..repair import RepairRecord
from .command import CommandRun

VerifyStatus = Literal["passed", "failed", "timeout", "error", "skipped", "planned", "not-run"]


@dataclass(frozen=True)
class VerifyRepair:
    """One definition asked for again after a run failed through it."""

    path: str
    record: RepairRecord
    test: bool = False  # the definition is the failing test


@dataclass(frozen=True)
class VerifyRound:
    """One run of the command, and the repairs its failures led to. `run` is None when
    the round followed one that changed no code: its failures are the last run's."""

    run: CommandRun | None
    failed: tuple[str, ...] = ()  # failing tests (ids) or tracebacks
    repairs: tuple[VerifyRepair, ...] = ()
    note: str = ""  # why nothing was repaired after it, when nothing was


@dataclass(frozen=True)
class Verification:
    """The verify step of a build."""

    command: str
    cwd: str
    status: VerifyStatus
    detail: str = ""
    rounds: tuple[VerifyRound, ...] = ()
    api_error: bool = False  # a repair request failed at the API

    @property
    def repair_rounds(self) -> int:
        return sum(1 for r in self.rounds if r.repairs)

    @property
    def exit_code(self) -> int:
        if self.api_error:
            return EXIT_API
        if self.status == "error":
            return EXIT_USAGE
        if self.status in ("failed", "timeout"):
            return EXIT_FINDINGS
        return EXIT_OK
