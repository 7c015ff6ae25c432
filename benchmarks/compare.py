"""codegen against the seed "Continue." loop, on the same modules and the same author.

    python -m benchmarks.compare --modules 60 --max-tokens 512 --seeds 1 2 --lazy

For each model (claude-sonnet-5-5 refuses prefill, claude-haiku-4-5 accepts it) and
seed, the Messages API double (tests/double) plays one author writing real stdlib
modules: cut at max_tokens, user-turn continuations opened with seams (prose, fences,
repeated and retyped lines, restarted blocks), with --lazy placeholders and an early
end_turn, and usage billed as the API's prompt cache would (the model's minimum
cacheable length included). On those modules it runs, each against a fresh double:

  codegen         the real build pipeline (SDK, continuation, stitch, repair, black);
  seed loop       the answers concatenated as they came, "Continue." after each cut;
  seed + cleanup  the same conversation, fences and prose lines stripped (`seed_loop.py`).

and reports per approach: exact reproductions (the same AST as the module; both sides
formatted by black when that is what differs), output tokens billed over the module's
tokens (1.00 is every token bought once), billed cost per file at the model's prices
(input, cache write, cache read, output: `codegen.models.cost`), API calls per file.

Then the wall time of `codegen build` on 8 independent modules of similar length at
--jobs 1 and at --jobs 8, one after the other in the same run, with the double
streaming at --tokens-per-second.

Exit status 1 when a target of issue 7 is missed: codegen exact >= 98%, output tokens
<= 1.10x the file, cost per file <= 0.5x the seed loop's (on the first model), and
--jobs 8 at least 6x faster than --jobs 1.
"""

from __future__ import annotations

import argparse
import ast
import functools
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import anthropic
import black
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seed_loop import SeedRun, seed_loop  # noqa: E402
from codegen import prompts  # noqa: E402
from codegen.build import BuildOptions, build_spec  # noqa: E402
from codegen.models import ModelInfo, Usage, lookup  # noqa: E402
from codegen.pricing import cost  # noqa: E402
from codegen.spec import load_spec  # noqa: E402
from codegen.streaming.anthropic import Connection, MessagesClient  # noqa: E402
from tests.double import Laziness, MessagesDouble, ModuleAuthor, Seams, count_tokens  # noqa: E402
from tests.test_stitch_property import stdlib_modules  # noqa: E402

MODELS = ("claude-sonnet-5-5", "claude-haiku-4-5")
CODEGEN, SEED, CLEANED = "codegen", "seed loop", "seed + cleanup"
APPROACHES = (CODEGEN, SEED, CLEANED)

TARGET_EXACT = 0.98
TARGET_OUT_PER_FILE = 1.10
TARGET_COST_RATIO = 0.5
TARGET_SPEEDUP = 6.0


@dataclass(frozen=True)
class Setup:
    """The author's and the loop's settings, the same for every approach."""

    model: str
    max_tokens: int = 512
    max_continuations: int = 100
    seed: int = 1
    lazy: bool = False
    delta_chars: int = 256  # characters of text per streamed event
    token_delay: float = 0.0  # seconds per output token: the double's streaming speed

    @property
    def info(self) -> ModelInfo:
        return lookup(self.model)


@dataclass(frozen=True)
class Outcome:
    """One file written by one approach."""

    approach: str
    path: str
    exact: bool
    calls: int
    usage: Usage
    cost: float
    file_tokens: int  # tokens of the module, as the double counts them
    detail: str = ""
    repair_usage: Usage = Usage()  # codegen: what its repairs took, within `usage`


@dataclass(frozen=True)
class Summary:
    """One approach over a set of files."""

    approach: str
    files: int
    exact: int
    calls: int
    usage: Usage
    cost: float
    file_tokens: int
    misses: tuple[str, ...] = ()
    repair_usage: Usage = Usage()

    @property
    def exact_rate(self) -> float:
        return self.exact / max(self.files, 1)

    @property
    def out_per_file(self) -> float:
        return self.usage.output_tokens / max(self.file_tokens, 1)

    @property
    def cost_per_file(self) -> float:
        return self.cost / max(self.files, 1)

    @property
    def calls_per_file(self) -> float:
        return self.calls / max(self.files, 1)

    def floor(self, info: ModelInfo) -> float:
        """The least these files can cost any approach that writes all of them: each
        of their tokens bought once at the output price, nothing paid for input."""
        return cost(Usage(output_tokens=self.file_tokens), info) or 0.0


