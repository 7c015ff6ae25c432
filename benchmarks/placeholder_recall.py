"""Recall of `validators.check` on placeholder bodies put in place of real function
bodies (`benchmarks/placeholder_bodies.py`), on the tuning half of the phrases and on
the held-out half, which the validators were not tuned on.

    python benchmarks/placeholder_recall.py [--per-phrase N] [--half tuning|held-out|both]
                                            [--show-misses]

A case is found when `check` reports a `placeholder` in the function whose body was
replaced (or in a function nested in it). Findings anywhere else count as noise: the
modules have none before the injection. Prints recall by half, then by shape and by
frame, for whole bodies and, on its own, for a comment beside real code. Exits 1
when held-out recall on whole bodies is below 98% or any case has noise.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.placeholder_bodies import PHRASES, SPLIT_SEED, Case, cases, split  # noqa: E402
from validators import Code, Finding, check  # noqa: E402

TARGET = 0.98


def found(case: Case, findings: Iterable[Finding]) -> tuple[bool, list[Finding]]:
    """Whether the placeholder was found, and the findings outside its function."""
    inside = [f for f in findings if f.scope == case.function or f.scope.startswith(case.function + ".")]
    hit = any(f.code == Code.PLACEHOLDER for f in inside)
    return hit, [f for f in findings if f not in inside]


class Tally:
    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()
        self.misses: list[Case] = []
        self.noise: list[tuple[Case, list[Finding]]] = []

    def add(self, case: Case) -> None:
        findings = check(case.source, filename=case.module)
        hit, noise = found(case, findings)
        framed = "unframed" if case.frame == "{}" else "framed"
        for key in ("all", f"shape: {case.shape}", f"frame: {case.frame}", framed):
            self.total[key] += 1
            self.hits[key] += hit
        if not hit:
            self.misses.append(case)
        if noise:
            self.noise.append((case, noise))

    def recall(self, key: str = "all") -> float:
        return self.hits[key] / self.total[key] if self.total[key] else 0.0

    def line(self, key: str) -> str:
        return f"{key:<44} {self.hits[key]:>5}/{self.total[key]:<5} {100 * self.recall(key):6.2f}%"


def measure(indices: Iterable[int], per_phrase: int, *, beside_code: bool = False) -> Tally:
    tally = Tally()
    for case in cases(tuple(indices), per_phrase, beside_code=beside_code):
        tally.add(case)
    return tally


def report(name: str, tally: Tally, show_misses: bool) -> None:
    print(f"\n== {name}")
    for key in sorted(tally.total, key=lambda k: (k != "all", k)):
        print(tally.line(key))
    print(f"cases with findings outside the function: {len(tally.noise)}")
    for case, noise in tally.noise[:10]:
        print(f"  noise: {case.module} {case.function}: {[(f.code.value, f.line, f.scope) for f in noise]}")
    if show_misses:
        for case in tally.misses:
            print(f"  missed: [{case.shape}] [{case.frame}] {case.phrase!r}  ({case.module} {case.function})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-phrase", type=int, default=8)
    parser.add_argument("--half", choices=("tuning", "held-out", "both"), default="both")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    tuning, held_out = split()
    halves = {"tuning": tuning, "held-out": held_out}
    chosen = list(halves) if args.half == "both" else [args.half]
    print(
        f"{len(PHRASES)} phrases, split by seed {SPLIT_SEED}: {len(tuning)} tuning, {len(held_out)} held out"
    )
    failed = False
    for half in chosen:
        whole = measure(halves[half], args.per_phrase)
        report(f"{half}: whole bodies", whole, args.show_misses)
        beside = measure(halves[half], max(args.per_phrase // 2, 1), beside_code=True)
        report(f"{half}: a comment beside real code", beside, args.show_misses)
        if half == "held-out" and whole.recall() < TARGET:
            failed = True
        failed = failed or bool(whole.noise) or bool(beside.noise)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
