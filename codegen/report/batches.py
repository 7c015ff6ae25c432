"""What --batch reports: the summary's lines about a batch build (`batch_notes`), and
`codegen status` as text or JSON (`render_status`). Pure: results in, text out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..build.batched import BatchReport
    from ..status import OpenBatch, SpecBatches


def render_status(results: Sequence[SpecBatches], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"specs": [_json(r) for r in results]}, indent=2, sort_keys=True) + "\n"
    return "".join(_text(r) for r in results)


def _text(result: SpecBatches) -> str:
    n = len(result.batches)
    if not n:
        return f"{result.spec}: no open batches\n"
    lines = [f"{result.spec}: {n} open batch{'es' if n != 1 else ''}"]
    lines += [f"  {_line(b)}" for b in result.batches]
    if any(b.status == "ended" for b in result.batches):
        lines.append(f"  ended batches are collected by the next `codegen build {result.spec} --batch`")
    elif any(b.status != "gone" for b in result.batches):
        lines.append(f"  `codegen build {result.spec} --batch` waits for them and collects their results")
    if not result.live:
        lines.append("  (counts as a build last saw them: run without --offline to ask the API)")
    return "\n".join(lines) + "\n"


def _line(batch: OpenBatch) -> str:
    if batch.status == "gone":
        return f"{batch.id}: unknown to the API now; the next build sends its {batch.requests} requests again"
    c = batch.counts
    parts = [f"{c.done:,}/{c.total or batch.requests:,} done"]
    parts += [
        f"{k:,} {what}"
        for k, what in ((c.errored, "errored"), (c.expired, "expired"), (c.canceled, "canceled"))
        if k
    ]
    seen = "" if batch.seen_at == "now" else f", as of {_time(batch.seen_at)}"
    return f"{batch.id}: {batch.status}, {', '.join(parts)}; submitted {_time(batch.created_at)}{seen}"


def _time(stamp: str) -> str:
    """ "2026-12-03 21:40 UTC" from an ISO time."""
    return stamp.replace("T", " ")[:16] + " UTC"


def _json(result: SpecBatches) -> dict[str, Any]:
    return {
        "spec": str(result.spec),
        "live": result.live,
        "batches": [
            {**dataclasses.asdict(b), "counts": {**dataclasses.asdict(b.counts), "total": b.counts.total}}
            for b in result.batches
        ],
    }


def batch_notes(spec: Path, report: BatchReport) -> list[str]:
    """What a --batch build did with batches: rounds, batch ids, retries, what is left."""
    if report.dry_run:
        return [
            f"batch: the first round would submit {_plural(report.first_round, 'request')} (a file's "
            "first call each, where its dependencies are written), at the Batch API's 50% prices; "
            "later rounds form as the answers come"
        ]
    if report.offline:
        n = report.open_batches
        waiting = (
            f"; {_plural(n, 'open batch waits', 'open batches wait')}: build with --batch "
            f"to collect {'it' if n == 1 else 'them'}"
            if n
            else ""
        )
        return [
            f"batch: --offline: nothing was submitted or collected (answers from the journal only){waiting}"
        ]
    if not report.rounds:
        return ["batch: every answer came from the journal; no batch was needed"]
    ids = report.collected + report.submitted
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    earlier = f", {len(report.collected)} of them from an earlier build" if report.collected else ""
    lines = [
        f"batch: {_plural(report.rounds, 'round')}, {_plural(len(ids), 'batch', 'batches')} "
        f"({shown}){earlier}; {_plural(report.requests, 'request')} submitted; "
        "costs are at the Batch API's 50% prices"
    ]
    if report.retried:
        lines.append(
            f"batch: {_plural(report.retried, 'request')} errored, expired or canceled, "
            "and went into a later round"
        )
    if report.left:
        them = "it" if len(report.left) == 1 else "them"
        lines.append(
            f"batch: {', '.join(report.left)} in progress: run `codegen build {spec} --batch` again to "
            f"collect {them} (`codegen status {spec}` shows {them})"
        )
    return lines


def _plural(n: int, noun: str, nouns: str = "") -> str:
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"
