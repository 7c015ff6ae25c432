"""The validators in every language on real code: cut-short recall, error-at-end rate,
false positives on intact files, and the check's time against the parse alone.

    python -m benchmarks.languages [--files 300] [--cuts 4] [--seed 1] [--only go,rust] [--show 5]

For each language, up to `--files` real files are drawn (seeded) from its corpus:

- *intact*: each file as shipped is checked; a file with a finding of severity error
  is a false positive (warnings are counted apart: C and C++ mid-file parse errors).
- *cuts*: in each intact file that parses without error, `--cuts` points drawn
  strictly inside a top-level construct (a function, a class, a statement; for JSON
  anywhere before the end, for TOML inside a line, for Markdown inside a code block),
  and the text cut there. *found* is the share with a finding of severity error,
  *truncated* the share reported as `truncated` (not `syntax`); *errors at end* is
  the share of the cuts whose tree has error nodes where every one of them ends at
  the end of the text (the tree-sitter languages only).
- *edits*: a span of 1-30 bytes deleted in the first 80% of each intact file: the
  share reported `truncated` (a mid-file edit taken for a cut; low is right) and the
  share with any error finding.
- *check / parse*: the time of `check_source` over the intact files against that of
  tree-sitter's parse alone (the stdlib parser for JSON and TOML), side by side in one run.

The corpora are this machine's packages (Debian: `apt-get install golang-1.19-src
rust-src openjdk-17-source`; npm's own JavaScript; the C and C++ headers) and a few npm
packages fetched once with `npm pack` into `--npm-dir` (TypeScript and TSX sources).
A language whose corpus is not there is reported as such, never silently left out.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validators import Severity, check_source  # noqa: E402
from validators.findings import Code, Finding  # noqa: E402
from validators.treesitter import GRAMMARS, parse  # noqa: E402
from validators.treesitter.text import Text  # noqa: E402

# Pinned so that a later run reads the same files.
NPM_PACKAGES = (
    "rxjs@7.8.2",
    "zod@4.6.7",
    "@tanstack/react-query@5.108.4",
    "@tanstack/react-router@1.170.46",
    "@blueprintjs/core@6.20.0",
)
TYPESCRIPT = "5.9.3"
DEFAULT_NPM_DIR = Path.home() / ".cache" / "codegen-benchmarks" / "npm"


@dataclass(frozen=True)
class Corpus:
    """Where a language's real files are: folders, zip files or npm tarballs, and which files."""

    language: str
    roots: tuple[str, ...]
    accept: Callable[[str], bool]
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.language


def _suffix(*suffixes: str, without: tuple[str, ...] = ()) -> Callable[[str], bool]:
    def accept(path: str) -> bool:
        parts = path.split("/")
        return path.endswith(suffixes) and not any(part in without for part in parts)

    return accept


def _not_dts(path: str) -> bool:
    return path.endswith(".ts") and not path.endswith(".d.ts") and "/node_modules/" not in path


