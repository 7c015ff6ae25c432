"""Build summaries as text, JSON or problem-matcher lines. Pure: results in, text out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import problems
from .build import BuildResult, FileResult
from .check import Problem
from .estimate import Estimate, SpecEstimate
from .models import Usage
from .spec import Spec


def render_build(results: Sequence[BuildResult], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(_build_json(results), indent=2, sort_keys=True) + "\n"
    if fmt == "problems":
        return problems.build_problems(results, Path.cwd())
    return "".join(_build_text(r) for r in results)


def _shown(path: Path) -> str:
    return problems.shown(path, Path.cwd())


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _build_text(result: BuildResult) -> str:
    header = ("file", "status", "calls", "cont.", "in tok", "out tok", "cache rd", "cost")
    rows = [header]
    for f in result.files:
        rows.append((f.path, f.status, str(f.calls), str(f.continuations),
                     f"{f.usage.input_tokens:,}", f"{f.usage.output_tokens:,}",
                     f"{f.usage.cache_read_tokens:,}", _money(f.cost)))
    total = result.usage
    rows.append(("total", "", str(sum(f.calls for f in result.files)),
                 str(sum(f.continuations for f in result.files)), f"{total.input_tokens:,}",
                 f"{total.output_tokens:,}", f"{total.cache_read_tokens:,}", _money(result.cost)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"{result.spec} ({result.model})"]
    lines += [f"  warning: {w}" for w in result.warnings]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(w) for cell, w in zip(row[2:], widths[2:], strict=True)]
        if n == len(rows) - 1:
            lines.append("  " + "  ".join("-" * w for w in widths))
        lines.append("  " + "  ".join(cells).rstrip())
    for f in result.files:
        for r in f.repairs:
            spent = f"{r.calls} call{'s' if r.calls != 1 else ''}, {r.usage.output_tokens:,} tokens out"
            outcome = "repaired" if r.outcome == "applied" else f"repair failed ({r.detail})"
            lines.append(f"  {f.path}: {outcome}: {', '.join(r.findings)} -> {r.label} ({spent})")
        if f.replayed:
            lines.append(f"  {f.path}: {f.replayed} answer{'s' if f.replayed != 1 else ''} "
                         "from the journal, not paid again")
        if f.detail:
            lines.append(f"  {f.path}: {f.detail}")
        if f.kept:
            lines.append(f"  {f.path}: unfinished result kept in {f.kept}")
    return "\n".join(lines) + "\n"


def _file_json(f: FileResult) -> dict[str, Any]:
    return {
        "path": f.path,
        "status": f.status,
        "model": f.model,
        "calls": f.calls,
        "continuations": f.continuations,
        "input_tokens": f.usage.input_tokens,
        "output_tokens": f.usage.output_tokens,
        "cache_write_tokens": f.usage.cache_write_tokens,
        "cache_read_tokens": f.usage.cache_read_tokens,
        "cost_usd": f.cost,
        "validated": f.validated,
        "detail": f.detail,
        "kept": f.kept,
        "findings": [g.to_dict() for g in f.findings],
        "repairs": [r.to_dict() for r in f.repairs],
        "replayed": f.replayed,
    }


def _build_json(results: Sequence[BuildResult]) -> dict[str, Any]:
    return {
        "specs": [
            {
                "spec": str(r.spec),
                "model": r.model,
                "files": [_file_json(f) for f in r.files],
                "cost_usd": r.cost,
                "exit_code": r.exit_code,
                "warnings": list(r.warnings),
            }
            for r in results
        ],
        "exit_code": max((r.exit_code for r in results), default=0),
    }


def render_check(results: Sequence[tuple[Spec, Sequence[Problem]]], fmt: str) -> str:
    """`codegen check` output: one line per problem, or one line per spec that is fine."""
    if fmt == "json":
        data = {"specs": [{"spec": str(spec.path),
                           "problems": [{"path": p.path, "message": p.message, "code": p.code}
                                        for p in found]}
                          for spec, found in results]}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if fmt == "problems":
        return problems.check_problems(results, Path.cwd())
    lines = []
    for spec, found in results:
        lines += [f"{_shown(spec.output_dir / p.path)}: {p.message}" for p in found]
        if not found:
            lines.append(f"{spec.path}: {len(spec.files)} outputs up to date")
    return "".join(line + "\n" for line in lines)


def render_estimate(results: Sequence[SpecEstimate], fmt: str) -> str:
    """`codegen estimate` output: a table per spec, its total and its assumptions."""
    if fmt == "json":
        data = {"specs": [{"spec": str(r.spec), "model": r.model,
                           "files": [_estimate_json(f) for f in r.files],
                           "total": _usage_json(r.usage, calls=r.calls, cost_usd=r.cost),
                           "assumptions": list(r.assumptions)}
                          for r in results]}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    return "\n".join(_estimate_text(r) for r in results)


def _usage_json(usage: Usage, **more: Any) -> dict[str, Any]:
    return {**more, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cache_read_tokens": usage.cache_read_tokens}


def _estimate_json(f: Estimate) -> dict[str, Any]:
    return _usage_json(f.usage, path=f.path, calls=f.calls, continuations=f.continuations,
                       cost_usd=f.cost, prompt_tokens=f.prompt_tokens,
                       expected_output_tokens=f.expected_output, output_from=f.output_from,
                       local_count=f.local_count, cut=f.cut)


def _estimate_text(result: SpecEstimate) -> str:
    header = ("file", "calls", "in tok", "cache wr", "cache rd", "out tok", "cost")

    def row(name: str, calls: int, usage: Usage, money: float | None) -> tuple[str, ...]:
        return (name, str(calls), f"{usage.input_tokens:,}", f"{usage.cache_write_tokens:,}",
                f"{usage.cache_read_tokens:,}", f"{usage.output_tokens:,}", _money(money))

    rows = [header] + [row(f.path, f.calls, f.usage, f.cost) for f in result.files]
    rows.append(row("total", result.calls, result.usage, result.cost))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    local = any(f.local_count for f in result.files)
    lines = [f"{result.spec} ({result.model}{', local count' if local else ''}): estimate"]
    for n, cells in enumerate(rows):
        if n == len(rows) - 1:
            lines.append("  " + "  ".join("-" * w for w in widths))
        lines.append("  " + "  ".join([cells[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]).rstrip())
    lines.append("  assumptions:")
    lines += [f"    - {a}" for a in result.assumptions]
    return "\n".join(lines) + "\n"