@dataclass(frozen=True)
class Timing:
    """Wall time of one codegen build of the same files at each --jobs."""

    paths: tuple[str, ...]
    file_tokens: tuple[int, ...]
    seconds: Mapping[int, float]
    cpu_seconds: Mapping[int, float]
    exact: Mapping[int, int]
    output_tokens: int = 0  # billed in the --jobs 1 run
    longest_tokens: int = 0  # the most output tokens one file took, --jobs 1
    token_delay: float = 0.0

    def speedup(self, low: int = 1, high: int = 8) -> float:
        return self.seconds[low] / self.seconds[high]


@dataclass
class Comparison:
    """Everything one run measured, for the table and the targets."""

    modules: int
    setups: list[Setup] = field(default_factory=list)
    summaries: dict[tuple[str, str], Summary] = field(default_factory=dict)  # (model, approach)
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)  # model -> all its seeds
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    timing: Timing | None = None


# -- what counts as the same module ------------------------------------------------------


def same_module(text: str | None, target: str) -> bool:
    """Whether `text` is `target` as Python sees it: the same AST, or the same AST once
    both are formatted by black (black normalises docstring indentation)."""
    if text is None:
        return False
    try:
        got = ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return False
    if got == _dump(target, formatted=False):
        return True
    try:
        formatted = black.format_str(text, mode=black.Mode())
    except (black.InvalidInput, ValueError):
        return False
    return ast.dump(ast.parse(formatted)) == _dump(target, formatted=True)


@functools.lru_cache(maxsize=256)
def _dump(target: str, *, formatted: bool) -> str:
    source = black.format_str(target, mode=black.Mode()) if formatted else target
    return ast.dump(ast.parse(source))


# -- one approach, one set of modules ----------------------------------------------------


def author_for(targets: Mapping[str, str], setup: Setup) -> ModuleAuthor:
    """The simulated model: the same for every approach given the same setup."""
    return ModuleAuthor(
        targets,
        prefill_accepted=setup.info.prefill,
        seams=Seams(seed=setup.seed),
        laziness=Laziness(seed=setup.seed) if setup.lazy else None,
        min_cache_tokens=setup.info.min_cache_tokens,
    )


def double_for(targets: Mapping[str, str], setup: Setup) -> MessagesDouble:
    return MessagesDouble(
        author_for(targets, setup), delta_chars=setup.delta_chars, token_delay=setup.token_delay
    )


def run_codegen(targets: Mapping[str, str], setup: Setup, *, jobs: int = 1) -> tuple[list[Outcome], float]:
    """`codegen build` of every target (one spec), as `benchmarks.reproduce` runs it."""
    double = double_for(targets, setup)
    client = MessagesClient(
        Connection("test", "http://double.test"), http_client=double.http_client(), max_retries=0
    )
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.yaml"
        spec_path.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "model": setup.model,
                    "max_tokens": setup.max_tokens,
                    "max_continuations": setup.max_continuations,
                    "files": [{"path": path, "prompt": f"Write {path}."} for path in targets],
                }
            )
        )
        started = time.perf_counter()
        result = build_spec(load_spec(spec_path), BuildOptions(jobs=jobs), client=client)
        elapsed = time.perf_counter() - started
        calls = calls_by_path(double.requests, targets)
        for f in result.files:
            written = Path(tmp) / f.path
            text = written.read_text(encoding="utf-8") if written.exists() else None
            outcomes.append(
                Outcome(
                    CODEGEN,
                    f.path,
                    same_module(text, targets[f.path]),
                    calls[f.path],
                    f.usage,
                    cost(f.usage, setup.info) or 0.0,
                    count_tokens(targets[f.path]),
                    f"{f.status}: {f.detail}" if f.detail else f.status,
                    Usage.total(r.usage for r in f.repairs),
                )
            )
    client.close()
    double.check()
    return outcomes, elapsed


def run_seed(targets: Mapping[str, str], setup: Setup) -> tuple[list[Outcome], float]:
    """The seed loop on every target, one after another; each conversation gives two
    outcomes, its answers as they came and cleaned."""
    double = double_for(targets, setup)
    sdk = anthropic.Anthropic(
        api_key="test", base_url="http://double.test", http_client=double.http_client(), max_retries=0
    )
    outcomes = []
    started = time.perf_counter()
    for path, target in targets.items():
        run = seed_loop(
            sdk,
            model=setup.model,
            system=seed_system(),
            prompt=prompts.file_prompt(path, f"Write {path}.", (), ()),
            max_tokens=setup.max_tokens,
            max_continuations=setup.max_continuations,
        )
        outcomes += seed_outcomes(path, target, run, setup.info)
    elapsed = time.perf_counter() - started
    sdk.close()
    double.check()
    return outcomes, elapsed


