"""Progress: the build's events, plain lines, --quiet, --format json, the live display
on a (forced) terminal, and the summary table with cache savings."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from codegen.build import BuildOptions, build_spec
from codegen.models import lookup
from codegen.pricing import cache_savings
from codegen.progress import (
    Calling,
    Event,
    Finished,
    Note,
    PlainLines,
    Repairing,
    Tokens,
    Waiting,
    describe,
)
from codegen.report import render_build
from codegen.report.terminal import LiveProgress, print_summary, progress_display
from codegen.spec import load_spec
from codegen.testing import FakeStreamer, answer
from tests.cli_runner import CommandResult, run_codegen
from tests.double import MessagesDouble, ScriptedAuthor, count_tokens, replies
from tests.support import LAZY_STORE, client_for, fake_of, write_spec

ROOT = Path(__file__).resolve().parent.parent

ADD = "```python\ndef add(self, item):\n    self.items.append(item)\n```"


def two_files_script() -> list[Any]:
    """a.py cut once and continued; b.py with a placeholder in Store.add, repaired."""
    return [
        replies.cut("```python\nA = ("),
        replies.text("1)\n```"),
        replies.text(LAZY_STORE),
        replies.text(ADD),
    ]


def two_files_spec(folder: Path) -> Path:
    return write_spec(
        folder,
        [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b", "requires": ["Store.add"]}],
        model="claude-sonnet-5-5",
    )


PLAIN_LINES = [
    "a.py: waiting",
    "b.py: waiting",
    "a.py: streaming",
    "a.py: continuing (1/8)",
    "a.py: written",
    "b.py: streaming",
    "b.py: repairing: regenerate Store.add",
    "b.py: regenerate Store.add: streaming",
    "b.py: written",
]


def test_plain_lines_for_two_files_with_a_continuation_and_a_repair(tmp_path: Path) -> None:
    fake = fake_of(ScriptedAuthor(two_files_script()))
    out: list[str] = []
    result = build_spec(
        load_spec(two_files_spec(tmp_path)),
        BuildOptions(jobs=1),
        client=fake,
        progress=PlainLines(out.append),
    )
    assert result.exit_code == 0, [f.detail for f in result.files]
    assert "".join(out).splitlines() == PLAIN_LINES
    assert all(text.endswith("\n") and text.count("\n") == 1 for text in out)


def test_token_counts_come_from_the_stream_and_end_at_the_billed_count(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor(two_files_script()), delta_chars=3)
    events: list[Event] = []
    result = build_spec(
        load_spec(two_files_spec(tmp_path)),
        BuildOptions(jobs=1),
        client=client_for(double),
        progress=events.append,
    )
    a, b = result.files
    for f in (a, b):
        counts = [e for e in events if isinstance(e, Tokens) and e.path == f.path]
        estimated = [e for e in counts if e.estimated]
        assert len(estimated) > 3  # one per text delta of 3 characters
        assert counts[-1] == Tokens(f.path, f.usage.output_tokens, estimated=False)
    # Between calls the count is the billed one: a's second call starts from what the
    # double billed for the first answer (its tokens, as the double counts them).
    second_call = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, Calling) and e.path == "a.py" and e.kind == "continue"
    )
    assert events[second_call + 1] == Tokens("a.py", count_tokens("```python\nA = ("), estimated=False)


def test_events_describe_each_state() -> None:
    assert describe(Waiting("a.py")) == "waiting"
    assert describe(Calling("a.py", "first")) == "streaming"
    assert describe(Calling("a.py", "continue", 2, 8)) == "continuing (2/8)"
    assert describe(Calling("a.py", "retry-empty", 1, 8)) == "asking again (empty answer) (1/8)"
    assert describe(Calling("a.py", "continue", 1, 8, doing="add f")) == "add f: continuing (1/8)"
    assert (
        describe(Calling("a.py", "no-prefill", model="claude-x"))
        == "claude-x refuses prefill: continuing in a user turn"
    )
    assert describe(Repairing("a.py", "add f")) == "repairing: add f"
    assert describe(Finished("a.py", "incomplete", "line 3: ...")) == "incomplete"
    assert describe(Note("a.py", "warning: x")) == "warning: x"
    assert describe(Tokens("a.py", 10, True)) is None


def test_plain_lines_are_whole_lines_from_many_threads() -> None:
    # A writer that lets other threads in between characters, as a slow pipe would:
    # the lines stay whole only because PlainLines writes one event at a time.
    out: list[str] = []

    def write(text: str) -> None:
        for char in text:
            out.append(char)
            time.sleep(0)

    lines = PlainLines(write)

    def emit(n: int) -> None:
        for k in range(50):
            lines(Calling(f"f{n}.py", "continue", k, 50))

    threads = [threading.Thread(target=emit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = "".join(out).splitlines()
    assert len(written) == 300
    for n in range(6):
        assert [line for line in written if line.startswith(f"f{n}.py")] == [
            f"f{n}.py: continuing ({k}/50)" for k in range(50)
        ]


# -- the live display on a forced terminal ---------------------------------------------


def terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(
        file=screen, force_terminal=True, force_interactive=True, width=100, color_system="standard"
    ), screen


def shown(live: LiveProgress) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    with console.capture() as capture:
        console.print(live.renderable())
    return capture.get()


def test_the_live_display_shows_one_line_per_file_and_its_state() -> None:
    console, _ = terminal()
    live = LiveProgress(console)
    for event in [
        Waiting("a.py"),
        Waiting("b.py"),
        Waiting("c.py"),
        Waiting("d.py"),
        Calling("a.py", "first"),
        Tokens("a.py", 1234, estimated=True),
        Calling("b.py", "continue", 2, 8),
        Tokens("b.py", 8192, estimated=False),
        Repairing("c.py", "regenerate Store.add"),
        Finished("d.py", "incomplete", "line 9: unexpected end [truncated]"),
    ]:
        live(event)
    lines = [line.rstrip() for line in shown(live).splitlines()]
    assert lines == [
        "a.py  streaming ~1,234 tokens",
        "b.py  continuing 2/8 · 8,192 tokens",
        "c.py  repairing regenerate Store.add · 0 tokens",
        "d.py  incomplete: line 9: unexpected end [truncated]",
    ]
    live(Calling("c.py", "first", doing="regenerate Store.add"))
    live(Tokens("c.py", 40, estimated=True))
    live(Finished("a.py", "written"))
    lines = [line.rstrip() for line in shown(live).splitlines()]
    assert lines[0] == "a.py  written"
    assert lines[2] == "c.py  repairing regenerate Store.add · streaming ~40 tokens"


def test_a_build_on_a_forced_terminal_draws_live_and_ends_with_every_final_state(tmp_path: Path) -> None:
    console, screen = terminal()
    fake = fake_of(ScriptedAuthor(two_files_script()))
    with progress_display(console) as observer:
        assert isinstance(observer, LiveProgress)
        observer(Note("spec.yaml", "warning: a note above the live lines"))
        result = build_spec(
            load_spec(two_files_spec(tmp_path)),
            BuildOptions(jobs=1),
            client=fake,
            progress=observer,
        )
    assert result.exit_code == 0
    drawn = screen.getvalue()
    assert "\x1b[" in drawn  # drawn with terminal control codes, not plain lines
    assert "spec.yaml: warning: a note above the live lines" in drawn
    final = drawn.rsplit("a.py", 1)[1]  # the last frame: a.py's line and b.py's
    assert "written" in final and "b.py" in final and final.count("written") == 2


def test_print_summary_draws_a_table_with_cache_columns(tmp_path: Path) -> None:
    fake = fake_of(ScriptedAuthor(two_files_script()))
    result = build_spec(load_spec(two_files_spec(tmp_path)), BuildOptions(jobs=1), client=fake)
    console = Console(file=io.StringIO(), width=140, color_system=None)
    with console.capture() as capture:
        print_summary([result], console)
    text = capture.get()
    for column in ("file", "status", "calls", "cache wr", "cache rd", "cost", "saved"):
        assert column in text
    total = next(line for line in text.splitlines() if line.strip().startswith("total"))
    assert total.split()[1:3] == ["4", "1"]  # 4 calls (2 + a repair's 1 for b), 1 continuation
    assert "b.py: repair round 1: regenerate" in text and ": applied; for placeholder" in text


def test_at_80_columns_the_summary_keeps_path_status_and_cost_whole(tmp_path: Path) -> None:
    long_path = "src/package/subpackage/a_module_with_a_long_name.py"
    spec = load_spec(
        write_spec(tmp_path, [{"path": long_path, "prompt": "x"}, {"path": "b.py", "prompt": "y"}])
    )
    fake = FakeStreamer([answer("```python\nA = 1\n```"), answer("```python\nB = 1\n```")])
    result = build_spec(spec, BuildOptions(jobs=1), client=fake)
    console = Console(file=io.StringIO(), width=80, color_system=None)
    with console.capture() as capture:
        print_summary([result], console)
    text = capture.get()
    row = next(line for line in text.splitlines() if long_path in line)
    assert "written" in row and "$" in row and "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "cache wr" not in text  # dropped first; --format json keeps it


# -- the summary: cache savings in text and json ---------------------------------------


def test_summary_reports_cache_writes_reads_and_savings(tmp_path: Path) -> None:
    # Each answer says what it wrote to and read from the cache.
    script = [
        replies.text(
            "```python\nA = 1\n```", cache_creation_input_tokens=4000, cache_creation_1h_input_tokens=1000
        ),
        replies.text("```python\nB = 2\n```", cache_read_input_tokens=50_000),
    ]
    double = MessagesDouble(ScriptedAuthor(script))
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}],
            model="claude-sonnet-4-6",
        )
    )
    result = build_spec(spec, BuildOptions(jobs=1), client=client_for(double))
    a, b = result.files
    # $3 input, $3.75 5-minute write, $6 1-hour write, $0.30 read (per MTok).
    assert a.cache_savings == pytest.approx(-(3000 * 0.75 + 1000 * 3.0) / 1e6)
    assert b.cache_savings == pytest.approx(50_000 * 2.7 / 1e6)
    assert result.cache_savings == pytest.approx(0.135 - 0.00525)
    assert result.cache_savings == pytest.approx(cache_savings(result.usage, lookup("claude-sonnet-4-6")))

    text = render_build([result], "text").splitlines()
    assert text[1].split() == [
        "file",
        "status",
        "calls",
        "cont.",
        "in",
        "tok",
        "out",
        "tok",
        "cache",
        "wr",
        "cache",
        "rd",
        "cost",
        "saved",
    ]
    row_a = next(line for line in text if line.strip().startswith("a.py")).split()
    assert row_a[6:8] == ["4,000", "0"] and row_a[-1] == "-$0.0053"
    total = next(line for line in text if line.strip().startswith("total")).split()
    assert total[5:7] == ["4,000", "50,000"] and total[-1] == "$0.1298"

    data = json.loads(render_build([result], "json"))["specs"][0]
    assert data["cache_savings_usd"] == pytest.approx(result.cache_savings)
    assert data["files"][0]["cache_write_1h_tokens"] == 1000
    assert data["files"][0]["cache_savings_usd"] == pytest.approx(a.cache_savings)
    assert data["total"]["calls"] == 2 and data["total"]["cache_read_tokens"] == 50_000
    assert data["total"]["cost_usd"] == pytest.approx(result.cost)


# -- the command: plain lines off a terminal, --quiet, --format json --------------------


def codegen(*args: str, url: str, env: dict[str, str] | None = None) -> CommandResult:
    # Nothing that would make rich take the captured streams for a terminal.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "CODEGEN_", "TTY_")) and k != "FORCE_COLOR"
    }
    return run_codegen(*args, env={**base, "PYTHONPATH": str(ROOT), "ANTHROPIC_BASE_URL": url, **(env or {})})


def test_the_command_prints_plain_lines_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor(two_files_script()))
    with double.serve() as url:
        result = codegen("build", "--jobs", "1", str(two_files_spec(tmp_path)), url=url)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == PLAIN_LINES
    assert "\x1b[" not in result.stderr + result.stdout
    assert result.stdout.splitlines()[1].split()[:2] == ["file", "status"]


def test_quiet_prints_the_summary_and_nothing_else(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor(two_files_script()))
    with double.serve() as url:
        result = codegen("build", "--jobs", "1", "--quiet", str(two_files_spec(tmp_path)), url=url)
    assert result.returncode == 0
    assert result.stderr == ""
    assert any(line.strip().startswith("total") for line in result.stdout.splitlines())


def test_quiet_still_prints_errors(tmp_path: Path) -> None:
    result = codegen("build", "--quiet", str(two_files_spec(tmp_path)), url="")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("codegen: error: no API key")
    assert len(result.stderr.splitlines()) == 1


def test_json_on_stdout_holds_no_progress(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor(two_files_script()))
    with double.serve() as url:
        result = codegen("build", "--jobs", "1", "--format", "json", str(two_files_spec(tmp_path)), url=url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert [f["status"] for f in data["specs"][0]["files"]] == ["written", "written"]
    assert "cache_savings_usd" in data["specs"][0]["total"]
    assert result.stderr.splitlines() == PLAIN_LINES  # progress went to stderr


def test_the_command_draws_live_on_a_terminal(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor(two_files_script()))
    with double.serve() as url:
        result = codegen(
            "build",
            "--jobs",
            "1",
            str(two_files_spec(tmp_path)),
            url=url,
            env={"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "100"},
        )
    assert result.returncode == 0, result.stderr
    assert "\x1b[" in result.stderr and "b.py: waiting" not in result.stderr
    final = result.stderr.rsplit("a.py", 1)[1]  # the last frame: a.py's line and b.py's
    assert "b.py" in final and final.count("written") == 2
    # stdout counts as a terminal too: the summary is a rich table.
    assert "total" in result.stdout and "saved" in result.stdout
