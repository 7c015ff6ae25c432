"""Build summaries as text, JSON or problem-matcher lines. Pure: results in, text out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validators.render import printable

from ..verify.failures import clip
from . import problems
from .batches import batch_notes

if TYPE_CHECKING:  # names for annotations: `codegen check` need not load the SDK the build uses
    from ..build import BuildResult, FileResult
    from ..check import Problem
    from ..estimate import Estimate, SpecEstimate
    from ..models import Usage
    from ..spec import Spec
    from ..verify.command import CommandRun
    from ..verify.results import Verification


def render_build(results: Sequence[BuildResult], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(_build_json(results), indent=2, sort_keys=True) + "\n"
    if fmt == "problems":
        return problems.build_problems(results, Path.cwd())
    return "".join(_build_text(r) for r in results)


def _shown(path: Path) -> str:
    return problems.shown(path, Path.cwd())


def _money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"-${-value:.4f}" if value < 0 else f"${value:.4f}"


def summary_rows(result: BuildResult) -> list[tuple[str, ...]]:
    """The summary table of a build: a header, a row per file, and the total.

    `cache wr` is every token written to the cache (5-minute and 1-hour); `saved` is
    `models.cache_savings`: what the cache reads saved over the input price, less the
    premium paid for the writes."""
    header = (
        "file",
        "status",
        "calls",
        "cont.",
        "in tok",
        "out tok",
        "cache wr",
        "cache rd",
        "cost",
        "saved",
    )

    def cells(usage: Usage) -> tuple[str, ...]:
        return (
            f"{usage.input_tokens:,}",
            f"{usage.output_tokens:,}",
            f"{usage.cache_write_tokens:,}",
            f"{usage.cache_read_tokens:,}",
        )

    rows: list[tuple[str, ...]] = [header]
    for f in result.files:
        rows.append(
            (
                f.path,
                f.status,
                str(f.calls),
                str(f.continuations),
                *cells(f.usage),
                # Planned (or in a batch): not known yet, and "$0.0000" would read as free.
                "" if f.status in ("planned", "submitted") else _money(f.cost),
                "" if f.status in ("planned", "submitted") else _money(f.cache_savings),
            )
        )
    planned = bool(result.files) and all(f.status == "planned" for f in result.files)
    rows.append(
        (
            "total",
            "",
            str(sum(f.calls for f in result.files)),
            str(sum(f.continuations for f in result.files)),
            *cells(result.usage),
            "" if planned else _money(result.cost),
            "" if planned else _money(result.cache_savings),
        )
    )
    return rows


def _build_text(result: BuildResult) -> str:
    rows = summary_rows(result)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"{result.spec} ({result.model})"]
    lines += [f"  warning: {w}" for w in result.warnings]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(w) for cell, w in zip(row[2:], widths[2:], strict=True)]
        if n == len(rows) - 1:
            lines.append("  " + "  ".join("-" * w for w in widths))
        lines.append("  " + "  ".join(cells).rstrip())
    lines += [f"  {line}" for line in summary_notes(result)]
    return "\n".join(lines) + "\n"


def summary_notes(result: BuildResult) -> list[str]:
    """What the table does not say: each repair, answers replayed, details, kept files."""
    lines = []
    for f in result.files:
        for r in f.repairs:
            spent = f"{r.calls} call{'s' if r.calls != 1 else ''}, {r.usage.output_tokens:,} tokens out"
            why = f" ({r.detail})" if r.detail and r.outcome != "applied" else ""
            lines.append(
                f"{f.path}: repair round {r.round}: {r.label}: {r.outcome}{why}; "
                f"for {', '.join(r.findings)} ({spent})"
            )
        if f.replayed:
            spared = f" (they cost {_money(f.journal_saved)} when bought)" if f.journal_saved else ""
            lines.append(
                f"{f.path}: {f.replayed} answer{'s' if f.replayed != 1 else ''} "
                f"from the journal, not paid again{spared}"
            )
        if f.detail:
            lines.append(f"{f.path}: {f.detail}")
        if f.kept:
            lines.append(f"{f.path}: unfinished result kept in {f.kept}")
    # The verify lines are indented for a report of their own; the caller indents these.
    lines += [line.removeprefix("  ") for line in _verify_text(result.verification)]
    if result.batch is not None:
        lines += batch_notes(result.spec, result.batch)
    return lines


def _file_json(f: FileResult) -> dict[str, Any]:
    return {
        "path": f.path,
        "status": f.status,
        "model": f.model,
        "calls": f.calls,
        "continuations": f.continuations,
        "stalls": f.stalls,
        "input_tokens": f.usage.input_tokens,
        "output_tokens": f.usage.output_tokens,
        "cache_write_tokens": f.usage.cache_write_tokens,
        "cache_read_tokens": f.usage.cache_read_tokens,
        "cache_write_1h_tokens": f.usage.cache_write_1h_tokens,
        "cost_usd": f.cost,
        "cache_savings_usd": f.cache_savings,
        "validated": f.validated,
        "detail": f.detail,
        "kept": f.kept,
        "findings": [g.to_dict() for g in f.findings],
        "repairs": [r.to_dict() for r in f.repairs],
        "replayed": f.replayed,
        "journal_saved_usd": f.journal_saved,
    }


def _build_json(results: Sequence[BuildResult]) -> dict[str, Any]:
    return {
        "specs": [
            {
                "spec": str(r.spec),
                "model": r.model,
                "files": [_file_json(f) for f in r.files],
                "cost_usd": r.cost,
                "cache_savings_usd": r.cache_savings,
                "total": _usage_json(
                    r.usage,
                    calls=sum(f.calls for f in r.files),
                    continuations=sum(f.continuations for f in r.files),
                    cost_usd=r.cost,
                    cache_savings_usd=r.cache_savings,
                ),
                "exit_code": r.exit_code,
                "warnings": list(r.warnings),
                "verify": _verify_json(r.verification),
                "batch": None if r.batch is None else dataclasses.asdict(r.batch),
            }
            for r in results
        ],
        "exit_code": max((r.exit_code for r in results), default=0),
    }


def render_check(results: Sequence[tuple[Spec, Sequence[Problem]]], fmt: str) -> str:
    """`codegen check` output: one line per problem, or one line per spec that is fine."""
    if fmt == "json":
        data = {
            "specs": [
                {
                    "spec": str(spec.path),
                    "problems": [{"path": p.path, "message": p.message, "code": p.code} for p in found],
                }
                for spec, found in results
            ]
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if fmt == "problems":
        return problems.check_problems(results, Path.cwd())
    lines = []
    for spec, found in results:
        lines += [f"{printable(_shown(spec.output_dir / p.path))}: {printable(p.message)}" for p in found]
        if not found:
            lines.append(f"{printable(str(spec.path))}: {len(spec.files)} outputs up to date")
    return "".join(line + "\n" for line in lines)


def render_estimate(results: Sequence[SpecEstimate], fmt: str) -> str:
    """`codegen estimate` output: a table per spec, its total and its assumptions."""
    if fmt == "json":
        data = {
            "specs": [
                {
                    "spec": str(r.spec),
                    "model": r.model,
                    "files": [_estimate_json(f) for f in r.files],
                    "total": _usage_json(r.usage, calls=r.calls, cost_usd=r.cost),
                    "assumptions": list(r.assumptions),
                }
                for r in results
            ]
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    return "\n".join(_estimate_text(r) for r in results)


def _usage_json(usage: Usage, **more: Any) -> dict[str, Any]:
    return {
        **more,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_1h_tokens": usage.cache_write_1h_tokens,
    }


def _estimate_json(f: Estimate) -> dict[str, Any]:
    return _usage_json(
        f.usage,
        path=f.path,
        calls=f.calls,
        continuations=f.continuations,
        cost_usd=f.cost,
        prompt_tokens=f.prompt_tokens,
        expected_output_tokens=f.expected_output,
        output_from=f.output_from,
        local_count=f.local_count,
        cut=f.cut,
    )


def _estimate_text(result: SpecEstimate) -> str:
    header = ("file", "calls", "in tok", "cache wr", "cache rd", "out tok", "cost")

    def row(name: str, calls: int, usage: Usage, money: float | None) -> tuple[str, ...]:
        return (
            name,
            str(calls),
            f"{usage.input_tokens:,}",
            f"{usage.cache_write_tokens:,}",
            f"{usage.cache_read_tokens:,}",
            f"{usage.output_tokens:,}",
            _money(money),
        )

    rows = [header] + [row(f.path, f.calls, f.usage, f.cost) for f in result.files]
    rows.append(row("total", result.calls, result.usage, result.cost))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    local = any(f.local_count for f in result.files)
    lines = [f"{result.spec} ({result.model}{', local count' if local else ''}): estimate"]
    for n, cells in enumerate(rows):
        if n == len(rows) - 1:
            lines.append("  " + "  ".join("-" * w for w in widths))
        lines.append(
            "  "
            + "  ".join(
                [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
            ).rstrip()
        )
    lines.append("  assumptions:")
    lines += [f"    - {a}" for a in result.assumptions]
    return "\n".join(lines) + "\n"


# -- the verify step ---------------------------------------------------------------

# The end of a failing run's output shown in the text summary, and kept in the JSON.
_OUTPUT_LINES = 20
_OUTPUT_CHARS = 20_000


def _verify_text(v: Verification | None) -> list[str]:
    if v is None:
        return []
    if v.status in ("skipped", "planned", "not-run"):
        shown = {"skipped": f"skipped ({v.detail})", "planned": v.detail, "not-run": v.detail}
        return [f"  verify: `{v.command}`: {shown[v.status]}"]
    verdict = v.detail if v.status == "passed" and v.detail else f"{v.status}: {v.detail}"
    lines = [f"  verify: `{v.command}` in {v.cwd}: {verdict}"]
    runs = 0
    last: CommandRun | None = None
    for n, r in enumerate(v.rounds, 1):
        if r.run is not None:
            runs, last = runs + 1, r.run
            failed = f"; failed: {', '.join(r.failed)}" if r.failed else ""
            lines.append(f"    run {runs}: {_ran(r.run)}{failed}")
        for repair in r.repairs:
            record = repair.record
            spent = (
                f"{record.calls} call{'s' if record.calls != 1 else ''}, "
                f"{record.usage.output_tokens:,} tokens out"
            )
            outcome = {"applied": "repaired", "unchanged": f"kept ({record.detail})"}.get(
                record.outcome, f"repair failed ({record.detail})"
            )
            what = f"{record.label} (the test)" if repair.test else record.label
            lines.append(f"      repair round {n}: {repair.path}: {what}: {outcome} ({spent})")
        if r.note:
            lines.append(f"      nothing repaired: {r.note}")
    if v.status in ("failed", "timeout") and last is not None and last.output.strip():
        tail = last.output.rstrip().splitlines()[-_OUTPUT_LINES:]
        lines.append(f"    output of run {runs} (last {len(tail)} lines):")
        lines += [f"    | {line}" for line in tail]
    return lines


def _ran(run: CommandRun) -> str:
    if run.error:
        return f"did not start: {run.error}"
    if run.timed_out:
        return f"killed at its timeout after {run.seconds:.1f} s"
    return f"exit {run.returncode} in {run.seconds:.2f} s"


def _verify_json(v: Verification | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "command": v.command,
        "cwd": v.cwd,
        "status": v.status,
        "detail": v.detail,
        "exit_code": v.exit_code,
        "rounds": [
            {
                # null: the round before changed no code, so the command was not run again
                "run": None
                if r.run is None
                else {
                    "exit_code": r.run.returncode,
                    "timed_out": r.run.timed_out,
                    "error": r.run.error,
                    "seconds": round(r.run.seconds, 3),
                    "output": clip(r.run.output, _OUTPUT_CHARS),
                },
                "failed": list(r.failed),
                "repairs": [{"path": p.path, "test": p.test, **p.record.to_dict()} for p in r.repairs],
                "note": r.note,
            }
            for r in v.rounds
        ],
    }
