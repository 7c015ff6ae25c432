"""Recall of `validators.check` on real modules cut short: at random points of stdlib
modules, and `textwrap.py` every 97 characters.

    python benchmarks/cut_recall.py [--cuts N] [--seed S]

Every cut counts, not only those that no longer parse: a cut inside a name, a
comment or a line's indentation leaves text that `ast` accepts. A cut is found when
`check` reports `truncated`. Printed: recall on all cuts, on the cuts that parse, and,
among those, on the cuts that end mid-line and on those that end right after a line
break. A cut right after a line break between two complete statements leaves a file
that is complete as far as its text goes: only required names (`requires`) can say
that something is missing, so those are expected to be missed. Exits 1 when a cut
gets a finding other than `truncated` (a cut file is not broken in the middle).
"""

from __future__ import annotations

import argparse
import ast
import random
import sys
import sysconfig
import warnings
from collections import Counter
from pathlib import Path

# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validators import Code, check  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SEED = 20240619


def modules(count: int, max_chars: int = 40_000) -> list[tuple[str, str]]:
    """`count` stdlib modules (tests left out) chosen by `SEED`, that CPython parses and
    `check` finds complete."""
    paths = sorted(
        path
        for path in STDLIB.rglob("*.py")
        if "site-packages" not in path.parts
        and "test" not in path.parts
        and "tests" not in path.parts
        and 200 < path.stat().st_size <= max_chars
    )
    random.Random(SEED).shuffle(paths)
    chosen = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        if check(text, filename=path.name):
            continue
        chosen.append((str(path.relative_to(STDLIB)), text))
        if len(chosen) == count:
            break
    return chosen


def parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


class Tally:
    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.found: Counter[str] = Counter()
        self.wrong: list[tuple[str, str]] = []
        self.missed: list[str] = []

    def add(self, prefix: str) -> None:
        codes = [finding.code for finding in check(prefix)]
        hit = Code.TRUNCATED in codes
        keys = ["all cuts"]
        if parses(prefix):
            keys.append("cuts that parse")
            keys.append(
                "  ... right after a line break" if prefix.endswith(("\n", "\r")) else "  ... mid-line"
            )
        else:
            keys.append("cuts that do not parse")
        for key in keys:
            self.total[key] += 1
            self.found[key] += hit
        if codes and not hit:
            self.wrong.append((prefix[-60:], ", ".join(str(code) for code in codes)))
        if not hit and "  ... mid-line" in keys:
            self.missed.append(prefix[-40:])

    def report(self, title: str) -> None:
        print(f"\n== {title}")
        for key in (
            "all cuts",
            "cuts that do not parse",
            "cuts that parse",
            "  ... mid-line",
            "  ... right after a line break",
        ):
            if self.total[key]:
                share = 100 * self.found[key] / self.total[key]
                print(f"{key:<36} {self.found[key]:>5}/{self.total[key]:<5} {share:6.2f}%")
        print(f"cuts with a finding other than truncated: {len(self.wrong)}")
        for tail, codes in self.wrong[:10]:
            print(f"  {codes}: ...{tail!r}")
        print(f"mid-line cuts that parse and were missed: {len(self.missed)}")
        for tail in self.missed[:15]:
            print(f"  ...{tail!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=80)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    textwrap = (STDLIB / "textwrap.py").read_text(encoding="utf-8")
    every = Tally()
    for cut in range(97, len(textwrap), 97):
        every.add(textwrap[:cut])
    every.report("textwrap.py cut every 97 characters")
    head = [str(finding.code) for finding in check(textwrap.encode()[:3000].decode("utf-8", "ignore"))]
    print(f"head -c 3000 textwrap.py: {head or 'complete'}")

    chosen = modules(args.modules)
    rng = random.Random(args.seed)
    tally = Tally()
    for _ in range(args.cuts):
        _, text = rng.choice(chosen)
        tally.add(text[: rng.randrange(1, len(text))])
    tally.report(f"{args.cuts} random cuts of {len(chosen)} stdlib modules (seed {args.seed})")
    return 1 if tally.wrong or every.wrong else 0


if __name__ == "__main__":
    sys.exit(main())