def seed_system() -> str:
    """codegen's system prompt as a plain string: no cache breakpoint."""
    return str(prompts.system_blocks("")[0]["text"])


def seed_outcomes(path: str, target: str, run: SeedRun, info: ModelInfo) -> list[Outcome]:
    paid = cost(run.usage, info) or 0.0
    detail = f"{run.calls} calls, last stop {run.stop_reason}"
    return [
        Outcome(
            approach,
            path,
            same_module(text, target),
            run.calls,
            run.usage,
            paid,
            count_tokens(target),
            detail,
        )
        for approach, text in ((SEED, run.raw), (CLEANED, run.cleaned))
    ]


def calls_by_path(requests: Iterable[Mapping[str, Any]], paths: Iterable[str]) -> dict[str, int]:
    """Requests per file, a request being about the path quoted first in its first user
    message (as the author reads it); refused calls count, they are calls too."""
    counts = dict.fromkeys(paths, 0)
    for request in requests:
        content = request["messages"][0]["content"]
        text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
        found = [(text.find(f"`{p}`"), p) for p in counts if f"`{p}`" in text]
        if found:
            counts[min(found)[1]] += 1
    return counts


def summarize(approach: str, outcomes: Sequence[Outcome]) -> Summary:
    mine = [o for o in outcomes if o.approach == approach]
    return Summary(
        approach,
        len(mine),
        sum(o.exact for o in mine),
        sum(o.calls for o in mine),
        Usage.total(o.usage for o in mine),
        sum(o.cost for o in mine),
        sum(o.file_tokens for o in mine),
        tuple(f"{o.path} ({o.detail})" for o in mine if not o.exact),
        Usage.total(o.repair_usage for o in mine),
    )


# -- wall time --------------------------------------------------------------------------


def similar_modules(modules: Sequence[Path], count: int, tokens: int) -> list[Path]:
    """The `count` modules whose length is closest to `tokens`: files of one size, so that
    running them at once could take the time of one."""
    sized = sorted(modules, key=lambda p: (abs(count_tokens(p.read_text(encoding="utf-8")) - tokens), p.name))
    return sorted(sized[:count])


def time_jobs(targets: Mapping[str, str], setup: Setup, jobs: Sequence[int] = (1, 8)) -> Timing:
    """codegen on the same targets at each --jobs, one run after the other."""
    seconds, cpu, exact = {}, {}, {}
    out = longest = 0
    for n in jobs:
        cpu_start = time.process_time()
        outcomes, elapsed = run_codegen(targets, setup, jobs=n)
        seconds[n], cpu[n] = elapsed, time.process_time() - cpu_start
        exact[n] = sum(o.exact for o in outcomes)
        if n == jobs[0]:
            out = sum(o.usage.output_tokens for o in outcomes)
            longest = max(o.usage.output_tokens for o in outcomes)
    return Timing(
        tuple(targets),
        tuple(count_tokens(t) for t in targets.values()),
        seconds,
        cpu,
        exact,
        out,
        longest,
        setup.token_delay,
    )


# -- the run ------------------------------------------------------------------------------


def compare(
    modules: Sequence[Path], setups: Sequence[Setup], say: Callable[[str], None] = lambda line: None
) -> Comparison:
    """Every approach on `modules` under each setup; the summaries are per model, over
    its setups (seeds)."""
    targets = {f"mods/{p.stem}.py": p.read_text(encoding="utf-8") for p in modules}
    result = Comparison(len(modules), list(setups))
    for setup in setups:
        ours, ours_seconds = run_codegen(targets, setup)
        theirs, seed_seconds = run_seed(targets, setup)
        result.outcomes.setdefault(setup.model, []).extend([*ours, *theirs])
        for approach, seconds in ((CODEGEN, ours_seconds), (SEED, seed_seconds)):
            key = (setup.model, approach)
            result.seconds[key] = result.seconds.get(key, 0.0) + seconds
        say(
            f"  {setup.model} seed {setup.seed}: codegen {sum(o.exact for o in ours)}/{len(ours)} exact "
            f"({ours_seconds:.0f} s), seed loop {sum(o.exact for o in theirs if o.approach == SEED)}"
            f"/{len(ours)} ({seed_seconds:.0f} s)"
        )
    for model, outcomes in result.outcomes.items():
        for approach in APPROACHES:
            result.summaries[(model, approach)] = summarize(approach, outcomes)
    return result


