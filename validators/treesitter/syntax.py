"""Whether a tree-sitter tree says the file is cut short, or broken in the middle.

tree-sitter always returns a tree, with ERROR nodes around what it could not read and
zero-width MISSING nodes for tokens it had to assume. On real files cut at random
points inside a construct, some such node is there for 95-100% of the cuts, and
*where the errors end* tells a cut from a mid-file mistake: for a cut every error
ends at the end of the file (its start may be far above, where the parser gave up),
for a broken edit in the middle nearly never. A tree with no error can still be a
cut that the grammar happens to accept: the table's tail rules catch those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from validators import placeholders
from validators.findings import Code, Finding
from validators.treesitter import tails
from validators.treesitter.grammars import Grammar
from validators.treesitter.names import scope_of
from validators.treesitter.text import Text, shown

if TYPE_CHECKING:
    import tree_sitter as ts

    from validators.treesitter import Parsed


def error_nodes(root: ts.Node) -> list[ts.Node]:
    """The outermost ERROR and every MISSING node, in the order of the text.

    Only subtrees that hold an error are entered, so a clean file costs one check.
    """
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node)
            if node.is_error:
                continue
        stack.extend(child for child in reversed(node.children) if child.has_error or child.is_missing)
    return sorted(found, key=lambda node: (node.start_byte, node.end_byte))


def diagnose(parsed: Parsed, grammar: Grammar, *, explained: bool = False) -> list[Finding]:
    """The `truncated`, `premature-end` or `syntax` findings of a parsed source.

    `parsed.errors` are the error nodes left to judge; `explained` says that others,
    already reported (a `...` body), account for the tree's error flag.
    """
    root, text, errors = parsed.root, parsed.text, parsed.errors
    if not errors:
        if root.has_error and not explained:
            # An error the tree shows no node for; seen only at the very end of a file.
            return [_at_end(None, parsed, grammar)]
        return _suspicious_tail(root, grammar, text)
    mid_file = [node for node in errors if not text.ends_at_end(node)]
    at_end = [node for node in errors if text.ends_at_end(node)]
    ends_in_prose = bool(at_end) and placeholders.is_prose_ending(text.last_line())
    cut = bool(at_end) and not (grammar.cautious and mid_file)
    if cut and grammar.cautious:
        cut = parsed.scan.open or ends_in_prose
    unexplained = mid_file if cut else errors
    found = []
    if unexplained:
        first = unexplained[0]
        line, column = text.start(first)
        more = f" (and {len(unexplained) - 1} more)" if len(unexplained) > 1 else ""
        hint = "; a macro the parser does not expand may cause it" if grammar.cautious else ""
        found.append(
            Finding(
                Code.SYNTAX,
                line,
                column,
                scope_of(first, grammar),
                f"cannot parse: {_describe(first)}{more}{hint}",
                severity=grammar.mid_file_severity,
            )
        )
    if cut:
        found.append(_at_end(at_end[-1], parsed, grammar))
    return found


def _suspicious_tail(root: ts.Node, grammar: Grammar, text: Text) -> list[Finding]:
    rules: list[Callable[[ts.Node], tails.Suspect | None]] = list(grammar.tail_rules)
    if grammar.unended:
        rules.append(
            lambda node: tails.cut_in_last_line(node, text.data, unused_only=grammar.unended == "unused")
        )
    for rule in rules:
        suspect = rule(root)
        if suspect is not None:
            line, column = text.start(suspect.node)
            return [Finding(Code.TRUNCATED, line, column, scope_of(suspect.node, grammar), suspect.message)]
    return []


def _at_end(error: ts.Node | None, parsed: Parsed, grammar: Grammar) -> Finding:
    """The finding for a file whose errors end at its end: cut short, or ended in prose."""
    text = parsed.text
    last = text.last_line()
    line, column = text.position(text.content_end)
    if placeholders.is_prose_ending(last):
        return Finding(
            Code.PREMATURE_END,
            line,
            1,
            "",
            f'the file ends with a remark instead of the rest: "{" ".join(last.split())}"',
        )
    scope = scope_of(error, grammar) if error is not None else ""
    if parsed.scan.opened is not None:
        opened_line, opened_column = text.position(parsed.scan.opened)
        message = f"the file ends inside a {parsed.scan.what} opened at {opened_line}:{opened_column}"
        line, column = text.position(len(text.data.rstrip()))
        return Finding(Code.TRUNCATED, line, column, scope, message)
    return Finding(Code.TRUNCATED, line, column, scope, _end_message(error, parsed.root, text))


def _end_message(error: ts.Node | None, root: ts.Node, text: Text) -> str:
    if error is None:
        return "the file ends in an unfinished construct"
    construct = error
    while construct.parent is not None and construct.parent != root:
        construct = construct.parent
    expected = f" (expected `{error.type}`)" if error.is_missing else ""
    if construct == error or construct.is_error:
        return f"the file ends in an unfinished `{shown(construct)}`{expected}"
    line, column = text.start(construct)
    kind = construct.type.replace("_", " ")
    return f"the file ends inside the {kind} opened at {line}:{column}: `{shown(construct)}`{expected}"


def _describe(error: ts.Node) -> str:
    if error.is_missing:
        return f"expected `{error.type}`"
    said = shown(error, 40)
    return f"unexpected `{said}`" if said else "unexpected text"
