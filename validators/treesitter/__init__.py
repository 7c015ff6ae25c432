"""Completeness checks for the languages tree-sitter reads: one backend, a table each.

`check_tree(source, language, wanted)` parses with the language's grammar (from
`grammars.GRAMMARS`) and reports what Python's checks report: `truncated` and
`syntax` from the tree's errors (`syntax.py`), placeholders (`stubs.py`) and required
names not defined (`names.py`). Pure: text in, findings out; it raises only
`GrammarMissing`, when the grammar is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from validators.findings import Finding
from validators.treesitter import lexing, names, stubs, syntax
from validators.treesitter.grammars import GRAMMARS, Grammar, GrammarMissing, load
from validators.treesitter.lexing import Scan
from validators.treesitter.text import Text

if TYPE_CHECKING:
    import tree_sitter as ts

__all__ = [
    "GRAMMARS",
    "Grammar",
    "GrammarMissing",
    "Parsed",
    "check_tree",
    "definition_spans",
    "import_spans",
    "member_slot",
    "mid_file_errors",
    "parse",
]


@dataclass(frozen=True)
class Parsed:
    """A source's tree, its text, and what its errors are."""

    root: ts.Node
    # `content_end` is where the code ends: before trailing comments, and before the
    # comment or string the file ends inside, if any.
    text: Text
    errors: list[ts.Node]  # the outermost ERROR and every MISSING node, in text order
    scan: Scan  # what the text leaves open (read only when the tree has an error)


def check_tree(source: str, language: str, wanted: Sequence[str] = ()) -> list[Finding]:
    """Completeness findings for `source` in `language` (a key of `GRAMMARS`), by position.

    `wanted` are qualified names (`Class.method`, dots only) that must be defined.
    """
    loaded = load(language)
    parsed = parse(source, language)
    text = parsed.text
    elided = {node: stubs.ellipsis_of(node, loaded.grammar) for node in parsed.errors}
    found = [stubs.ellipsis_finding(dots, loaded, text) for dots in elided.values() if dots is not None]
    rest = replace(parsed, errors=[node for node, dots in elided.items() if dots is None])
    found += syntax.diagnose(rest, loaded.grammar, explained=len(rest.errors) < len(parsed.errors))
    found += stubs.comment_findings(parsed.root, loaded, text)
    found += stubs.call_findings(parsed.root, loaded, text)
    if wanted:
        found += names.missing(parsed.root, language, loaded.grammar, wanted, text)
    return _merged(found)


def mid_file_errors(source: str, language: str) -> list[int]:
    """The lines of the parse errors of `source` that do not end where its code ends
    (those are a cut) and are no `...` standing for a body: what `check_tree` reports
    as `syntax`, from the parse alone (no comments, stubs or names read)."""
    loaded = load(language)
    parsed = parse(source, language)
    text = parsed.text
    return [
        text.start(node)[0]
        for node in parsed.errors
        if not text.ends_at_end(node) and stubs.ellipsis_of(node, loaded.grammar) is None
    ]


def definition_spans(source: str, language: str) -> dict[str, tuple[int, int]]:
    """Where each definition of `source` is: its qualified name (`Class.method`, as
    `requires` names it) to the (start, end) character offsets of the whole definition,
    for a repair to replace it and keep every other character."""
    loaded = load(language)
    parsed = parse(source, language)
    found = names.definitions(parsed.root, language, loaded.grammar)
    data = parsed.text.data
    return {
        name: (_characters(data, node.start_byte), _characters(data, node.end_byte))
        for name, (_, node) in found.items()
    }


# Top-level statements that bring names in, and those that must stand before them.
_IMPORTS: dict[str, frozenset[str]] = {
    "typescript": frozenset({"import_statement"}),
    "tsx": frozenset({"import_statement"}),
    "javascript": frozenset({"import_statement"}),
    "go": frozenset({"import_declaration"}),
    "rust": frozenset({"use_declaration", "extern_crate_declaration"}),
    "java": frozenset({"import_declaration"}),
    "c": frozenset({"preproc_include"}),
    "cpp": frozenset({"preproc_include"}),
}
_HEADERS = frozenset({"package_clause", "package_declaration"})