# -- the report ---------------------------------------------------------------------------


def render(result: Comparison, command: str) -> str:
    lines = [f"{command}", f"{date.today().isoformat()}, {result.modules} stdlib modules of 200-1500 lines"]
    first = result.setups[0]
    lines.append(
        f"max_tokens {first.max_tokens}, max_continuations {first.max_continuations}, seeds "
        + " ".join(str(s) for s in dict.fromkeys(s.seed for s in result.setups))
        + (", lazy author" if first.lazy else "")
    )
    for model in dict.fromkeys(s.model for s in result.setups):
        info = lookup(model)
        how = "accepts prefill" if info.prefill else "refuses prefill"
        lines += [
            "",
            f"{model} ({how}; minimum cacheable prompt {info.min_cache_tokens:,} tokens)",
            "",
            "| approach | exact | output tokens / file | cost per file | API calls per file | seconds |",
            "|---|---|---|---|---|---|",
        ]
        seed = result.summaries[(model, SEED)]
        for approach in APPROACHES:
            s = result.summaries[(model, approach)]
            seconds = result.seconds.get((model, approach))
            lines.append(
                f"| {approach} | {s.exact}/{s.files} ({100 * s.exact_rate:.1f}%) | "
                f"{s.out_per_file:.3f} | ${s.cost_per_file:.4f} "
                f"({s.cost / max(seed.cost, 1e-12):.2f}x seed) | {s.calls_per_file:.1f} | "
                + (f"{seconds:.1f} |" if seconds is not None else "(same conversation) |")
            )
        ours = result.summaries[(model, CODEGEN)]
        lines.append("")
        lines.append(
            f"tokens billed per file, codegen vs seed loop: input {_per(ours, 'input_tokens')} vs "
            f"{_per(seed, 'input_tokens')}, cache write {_per(ours, 'cache_write_tokens')} vs "
            f"{_per(seed, 'cache_write_tokens')}, cache read {_per(ours, 'cache_read_tokens')} vs "
            f"{_per(seed, 'cache_read_tokens')}, output {_per(ours, 'output_tokens')} vs "
            f"{_per(seed, 'output_tokens')}"
        )
        floor = ours.floor(info)
        lines.append(
            f"floor (each token of the files bought once at the output price, no input): "
            f"${floor / max(ours.files, 1):.4f} per file = {floor / max(seed.cost, 1e-12):.2f}x "
            f"the seed loop's cost; codegen pays {ours.cost / max(floor, 1e-12):.2f}x the floor"
        )
        repairs = ours.repair_usage
        lines.append(
            f"of codegen's, its repairs: output {repairs.output_tokens / max(ours.files, 1):,.0f} "
            f"tokens ({repairs.output_tokens / max(ours.file_tokens, 1):.3f}x the files), "
            f"${(cost(repairs, info) or 0.0) / max(ours.files, 1):.4f} per file"
        )
        worst = sorted(
            (o for o in result.outcomes[model] if o.approach == CODEGEN),
            key=lambda o: -o.usage.output_tokens / max(o.file_tokens, 1),
        )[:3]
        lines.append(
            "codegen's largest output overheads: "
            + ", ".join(f"{o.path} {o.usage.output_tokens / max(o.file_tokens, 1):.2f}x" for o in worst)
        )
        for miss in ours.misses:
            lines.append(f"    codegen not exact: {miss}")
    if result.timing is not None:
        t = result.timing
        rate = 1 / t.token_delay if t.token_delay else 0
        lines += [
            "",
            f"wall time, codegen build of {len(t.paths)} independent modules "
            f"({min(t.file_tokens):,}-{max(t.file_tokens):,} tokens each), "
            f"{first.model}, the double streaming {rate:.0f} tokens/s:",
            "",
            "modules: " + ", ".join(t.paths),
            "",
            "| --jobs | seconds | CPU seconds | exact |",
            "|---|---|---|---|",
        ]
        for n, seconds in t.seconds.items():
            lines.append(f"| {n} | {seconds:.1f} | {t.cpu_seconds[n]:.1f} | {t.exact[n]}/{len(t.paths)} |")
        low, high = min(t.seconds), max(t.seconds)
        floor = t.longest_tokens * t.token_delay
        lines += [
            "",
            f"--jobs {high} is {t.speedup(low, high):.2f}x faster than --jobs {low} "
            f"(streaming alone: {t.output_tokens * t.token_delay:.1f} s for all files, "
            f"{floor:.1f} s for the longest)",
        ]
    return "\n".join(lines)


