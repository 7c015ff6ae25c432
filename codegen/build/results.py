"""What a build was asked to do and what came of it: `BuildOptions`, `FileResult`,
`BuildResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from validators import Finding

from .. import pricing
from ..errors import EXIT_API, EXIT_FINDINGS, EXIT_OK
from ..models import Usage
from ..repair import RepairRecord
from ..verify.results import Verification

if TYPE_CHECKING:
    from .batched import BatchReport

# "submitted": waiting in an open Message Batch (--batch --detach); a later build collects it.
FileStatus = Literal[
    "written", "unchanged", "incomplete", "refused", "failed", "skipped", "planned", "submitted"
]


@dataclass(frozen=True)
class BuildOptions:
    only: tuple[str, ...] = ()
    jobs: int = 1  # files generated at once (threads; the SDK client is thread-safe)
    max_cost: float | None = None
    offline: bool = False
    force: bool = False
    dry_run: bool = False
    verbose: bool = False  # a progress line per call: stop reason and tokens
    # False: never prefill, continue in user turns (a server that takes no prefill and
    # says nothing, like llama-server --no-prefill-assistant).
    prefill: bool = True
    verify: bool = True  # run the spec's verify command after the build (--no-verify: False)
    # Write outputs outside the spec's project (`spec.project_folder`): --allow-outside.
    allow_outside: bool = False
    # Another build of the spec holds it: wait for it (False: fail at once, --no-wait).
    wait_for_others: bool = True
    # Through the Message Batches API at half the price, in rounds (`codegen.build.batched`):
    # --batch; --detach submits and exits; --poll, seconds between checks of a batch.
    batch: bool = False
    detach: bool = False
    batch_poll: float = 30.0


@dataclass(frozen=True)
class FileResult:
    path: str
    status: FileStatus
    model: str
    calls: int = 0
    continuations: int = 0
    # User-turn answers that added nothing (only repeated what was written): each was
    # followed by a turn quoting the end of the code.
    stalls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float | None = 0.0
    detail: str = ""
    validated: bool = False  # checked by the validators before writing
    findings: tuple[Finding, ...] = ()  # what made a Python file incomplete
    kept: str | None = None  # where an incomplete result was kept
    api_error: bool = False
    repairs: tuple[RepairRecord, ...] = ()
    replayed: int = 0  # answers that came from the journal, not paid again
    journal_saved: float | None = 0.0  # USD those answers cost when they were bought
    cache_savings: float | None = 0.0  # USD, `models.cache_savings`; None: prices unknown


@dataclass(frozen=True)
class BuildResult:
    spec: Path
    model: str
    files: tuple[FileResult, ...]
    output_dir: Path = Path(".")
    warnings: tuple[str, ...] = ()
    verification: Verification | None = None  # the spec's verify step, when it has one
    batch: BatchReport | None = None  # --batch: its rounds and batches

    @property
    def usage(self) -> Usage:
        return Usage.total(f.usage for f in self.files)

    @property
    def cost(self) -> float | None:
        return pricing.total(f.cost for f in self.files)

    @property
    def cache_savings(self) -> float | None:
        return pricing.total(f.cache_savings for f in self.files)

    @property
    def exit_code(self) -> int:
        if any(f.api_error for f in self.files):
            return EXIT_API
        if any(f.status not in ("written", "unchanged", "planned", "submitted") for f in self.files):
            return EXIT_FINDINGS
        return self.verification.exit_code if self.verification is not None else EXIT_OK