def import_spans(source: str, language: str) -> tuple[list[tuple[int, int]], int]:
    """The (start, end) character offsets of each top-level import of `source` (an
    `import`, a Go or Java import declaration, a Rust `use`, an `#include`), and where
    a new one goes when there is none: after the package clause, else at the start."""
    parsed = parse(source, language)
    data = parsed.text.data
    kinds = _IMPORTS.get(language, frozenset())
    spans, after_header = [], 0
    for node in parsed.root.named_children:
        if node.type in kinds and not node.has_error:
            spans.append((_characters(data, node.start_byte), _characters(data, node.end_byte)))
        elif node.type in _HEADERS:
            after_header = _characters(data, node.end_byte)
    return spans, after_header


def member_slot(source: str, language: str, parent: str) -> int | None:
    """Where a new member of the definition `parent` (a class, struct, interface or
    `impl`) goes: the character offset of the `}` that closes its body. Go's methods
    stand at the top level: the end of the file. Rust's go in the last `impl parent`
    block (not a trait's); None when there is none, or no body closed by `}`."""
    if language == "go":
        return len(source)
    loaded = load(language)
    parsed = parse(source, language)
    short = parent.rsplit(".", 1)[-1]
    holder: ts.Node | None
    if language == "rust":
        impls = [
            node
            for node in _descendants(parsed.root, "impl_item")
            if node.child_by_field_name("trait") is None
            and (kind := node.child_by_field_name("type")) is not None
            and names.base_name(kind) == short
        ]
        holder = impls[-1] if impls else None
    else:
        found = names.definitions(parsed.root, language, loaded.grammar).get(parent)
        holder = found[1] if found else None
    body = _braced_body(holder) if holder is not None else None
    if body is None or body.has_error:
        return None
    return _characters(parsed.text.data, body.children[-1].start_byte)


def _descendants(root: ts.Node, kind: str) -> list[ts.Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.type == kind:
            found.append(node)
        stack.extend(reversed(node.named_children))
    return found


def _braced_body(node: ts.Node, depth: int = 3) -> ts.Node | None:
    """The first part of `node`, at most `depth` levels down, that opens with `{` and
    ends with `}` (a class body, a declaration list): not a parameter or type list."""
    for child in node.named_children:
        if child.child_count >= 2 and child.children[0].type == "{" and child.children[-1].type == "}":
            return child
        if depth > 1 and child.named_child_count:
            inner = _braced_body(child, depth - 1)
            if inner is not None:
                return inner
    return None


def _characters(data: bytes, byte: int) -> int:
    return len(data[:byte].decode("utf-8", "surrogatepass"))


def parse(source: str, language: str) -> Parsed:
    """The tree of `source` in `language`, with where its code ends and its errors."""
    import tree_sitter as ts

    loaded = load(language)
    grammar = loaded.grammar
    text = Text.of(source)
    if loaded.masks:
        text = replace(text, data=loaded.masked(text.data))
    root = ts.Parser(loaded.language).parse(text.data).root_node
    end = _code_end(root, text, grammar)
    scan = Scan()
    if root.has_error and grammar.family is not None:
        scan = lexing.scan(text.data[:end], grammar.family)
        if scan.opened is not None:
            end = min(end, len(text.data[: scan.opened].rstrip()))
    return Parsed(root, replace(text, content_end=end), syntax.error_nodes(root), scan)


def _code_end(root: ts.Node, text: Text, grammar: Grammar) -> int:
    """Where the code ends, before trailing comments: a file cut inside a comment in a
    function has its MISSING `}` before that comment, and the error still ends "at the end"."""
    end = text.content_end
    while end > 0:
        node = root.descendant_for_byte_range(end - 1, end)
        while node is not None and node.type not in grammar.comments:
            node = node.parent  # a comment may have parts: Rust's `///` marker and text
        if node is None:
            break
        end = len(text.data[: node.start_byte].rstrip())
    return end


def _merged(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per line and code, by position (a missing name keeps its order)."""
    seen: set[tuple[int, str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.line, finding.code, finding.name)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return sorted(unique, key=lambda finding: (finding.line, finding.column))