def _per(s: Summary, field_name: str) -> str:
    return f"{getattr(s.usage, field_name) / max(s.files, 1):,.0f}"


def targets_missed(result: Comparison) -> list[str]:
    """Each target of issue 7 this run missed, with the figure measured."""
    missed = []
    main = result.setups[0].model
    for model in dict.fromkeys(s.model for s in result.setups):
        ours, seed = result.summaries[(model, CODEGEN)], result.summaries[(model, SEED)]
        if ours.exact_rate < TARGET_EXACT:
            missed.append(f"{model}: exact {100 * ours.exact_rate:.1f}% < {100 * TARGET_EXACT:.0f}%")
        if ours.out_per_file > TARGET_OUT_PER_FILE:
            missed.append(
                f"{model}: output tokens {ours.out_per_file:.3f}x the file > {TARGET_OUT_PER_FILE}x"
            )
        ratio = ours.cost / max(seed.cost, 1e-12)
        if model == main and ratio > TARGET_COST_RATIO:
            floor = ours.floor(lookup(model)) / max(seed.cost, 1e-12)
            why = (
                f" (out of reach: the files' tokens alone, bought once, cost {floor:.2f}x)"
                if floor > TARGET_COST_RATIO
                else ""
            )
            missed.append(f"{model}: cost per file {ratio:.2f}x the seed loop's > {TARGET_COST_RATIO}x{why}")
    if result.timing is not None and len(result.timing.seconds) > 1:
        t = result.timing
        low, high = min(t.seconds), max(t.seconds)
        if t.speedup(low, high) < TARGET_SPEEDUP:
            missed.append(
                f"--jobs {high} only {t.speedup(low, high):.2f}x faster than --jobs {low} < {TARGET_SPEEDUP}x"
            )
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modules", type=int, default=60, help="the first N stdlib modules of 200-1500 lines"
    )
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument(
        "--max-continuations", type=int, default=100, help="for codegen and the seed loop alike"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--models", nargs="+", default=list(MODELS), help="the first is the main case (the cost target)"
    )
    parser.add_argument("--lazy", action="store_true", help="the author leaves placeholders and stops early")
    parser.add_argument("--timing-files", type=int, default=8, help="0: no wall-time run")
    parser.add_argument(
        "--timing-tokens",
        type=int,
        default=4500,
        help="the timed modules are those closest to this many tokens",
    )
    parser.add_argument(
        "--tokens-per-second",
        type=float,
        default=200.0,
        help="the double's streaming speed in the wall-time run",
    )
    parser.add_argument(
        "--timing-delta-chars",
        type=int,
        default=64,
        help="characters of text per streamed event in the wall-time run",
    )
    args = parser.parse_args(argv)
    # The SDK may warn about an old model; the double plays it all the same.
    warnings.filterwarnings("ignore", message="The model .* is deprecated", category=DeprecationWarning)

    modules = list(stdlib_modules()[: args.modules])
    setups = [
        Setup(model, args.max_tokens, args.max_continuations, seed, args.lazy)
        for model in args.models
        for seed in args.seeds
    ]
    say = functools.partial(print, file=sys.stderr, flush=True)
    say(f"comparing on {len(modules)} modules...")
    result = compare(modules, setups, say)
    if args.timing_files:
        timed = similar_modules(stdlib_modules(), args.timing_files, args.timing_tokens)
        setup = Setup(
            args.models[0],
            args.max_tokens,
            args.max_continuations,
            args.seeds[0],
            args.lazy,
            delta_chars=args.timing_delta_chars,
            token_delay=1 / args.tokens_per_second,
        )
        say(f"timing {len(timed)} modules at --jobs 1 and --jobs {args.timing_files}...")
        result.timing = time_jobs(
            {f"mods/{p.stem}.py": p.read_text(encoding="utf-8") for p in timed}, setup, (1, args.timing_files)
        )
    command = "python -m benchmarks.compare " + " ".join(sys.argv[1:] if argv is None else argv)
    print(render(result, command))
    missed = targets_missed(result)
    print("\ntargets: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
