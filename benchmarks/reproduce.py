"""How many stdlib modules `codegen build` writes back exactly when a model writes them
with seams, cut at a small max_tokens, and (with --lazy) lazily.

    python -m benchmarks.reproduce --modules 60 --max-tokens 512 --seeds 1 2
    python -m benchmarks.reproduce --modules 60 --max-tokens 512 --seeds 1 2 --lazy

The Messages API double (tests/double) plays a model that knows each module: it cuts
its answer at max_tokens and, on a user-turn continuation, opens the next answer with a
seam (prose, a new fence, repeated lines, a retyped line, a restarted block). With
prefill accepted (a 4.5 model) continuations are exact; with prefill refused (4.6 on)
codegen falls back to user turns and stitches. Every file goes through the real
pipeline: SDK, continuation loop, stitcher, libcst, black, atomic write.

With --lazy the double also plays a lazy author: long function bodies replaced by
placeholders on the first write and an early end_turn with "the rest follows the same
pattern"; codegen's targeted repairs (regenerate one definition, finish the file) must
bring every module back. "out/final" is the output tokens billed over the tokens of the
written files (1.00 would be a file bought exactly once).

"Exact" means the written file has the same AST as the module formatted by black
(black normalises docstring whitespace, so the unformatted module is not the yardstick).
"""

from __future__ import annotations

import argparse
import ast
import sys
import tempfile
import time
from pathlib import Path

import black
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen.build import BuildOptions, build_spec  # noqa: E402
from codegen.spec import load_spec  # noqa: E402
from codegen.streaming.anthropic import Connection, MessagesClient  # noqa: E402
from tests.double import Laziness, MessagesDouble, ModuleAuthor, Seams, count_tokens  # noqa: E402
from tests.test_stitch_property import stdlib_modules  # noqa: E402

MODELS = {True: "claude-haiku-4-5", False: "claude-sonnet-5-5"}


def run(
    modules: list[Path], *, prefill: bool, max_tokens: int, seed: int, lazy: bool = False, tough: bool = False
) -> dict[str, object]:
    targets = {f"mods/{p.stem}.py": p.read_text(encoding="utf-8") for p in modules}
    seams = Seams.tough(seed) if tough else Seams(seed=seed)
    author = ModuleAuthor(
        targets, prefill_accepted=prefill, seams=seams, laziness=Laziness(seed=seed) if lazy else None
    )
    double = MessagesDouble(author, delta_chars=256)
    client = MessagesClient(
        Connection("test", "http://double.test"), http_client=double.http_client(), max_retries=0
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.yaml"
        spec_path.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "model": MODELS[prefill],
                    "max_tokens": max_tokens,
                    "max_continuations": 1000,
                    "files": [{"path": path, "prompt": f"Write {path}."} for path in targets],
                }
            )
        )
        started = time.perf_counter()
        result = build_spec(load_spec(spec_path), BuildOptions(), client=client)
        elapsed = time.perf_counter() - started
        exact, misses, final_tokens = 0, [], 0
        for f in result.files:
            expected = ast.dump(ast.parse(black.format_str(targets[f.path], mode=black.Mode())))
            written = Path(tmp) / f.path
            got = ast.dump(ast.parse(written.read_text())) if written.exists() else None
            final_tokens += count_tokens(written.read_text()) if written.exists() else 0
            if got == expected:
                exact += 1
            else:
                misses.append(f"{f.path} ({f.status}: {f.detail})")
    double.check()
    spent = sum(f.usage.output_tokens for f in result.files)
    return {
        "prefill": prefill,
        "seed": seed,
        "files": len(result.files),
        "exact": exact,
        "calls": sum(f.calls for f in result.files),
        "continuations": sum(f.continuations for f in result.files),
        "repairs": sum(len(f.repairs) for f in result.files),
        "output_tokens": spent,
        "out_per_final": spent / max(final_tokens, 1),
        "seams": len(author.continuations),
        "seconds": elapsed,
        "misses": misses,
        "stalls": sum(getattr(f, "stalls", 0) for f in result.files),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=60)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--lazy", action="store_true", help="the author leaves placeholders and stops early; codegen repairs"
    )
    parser.add_argument(
        "--tough",
        action="store_true",
        help="seams as real models make them: restarts of a whole block, a model "
        "lost after a repeat, skip-ahead to the next definition (Seams.tough)",
    )
    parser.add_argument("--refused-only", action="store_true", help="only the user-turn runs")
    args = parser.parse_args()
    modules = list(stdlib_modules()[: args.modules])
    print(
        f"{len(modules)} stdlib modules of 200-1500 lines, max_tokens {args.max_tokens}"
        + (", lazy author" if args.lazy else "")
        + (", tough seams" if args.tough else "")
    )
    print(
        f"{'prefill':8} {'seed':>4} {'exact':>9} {'calls':>6} {'repairs':>7} {'seams':>6} "
        f"{'out/final':>9} {'stalls':>6} {'seconds':>8}"
    )
    failed = False
    for seed in args.seeds:
        for prefill in (False,) if args.refused_only else (True, False):
            r = run(
                modules,
                prefill=prefill,
                max_tokens=args.max_tokens,
                seed=seed,
                lazy=args.lazy,
                tough=args.tough,
            )
            label = "accepted" if prefill else "refused"
            print(
                f"{label:8} {seed:>4} {r['exact']:>4}/{r['files']:<4} {r['calls']:>6} "
                f"{r['repairs']:>7} {r['seams']:>6} {r['out_per_final']:>9.3f} {r['stalls']:>6} "
                f"{r['seconds']:>8.1f}",
                flush=True,
            )
            for miss in r["misses"]:  # type: ignore[attr-defined]
                print(f"    not exact: {miss}")
            failed = failed or r["exact"] != r["files"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