def _cpp_header(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "." not in name or name.endswith((".h", ".hpp", ".tcc"))


def corpora(npm_dir: Path) -> list[Corpus]:
    npm = (str(npm_dir),)
    python_include = sorted(str(path) for path in Path("/usr/include").glob("python3*"))
    return [
        Corpus("typescript", npm, _not_dts),
        Corpus("typescript", npm, _suffix(".d.ts"), label="typescript (.d.ts)"),
        Corpus("tsx", npm, _suffix(".tsx")),
        Corpus("javascript", ("/usr/lib/node_modules/npm",), _suffix(".js", ".mjs", ".cjs")),
        Corpus("go", ("/usr/share/go-1.19/src",), _suffix(".go", without=("testdata",))),
        Corpus("rust", ("/usr/share/cargo/registry",), _suffix(".rs")),
        Corpus("rust", ("/usr/src/rustc-1.63.0/library",), _suffix(".rs"), label="rust (std, nightly)"),
        Corpus("java", ("/usr/lib/jvm/openjdk-17/lib/src.zip",), _suffix(".java")),
        # Not the C++ headers under /usr/include (LLVM's, node's, ICU's): C's own.
        Corpus(
            "c",
            ("/usr/include", *python_include),
            _suffix(".h", without=("c++", "llvm-14", "node", "unicode")),
        ),
        Corpus("cpp", ("/usr/include/c++/12",), _cpp_header),
        Corpus("json", ("/usr/lib/node_modules/npm",), _suffix(".json")),
        Corpus("toml", ("/usr/src/rustc-1.63.0",), _suffix(".toml")),
        Corpus("yaml", ("/usr/lib/node_modules", "/usr/share"), _suffix(".yml", ".yaml")),
        Corpus("markdown", ("/usr/lib/node_modules/npm",), _suffix(".md")),
    ]


def read_files(corpus: Corpus, limit: int, rng: random.Random) -> list[tuple[str, str]]:
    """Up to `limit` files of the corpus, drawn at random, as (name, text)."""
    names: list[tuple[str, Callable[[], bytes]]] = []
    for root in corpus.roots:
        names.extend(_listing(Path(root), corpus.accept))
    names.sort(key=lambda item: item[0])
    chosen = rng.sample(names, min(limit, len(names)))
    files = []
    for name, read in sorted(chosen, key=lambda item: item[0]):
        try:
            files.append((name, read().decode("utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return files


def _listing(root: Path, accept: Callable[[str], bool]) -> Iterator[tuple[str, Callable[[], bytes]]]:
    if root.is_file() and root.suffix == ".zip":
        archive = zipfile.ZipFile(root)
        for info in archive.infolist():
            if accept(info.filename):
                yield f"{root}:{info.filename}", lambda info=info: archive.read(info)
    elif root.is_dir():
        for tarball in sorted(root.glob("*.tgz")):
            with tarfile.open(tarball) as tar:
                for member in tar.getmembers():
                    if member.isfile() and accept(member.name):
                        extracted = tar.extractfile(member)
                        data = extracted.read() if extracted is not None else b""
                        yield f"{tarball.name}:{member.name}", lambda data=data: data
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and accept(str(path)):
                yield str(path), path.read_bytes


@dataclass
class Tally:
    """What one language's run counted."""

    name: str
    files: int = 0
    false_positives: int = 0
    warned: int = 0
    cuts: int = 0
    found: int = 0
    truncated: int = 0
    found_any: int = 0  # warnings too (C and C++)
    body_cuts: int = 0
    body_found: int = 0
    with_errors: int = 0
    errors_at_end: int = 0
    edits: int = 0
    edits_truncated: int = 0
    edits_found: int = 0
    check_seconds: float = 0.0
    parse_seconds: float = 0.0
    flagged: list[tuple[str, list[Finding]]] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)
    missed_cuts: list[str] = field(default_factory=list)
    valid_misses: int | None = None  # misses the language's own parser accepts
    syntax_only: list[tuple[str, str]] = field(default_factory=list)


def _errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity is Severity.ERROR]


def _parser(language: str) -> Callable[[str], object]:
    """The bare parse the check is timed against."""
    if language == "json":
        return json.loads
    if language == "toml":
        return tomllib.loads
    if language == "yaml":
        return lambda source: list(yaml.compose_all(source, Loader=yaml.SafeLoader))
    if language in GRAMMARS:
        import tree_sitter as ts

        from validators.treesitter.grammars import load

        parser = ts.Parser(load(language).language)
        return lambda source: parser.parse(Text.of(source).data)
    return lambda source: None  # Markdown: no parser to compare with


def cut_points(
    language: str, source: str, rng: random.Random, count: int, *, bodies: bool = False
) -> list[int]:
    """Byte offsets strictly inside a construct of `source`, at most `count`.

    With `bodies`, inside a body in braces (a function's, a class's, a block's) only.
    """
    data = source.encode("utf-8")
    spans: list[tuple[int, int]] = []
    if language in GRAMMARS:
        root = parse(source, language).root
        if bodies:
            # From the body's `{`: Go's `interface { ... }` starts with its keyword.
            spans = [
                (node.start_byte + max(0, data[node.start_byte : node.end_byte].find(b"{")), node.end_byte)
                for node in _bodies(root, GRAMMARS[language].bodies)
            ]
        else:
            spans = [
                (child.start_byte, child.end_byte)
                for child in root.named_children
                if "comment" not in child.type and child.end_byte - child.start_byte > 1
            ]
    elif language == "markdown":
        spans = _fenced_spans(data)
    elif language == "toml":
        offset = 0
        for line in data.splitlines(keepends=True):
            body = line.strip()
            if body and not body.startswith(b"#"):
                start = offset + len(line) - len(line.lstrip())
                spans.append((start, start + len(body)))
            offset += len(line)
    else:
        spans = [(0, len(data.rstrip()))]
    if not spans:
        return []
    weights = [end - start - 1 for start, end in spans]
    points = []
    for _ in range(count):
        start, end = rng.choices(spans, weights=weights)[0]
        if end - start > 1:
            points.append(rng.randrange(start + 1, end))
    return points


def _bodies(root: object, kinds: frozenset[str]) -> list[Any]:
    found, stack = [], [root]
    while stack:
        node: Any = stack.pop()
        if node.type in kinds and node.end_byte - node.start_byte > 2:
            found.append(node)
        stack.extend(node.named_children)
    return found


def _fenced_spans(data: bytes) -> list[tuple[int, int]]:
    spans, opened, offset = [], None, 0
    for line in data.splitlines(keepends=True):
        fence = re.match(rb"\s*(`{3,}|~{3,})", line)
        if fence and opened is None:
            opened = (offset + len(line), fence.group(1))
        elif (
            fence
            and opened is not None
            and fence.group(1).startswith(opened[1])
            and not line.strip()[len(fence.group(1)) :].strip()
        ):
            spans.append((opened[0], offset + len(line) - 1))
            opened = None
        offset += len(line)
    return [(start, end) for start, end in spans if end - start > 1]


def run(corpus: Corpus, files: list[tuple[str, str]], cuts: int, rng: random.Random, show: int) -> Tally:
    tally = Tally(corpus.name)
    parse = _parser(corpus.language)
    language = corpus.language
    for name, source in files:
        started = time.perf_counter()
        findings = check_source(source, language=language, max_bytes=None)
        checked = time.perf_counter()
        try:
            parse(source)
        except (ValueError, yaml.YAMLError):
            pass
        tally.check_seconds += checked - started
        tally.parse_seconds += time.perf_counter() - checked
        tally.files += 1
        errors = _errors(findings)
        if errors:
            tally.false_positives += 1
            tally.flagged.append((name, errors))
            continue
        if findings:
            tally.warned += 1
        if language in GRAMMARS and _tree_has_error(language, source):
            continue  # a cut is judged on files whose tree is clean
        if findings:
            continue
        data = source.encode("utf-8")
        for point in cut_points(language, source, rng, cuts):
            cut = data[:point].decode("utf-8", "ignore")
            _count_cut(tally, language, name, cut, show)
        if language in GRAMMARS:
            for point in cut_points(language, source, rng, cuts, bodies=True):
                tally.body_cuts += 1
                cut = data[:point].decode("utf-8", "ignore")
                if _errors(check_source(cut, language=language, max_bytes=None)):
                    tally.body_found += 1
        _count_edit(tally, language, data, rng)
    return tally


def _tree_has_error(language: str, source: str) -> bool:
    return parse(source, language).root.has_error


def _count_cut(tally: Tally, language: str, name: str, cut: str, show: int) -> None:
    tally.cuts += 1
    every = check_source(cut, language=language, max_bytes=None)
    if every:
        tally.found_any += 1
    findings = _errors(every)
    if findings:
        tally.found += 1
        if any(finding.code in (Code.TRUNCATED, Code.PREMATURE_END) for finding in findings):
            tally.truncated += 1
        elif len(tally.syntax_only) < show:
            tally.syntax_only.append((name, f"{findings[0].line}: {findings[0].message} ...{cut[-60:]!r}"))
    else:
        tally.missed_cuts.append(cut)
        if len(tally.missed) < show:
            tally.missed.append((name, cut[-80:]))
    if language in GRAMMARS:
        parsed = parse(cut, language)
        if parsed.errors:
            tally.with_errors += 1
            if all(parsed.text.ends_at_end(node) for node in parsed.errors):
                tally.errors_at_end += 1


def _count_edit(tally: Tally, language: str, data: bytes, rng: random.Random) -> None:
    content = len(data.rstrip())
    if content < 200:
        return
    start = rng.randrange(0, content * 8 // 10)
    edited = (data[:start] + data[start + rng.randint(1, 30) :]).decode("utf-8", "ignore")
    findings = _errors(check_source(edited, language=language, max_bytes=None))
    tally.edits += 1
    if findings:
        tally.edits_found += 1
    if any(finding.code is Code.TRUNCATED for finding in findings):
        tally.edits_truncated += 1


_TS_CHECK = """
const ts = require(process.argv[1]);
const texts = JSON.parse(require("fs").readFileSync(0, "utf-8"));
const kind = process.argv[2] === "tsx" ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
console.log(JSON.stringify(texts.map((text) => {
  const file = ts.createSourceFile("cut." + process.argv[2], text, ts.ScriptTarget.Latest, false, kind);
  return file.parseDiagnostics.length === 0;
})));
"""


def valid_code(language: str, texts: list[str], tools: Path) -> tuple[list[bool], str] | None:
    """Whether each text parses in the language's own parser, and which parser; None
    when there is none here. A cut that leaves valid code cannot be told from a file."""
    if language == "javascript" and shutil.which("node"):

        def node_ok(text: str) -> bool:
            return any(
                subprocess.run(
                    ["node", "--check", *flags, "-"], input=text.encode(), capture_output=True
                ).returncode
                == 0
                for flags in ([], ["--input-type=module"])
            )

        return [node_ok(text) for text in texts], "node --check"
    gofmt = shutil.which("gofmt") or "/usr/lib/go-1.19/bin/gofmt"
    if language == "go" and Path(gofmt).exists():
        return [
            subprocess.run([gofmt, "-e"], input=text.encode(), capture_output=True).returncode == 0
            for text in texts
        ], "gofmt -e"
    typescript = tools / "node_modules" / "typescript"
    if language in ("typescript", "tsx") and typescript.exists() and shutil.which("node"):
        if not texts:
            return [], "TypeScript's parser"
        done = subprocess.run(
            ["node", "-e", _TS_CHECK, str(typescript), "tsx" if language == "tsx" else "ts"],
            input=json.dumps(texts).encode(),
            capture_output=True,
            check=True,
        )
        return [bool(each) for each in json.loads(done.stdout)], "TypeScript's parser"
    return None


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "-"


def render(tallies: list[Tally]) -> str:
    lines = [
        "| language | intact files | false positives | warned | cuts | found | truncated "
        "| misses that are valid code | found in a body | errors at end | edits taken for cuts | edits found "
        "| check / parse |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in tallies:
        ratio = (
            f"{t.check_seconds / t.parse_seconds:.2f}x" if t.name != "markdown" and t.parse_seconds else "-"
        )
        misses = t.cuts - t.found
        valid = "-" if t.valid_misses is None else f"{t.valid_misses}/{misses}"
        lines.append(
            f"| {t.name} | {t.files} | {t.false_positives} | {t.warned} | {t.cuts} "
            f"| {_share(t.found, t.cuts)} "
            f"| {_share(t.truncated, t.cuts)} | {valid} | {_share(t.body_found, t.body_cuts)} "
            f"| {_share(t.errors_at_end, t.with_errors)} "
            f"| {_share(t.edits_truncated, t.edits)} | {_share(t.edits_found, t.edits)} | {ratio} |"
        )
    return "\n".join(lines)


def fetch_npm(npm_dir: Path) -> None:
    """`npm pack` the pinned TypeScript packages into `npm_dir`, once."""
    if any(npm_dir.glob("*.tgz")):
        return
    npm_dir.mkdir(parents=True, exist_ok=True)
    print(f"fetching {' '.join(NPM_PACKAGES)} into {npm_dir} with npm pack", file=sys.stderr)
    subprocess.run(
        ["npm", "pack", "--silent", *NPM_PACKAGES], cwd=npm_dir, check=True, stdout=subprocess.DEVNULL
    )


def fetch_typescript(tools_dir: Path) -> None:
    """`npm install` TypeScript (its parser judges the TypeScript cuts missed), once."""
    if (tools_dir / "node_modules" / "typescript").exists() or not shutil.which("npm"):
        return
    tools_dir.mkdir(parents=True, exist_ok=True)
    print(f"installing typescript@{TYPESCRIPT} into {tools_dir}", file=sys.stderr)
    subprocess.run(
        ["npm", "install", "--silent", "--no-save", "--prefix", str(tools_dir), f"typescript@{TYPESCRIPT}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


_LOAD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from validators.treesitter.grammars import load, tags_query
started = time.perf_counter()
load(sys.argv[2])
loaded = time.perf_counter()
tags_query(sys.argv[2])
print((loaded - started) * 1000, (time.perf_counter() - loaded) * 1000)
"""


def load_times() -> str:
    """What a language costs the first time, each in a fresh interpreter: the grammar's
    import with its small queries, then the tags query `requires` needs."""
    lines = ["| language | grammar loaded (ms) | tags query compiled (ms) |", "|---|---|---|"]
    root = str(Path(__file__).resolve().parent.parent)
    for language in GRAMMARS:
        done = subprocess.run(
            [sys.executable, "-c", _LOAD, root, language], capture_output=True, text=True, check=True
        )
        grammar, tags = (float(value) for value in done.stdout.split())
        lines.append(f"| {language} | {grammar:.1f} | {tags:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="files drawn per language")
    parser.add_argument("--cuts", type=int, default=4, help="cuts per intact file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated corpus names")
    parser.add_argument("--show", type=int, default=0, help="print this many false positives and misses")
    parser.add_argument("--npm-dir", type=Path, default=DEFAULT_NPM_DIR)
    parser.add_argument("--load-times", action="store_true", help="also time each grammar's first load")
    parser.add_argument(
        "--tools-dir",
        type=Path,
        default=DEFAULT_NPM_DIR.parent / "typescript",
        help="where `npm install typescript` put the parser that judges TypeScript misses",
    )
    args = parser.parse_args()

    fetch_npm(args.npm_dir)
    fetch_typescript(args.tools_dir)
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    tallies = []
    for corpus in corpora(args.npm_dir):
        if wanted and corpus.name not in wanted and corpus.language not in wanted:
            continue
        rng = random.Random(f"{args.seed}:{corpus.name}")
        files = read_files(corpus, args.files, rng)
        if not files:
            print(f"{corpus.name}: no files under {', '.join(corpus.roots)}", file=sys.stderr)
            continue
        tally = run(corpus, files, args.cuts, rng, args.show)
        judged = valid_code(corpus.language, tally.missed_cuts, args.tools_dir)
        if judged is not None:
            verdicts, parser_name = judged
            tally.valid_misses = sum(verdicts)
            print(
                f"{corpus.name}: {sum(verdicts)} of {len(verdicts)} missed cuts parse in {parser_name}",
                file=sys.stderr,
            )
        tallies.append(tally)
        print(
            f"{corpus.name}: {tally.files} files, {tally.cuts} cuts, found with warnings too: "
            f"{_share(tally.found_any, tally.cuts)}",
            file=sys.stderr,
            flush=True,
        )
        for name, findings in tally.flagged[: args.show]:
            print(f"  false positive {name}: {findings[0].line}: {findings[0].code} {findings[0].message}")
        for name, tail in tally.missed:
            print(f"  missed cut {name}: ...{tail!r}")
        for name, said in tally.syntax_only:
            print(f"  cut found as syntax {name}: {said}")
    print(render(tallies))
    if args.load_times:
        print()
        print(load_times())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
