"""Run `validators.check` on every .py file of the standard library and of this
environment's site-packages, count the findings (each one on real code is a false
positive, but on the few files listed, each with its reason, in `STUBS_BY_INTENT`) and time `check`
against `ast.parse` on the same files in the same run.

    python benchmarks/site_scan.py [--root DIR]... [--held-out] [--limit N] [--quiet]

Default roots: the standard library (its site-packages left out) and the running
interpreter's site-packages (`sysconfig`'s purelib: the venv's). `--held-out` scans
instead the base interpreter's site-packages and the system's dist-packages, less
every file whose bytes are also under the default roots: code the rules were not
tuned on. A file CPython cannot parse, or that is not UTF-8, is counted and left out
(its findings would be true ones). Exits 1 when a file outside `STUBS_BY_INTENT` has
a finding.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import gc
import hashlib
import sys
import sysconfig
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validators import Finding, check, render_text  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SITE = Path(sysconfig.get_paths()["purelib"])
HELD_OUT = (
    Path(sysconfig.get_config_var("prefix") or sys.base_prefix)
    / "lib"
    / f"python{sys.version_info.major}.{sys.version_info.minor}"
    / "site-packages",
    Path("/usr/lib/python3/dist-packages"),
)

# Files whose findings are true, though no rule can tell: each was read, and each
# finding on them is listed and not counted as a false positive. Patterns match the
# end of the path. "unwritten": a body its authors left unwritten and marked so (a
# real placeholder); "stub": a body empty on purpose, for a reason its comment or
# context gives in words no rule reads.
STUBS_BY_INTENT: dict[str, tuple[str, str]] = {
    "tkinter/tix.py": ("unwritten", "FileEntry.file_dialog is `pass` under '# FIXME: return python object'"),
    "tkinter/test/test_ttk/test_widgets.py": (
        "unwritten",
        "ProgressbarTest.test_configure_phase is `pass` under '# XXX'",
    ),
    "pkg_resources/__init__.py": (
        "unwritten",
        "ResourceManager.cleanup_resources is a docstring of what it should do and '# XXX'",
    ),
    "hypothesis/strategies/_internal/random.py": (
        "stub",
        "module functions that only raise NotImplementedError under '# Fake shims to get a good "
        "signature': signatures copied onto a class",
    ),
    "*/pyparsing/helpers.py": (
        "stub",
        "`def oneOf(): ...` under `@replaced_by_pep8(one_of)`: the decorator replaces the stub with "
        "the function it names (pre-PEP 8 aliases)",
    ),
    "*/pyparsing/core.py": (
        "stub",
        "the same `@replaced_by_pep8` aliases, and `_CacheType.get/set: ...` in a class "
        "'to help type checking'",
    ),
    "*/pyparsing/actions.py": ("stub", "the same `@replaced_by_pep8` aliases as pyparsing/helpers.py"),
    "*/pyparsing/exceptions.py": ("stub", "the same `@replaced_by_pep8` aliases as pyparsing/helpers.py"),
    "test/test_typing.py": (
        "stub",
        "annotated `...` methods that are the test data of typing's introspection",
    ),
    "test/typinganndata/ann_module2.py": (
        "stub",
        "an annotated `...` method: test data for typing.get_type_hints under @no_type_check",
    ),
    "test/typinganndata/ann_module8.py": (
        "stub",
        "an annotated `...` function: test data for typing.get_type_hints under @no_type_check",
    ),
    "test/test_socket.py": (
        "stub",
        "testSendmsgAfterClose and testSendmsgNoDestAddr: the empty server halves of client/server "
        "test pairs, whose client halves (_testSendmsgAfterClose...) do the work",
    ),
    "lib2to3/tests/data/py3_test_grammar.py": (
        "stub",
        "testPassStmt: a grammar test whose body is the `pass` statement it tests",
    ),
    "idlelib/idle_test/test_grep.py": ("stub", "Dummy_grep.close: a test dummy's no-op ('# gui method')"),
    "idlelib/pyshell.py": (
        "stub",
        "toggle_jit_stack_viewer: `pass # All we need is the variable`, a menu toggle whose state is its "
        "Tk variable",
    ),
    "filelock/_core/_acquire.py": (
        "stub",
        "_try_break_expired_lock: a no-op override ('# Only existence locks reclaim expired markers.')",
    ),
    "setuptools/command/editable_wheel.py": ("stub", "_StaticPth.__exit__: `...` as a no-op"),
}


@dataclass
class Scan:
    files: int = 0
    skipped: int = 0
    ast_seconds: float = 0.0
    check_seconds: float = 0.0
    flagged: list[tuple[str, list[Finding]]] = field(default_factory=list)
    by_intent: list[tuple[str, list[Finding], str]] = field(default_factory=list)


def default_roots() -> list[Path]:
    return [STDLIB, SITE]


def sources(roots: Iterable[Path], skip_digests: set[str] | None = None) -> Iterator[tuple[Path, bytes]]:
    """Every .py file under the roots, each content once (a vendored copy twice)."""
    seen = set(skip_digests or ())
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if root == STDLIB and ("site-packages" in path.parts or "dist-packages" in path.parts):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            yield path, data


def digests(roots: Iterable[Path]) -> set[str]:
    return {hashlib.sha1(data).hexdigest() for _, data in sources(roots)}


def intent(path: Path) -> str | None:
    text = path.as_posix()
    for pattern, (kind, reason) in STUBS_BY_INTENT.items():
        if fnmatch.fnmatch(text, "*/" + pattern):
            return f"{kind}: {reason}"
    return None


def scan(files: Iterable[tuple[Path, bytes]], limit: int = 0) -> Scan:
    result = Scan()
    gc.collect()
    for path, data in files:
        if limit and result.files >= limit:
            break
        try:
            text = data.decode("utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            result.skipped += 1
            continue
        result.files += 1
        # Each file is parsed by both in turn, so machine load falls on both alike.
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        result.ast_seconds += time.perf_counter() - started
        started = time.perf_counter()
        findings = check(text, filename=path.name)
        result.check_seconds += time.perf_counter() - started
        if findings:
            reason = intent(path)
            if reason is None:
                result.flagged.append((str(path), findings))
            else:
                result.by_intent.append((str(path), findings, reason))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", help="scan this folder (repeatable)")
    parser.add_argument("--held-out", action="store_true", help="scan code the rules were not tuned on")
    parser.add_argument("--limit", type=int, default=0, help="scan only the first N files")
    parser.add_argument("--quiet", action="store_true", help="do not list the findings")
    args = parser.parse_args()

    if args.held_out:
        roots = [root for root in HELD_OUT if root.is_dir() and root.resolve() != SITE.resolve()]
        files = sources(roots, skip_digests=digests(default_roots()))
    else:
        roots = args.root or default_roots()
        files = sources(roots)
    print("roots: " + ", ".join(str(root) for root in roots), flush=True)
    result = scan(files, args.limit)

    if result.flagged and not args.quiet:
        print(render_text(result.flagged), end="")
    for path, findings, reason in result.by_intent:
        print(f"stubs by intent: {path}: {len(findings)} findings ({reason})")
        if not args.quiet:
            for finding in findings:
                print(f"  {finding.line}:{finding.column} {finding.code}: {finding.message}")
    print(f"files scanned: {result.files} (not UTF-8 or not parsed by CPython, left out: {result.skipped})")
    print(f"files with findings: {len(result.flagged)}")
    print(f"findings (false positives): {sum(len(findings) for _, findings in result.flagged)}")
    print(
        f"files of stubs by intent with findings: {len(result.by_intent)} "
        f"({sum(len(findings) for _, findings, _ in result.by_intent)} findings)"
    )
    ratio = result.check_seconds / result.ast_seconds if result.ast_seconds else float("nan")
    print(
        f"ast.parse: {result.ast_seconds:.2f}s  check: {result.check_seconds:.2f}s  "
        f"ratio: {ratio:.2f}x (target: at most 3x)"
    )
    return 1 if result.flagged else 0


if __name__ == "__main__":
    sys.exit(main())
