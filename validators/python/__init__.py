"""Whether a Python file is complete, and where it is not: checks on libcst's tree.

Pure: text in, findings out. The order of work keeps clean files cheap:

1. CPython's own parser (`ast.parse`, fast, in C) says whether the text parses. A
   text that parses may still have been cut where `ast` cannot see it (inside a
   name, a comment, a line's indentation: `truncation.cut_short`). A file that
   parses, was not cut, has no required names and that `screening` clears (no stub
   body, no placeholder-like comment where one would count) has no finding, and no
   libcst tree is built: libcst parses at about eight times the cost of `ast`.
2. libcst parses the rest. A file it cannot parse gets one `truncated` or `syntax`
   finding (`truncation.diagnose`), after a comment standing where a body should be,
   or a line of prose saying the rest is left out, has been read past and reported.
3. One pass of `walker.Inspector` over the statements (expressions are skipped unless a
   comment in brackets could be an elision) collects placeholders, endings and the
   names defined at each scope; each rule has its module (stubs.py, remarks.py,
   names.py), reading.py holds steps 1 and 2.
4. Positions are computed only when there is a finding: libcst's position metadata
   costs more than the parse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from validators import screening, truncation
from validators.findings import Code, Finding
from validators.placeholders import Remark
from validators.python.reading import Verdict, cpython_verdict, read_past_gap, unparsable
from validators.python.walker import Inspector

_MAX_GAPS = 20

# The largest source `check` reads by default (UTF-8 bytes): real modules stay far
# below it, and a 27 MB file took 54 s and 4.8 GB to parse.
MAX_BYTES = 4_000_000


def check(
    source: str,
    *,
    requires: Iterable[str] = (),
    filename: str = "<string>",
    max_bytes: int | None = MAX_BYTES,
) -> list[Finding]:
    """Completeness findings for one Python source text, sorted by position.

    `requires` names must be defined: `Name` at module level, `Class.member` inside a
    class (methods, class attributes and `self.x` assignments count). `filename` only
    matters for its suffix: a `.pyi` stub may have stub bodies. A source of more than
    `max_bytes` (UTF-8) is one `too-large` finding, not parsed (None: no limit). Never
    raises on any source text; raises ValueError for a required name that is not a
    dotted name.
    """
    wanted = _required_names(requires)
    if max_bytes is not None and len(source) > max_bytes // 4:  # a cheap bound first
        size = len(source.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return [
                Finding(
                    Code.TOO_LARGE,
                    1,
                    1,
                    "",
                    f"the file is {size:,} bytes, more than the {max_bytes:,} the validators "
                    "read; not checked (--max-bytes raises the limit)",
                )
            ]
    verdict = cpython_verdict(source)
    if verdict.fatal is not None:
        return [verdict.fatal]
    if verdict.tree is not None and not wanted and truncation.cut_short(source, verdict.tree) is None:
        if not screening.may_have_findings(source, verdict.tree):
            return []
    return _inspect(source, wanted, stubs_allowed=filename.endswith(".pyi"), verdict=verdict)


def _inspect(source: str, wanted: Sequence[str], *, stubs_allowed: bool, verdict: Verdict) -> list[Finding]:
    """Every check, without screening (which only saves time)."""
    cut = truncation.cut_short(source, verdict.tree) if verdict.tree is not None else None
    findings = _walk(source, wanted, stubs_allowed=stubs_allowed, verdict=verdict)
    if cut is None:
        return findings
    # What stands in the definition the file was cut in is the cut's doing; a
    # required name missing may be what the cut left out.
    kept = [f for f in findings if f.line < cut.from_line or f.code == Code.MISSING]
    return _merged([], [*kept, cut.finding])


def _walk(source: str, wanted: Sequence[str], *, stubs_allowed: bool, verdict: Verdict) -> list[Finding]:
    """Every check on libcst's tree."""
    text = source
    gaps: list[Finding] = []
    while True:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as error:
            if verdict.tree is not None:
                # CPython accepts what libcst's grammar does not (a parenthesized
                # annotated target, say): there is no syntax error to report, and no
                # tree to check.
                return []
            gap = read_past_gap(text, error) if len(gaps) < _MAX_GAPS else None
            if gap is None:
                found = truncation.diagnose(text, error, verdict.error)
                return _merged(gaps, [found])
            text, finding = gap
            gaps.append(finding)
        except cst.CSTValidationError as error:
            # Parsed, but a node libcst refuses to build: `"" b""` mixes str and bytes.
            if verdict.tree is not None:
                return []
            where = verdict.error
            line = where.lineno if where is not None and where.lineno else 1
            column = where.offset if where is not None and where.offset else 1
            found = Finding(
                Code.SYNTAX, line, column, truncation.scope_at(text, line), f"cannot parse: {error}"
            )
            return _merged(gaps, [found])
        except RecursionError:
            return [unparsable("expressions nested too deeply to parse")]
        else:
            break
    inspector = Inspector(
        wanted=wanted,
        stubs_allowed=stubs_allowed,
        into_brackets=any(Remark.ELISION in kinds for _, kinds in screening.remarks(text)),
    )
    module.visit(inspector)
    pending = inspector.pending + inspector.missing()
    if not pending:
        return _merged(gaps, [])
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return _merged(gaps, [each.locate(positions) for each in pending])


def _merged(gaps: Sequence[Finding], findings: Sequence[Finding]) -> list[Finding]:
    """All findings by position, ties in the order found (required names keep theirs).

    A gap read past is also seen by the tree walk; it is reported once.
    """
    seen = {(gap.line, gap.code) for gap in gaps}
    unique = list(gaps) + [f for f in findings if (f.line, f.code) not in seen]
    return sorted(dict.fromkeys(unique), key=lambda finding: (finding.line, finding.column))


def _required_names(requires: Iterable[str]) -> tuple[str, ...]:
    # One name passed as a string would otherwise be read as its letters.
    if isinstance(requires, str):
        requires = (requires,)
    names = []
    for name in requires:
        if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"required name {name!r} is not a dotted Python name")
        names.append(name)
    return tuple(dict.fromkeys(names))
