"""The build on a terminal (rich): a live line per file, and the summary table.

`progress_display` picks how a build's events are shown on stderr: a live display where
stderr is an interactive terminal (as rich decides: a TTY, not TERM=dumb, or
TTY_INTERACTIVE=1), plain `path: state` lines where it is not (a log, a pipe, CI),
nothing with --quiet. `print_summary` draws the summary as a rich table where stdout is
a terminal; elsewhere the CLI prints `report.render_build`'s plain text. The build never
imports this module: it only emits `progress` events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import IO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..build import BuildResult
from ..progress import (
    Calling,
    Event,
    Finished,
    Note,
    Observer,
    PlainLines,
    Repairing,
    Tokens,
    Waiting,
    ignore,
    token_count,
)
from .render import summary_notes, summary_rows

# How each final status is coloured: done, not done, not attempted.
_STATUS_STYLE = {
    "written": "green",
    "unchanged": "green",
    "planned": "cyan",
    "submitted": "cyan",
    "incomplete": "yellow",
    "refused": "red",
    "failed": "red",
    "skipped": "yellow",
}


@dataclass
class _Row:
    """What the display knows about one file (mutated under LiveProgress's lock)."""

    phase: str = "waiting"  # waiting, streaming, continuing, asking again, user turn, repairing, done
    doing: str = ""  # the repair under way
    count: int = 0
    limit: int = 0
    tokens: int = 0
    estimated: bool = False
    status: str = ""
    detail: str = ""

    def render(self) -> Text:
        if self.phase == "done":
            text = Text(self.status, style=_STATUS_STYLE.get(self.status, ""))
            if self.detail and self.status not in ("written", "unchanged"):
                text.append(f": {self.detail}", style="dim")
            return text
        if self.phase == "waiting":
            return Text("waiting", style="dim")
        tokens = token_count(self.tokens, self.estimated)
        steps = {
            "streaming": f"streaming {tokens}",
            "continuing": f"continuing {self.count}/{self.limit} · {tokens}",
            "asking again": f"asking again (empty answer) {self.count}/{self.limit} · {tokens}",
            "user turn": f"prefill refused: continuing in a user turn · {tokens}",
            "repairing": f"{tokens}",
        }
        step = steps[self.phase]
        if self.doing:
            return Text(f"repairing {self.doing} · {step}", style="magenta")
        return Text(step, style="blue")


class LiveProgress:
    """A live line per file, redrawn a few times a second; safe to call from any thread.

    Notes (warnings, --verbose lines) are printed above the live lines. When the build
    ends, the last state of every line stays on the screen.
    """

    def __init__(self, console: Console, *, title: str = "", refresh_per_second: float = 8) -> None:
        self._console = console
        self._title = title
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._live = Live(
            console=console,
            get_renderable=self.renderable,
            refresh_per_second=refresh_per_second,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __enter__(self) -> LiveProgress:
        self._live.start(refresh=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._live.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Note):
            self._live.console.print(f"{event.path}: {event.message}", markup=False, highlight=False)
            return
        with self._lock:
            row = self._rows.setdefault(event.path, _Row())
            _apply(row, event)

    def renderable(self) -> RenderableType:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        with self._lock:
            for path, row in self._rows.items():
                grid.add_row(Text(path), row.render())
        if not self._title:
            return grid
        return Group(Text(self._title, style="bold"), grid)


def _apply(row: _Row, event: Event) -> None:
    if isinstance(event, Waiting):
        row.phase = "waiting"
    elif isinstance(event, Calling):
        row.doing = event.doing
        row.count, row.limit = event.count, event.limit
        row.phase = {
            "first": "streaming",
            "continue": "continuing",
            "retry-empty": "asking again",
            "no-prefill": "user turn",
        }[event.kind]
    elif isinstance(event, Tokens):
        row.tokens, row.estimated = event.tokens, event.estimated
    elif isinstance(event, Repairing):
        row.phase, row.doing = "repairing", event.what
    elif isinstance(event, Finished):
        row.phase, row.status, row.detail, row.doing = "done", event.status, event.detail, ""


@contextmanager
def progress_display(console: Console, *, quiet: bool = False, title: str = "") -> Iterator[Observer]:
    """The observer for a build whose progress goes to `console` (stderr): live lines on
    a terminal, plain lines elsewhere, none with `quiet`."""
    if quiet:
        yield ignore
    elif console.is_interactive:  # a terminal, not TERM=dumb; TTY_INTERACTIVE=0|1 overrides
        with LiveProgress(console, title=title) as live:
            yield live
    else:
        yield PlainLines(_flushed(console.file))


def _flushed(stream: IO[str]) -> Callable[[str], None]:
    """Write and flush each line, so a log shows it as it happens."""

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write


# The columns a narrow terminal drops first; path, status and cost always stay whole
# (`--format json` keeps everything).
_DROPPED_FIRST = ("cache wr", "cache rd", "saved", "cont.", "in tok", "calls", "out tok")


def _fitting(rows: list[tuple[str, ...]], width: int) -> list[tuple[str, ...]]:
    """`rows` without the columns that do not fit in `width` characters."""
    keep = list(range(len(rows[0])))

    def needed() -> int:
        # Rich pads each cell by one on either side and puts a space between columns.
        return sum(max(len(row[i]) for row in rows) for i in keep) + 3 * (len(keep) - 1) + 2

    for name in _DROPPED_FIRST:
        if needed() <= width:
            break
        keep.remove(rows[0].index(name))
    return [tuple(row[i] for i in keep) for row in rows]


def print_summary(results: Sequence[BuildResult], console: Console) -> None:
    """Each spec's summary as a rich table, then its notes (repairs, details, kept files)."""
    for result in results:
        rows = _fitting(summary_rows(result), console.width)
        header, files, total = rows[0], rows[1:-1], rows[-1]
        console.print(f"{result.spec} ({result.model})", markup=False, highlight=False)
        for warning in result.warnings:
            console.print(f"  warning: {warning}", markup=False, highlight=False)
        table = Table(show_edge=False, pad_edge=False, box=box.SIMPLE_HEAD)
        for n, name in enumerate(header):
            table.add_column(name, justify="left" if n < 2 else "right", no_wrap=True)
        for row in files:
            table.add_row(row[0], Text(row[1], style=_STATUS_STYLE.get(row[1], "")), *row[2:])
        table.add_section()
        table.add_row(*total, style="bold")
        console.print(table)
        for line in summary_notes(result):
            console.print(f"  {line}", markup=False, highlight=False)
