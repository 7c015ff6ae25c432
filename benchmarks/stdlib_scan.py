"""Run `validators.check` on every standard-library module that parses, and time it.

    python benchmarks/stdlib_scan.py [--root DIR] [--limit N]

Prints the number of files scanned, the files with findings (each with its findings;
the target is none but in the files `site_scan.STUBS_BY_INTENT` lists, each with its
reason), and the time `check` took against `ast.parse` on the same files in the same
run (target: at most 3x). Exits 1 when a file outside that list has a finding.
"""

from __future__ import annotations

import argparse
import ast
import gc
import sys
import sysconfig
import time
import warnings
from pathlib import Path

# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.site_scan import intent  # noqa: E402
from validators import check, render_text  # noqa: E402


def stdlib_sources(root: Path) -> list[tuple[Path, str]]:
    """Every .py file under `root` (site-packages excluded) that CPython parses."""
    sources = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts or "dist-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        sources.append((path, text))
    return sources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--limit", type=int, default=0, help="scan only the first N files")
    args = parser.parse_args()

    sources = stdlib_sources(args.root)
    if args.limit:
        sources = sources[: args.limit]
    print(f"scanning {len(sources)} files under {args.root} that parse", flush=True)

    # Each file is parsed by both in turn, so machine load falls on both alike.
    ast_seconds = check_seconds = 0.0
    results = []
    by_intent = []
    gc.collect()
    for path, text in sources:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        ast_seconds += time.perf_counter() - started
        started = time.perf_counter()
        findings = check(text, filename=path.name)
        check_seconds += time.perf_counter() - started
        if findings:
            shown = str(path.relative_to(args.root))
            (by_intent if intent(path) else results).append((shown, findings))

    if results:
        print(render_text(results), end="")
    for shown, findings in by_intent:
        print(f"stub by intent: {shown}: {len(findings)} findings ({intent(args.root / shown)})")
    print(f"files scanned: {len(sources)}")
    print(f"files with findings: {len(results)}")
    print(f"findings (false positives): {sum(len(findings) for _, findings in results)}")
    print(f"files of stubs by intent with findings: {len(by_intent)}")
    print(
        f"ast.parse: {ast_seconds:.2f}s  check: {check_seconds:.2f}s  "
        f"ratio: {check_seconds / ast_seconds:.2f}x (target: at most 3x)"
    )
    return 1 if results else 0


if __name__ == "__main__":
    sys.exit(main())
