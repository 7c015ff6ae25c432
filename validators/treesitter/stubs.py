"""Placeholders in tree-sitter languages: code that stands in for code not written.

Three kinds, as in Python (the prose rules are `validators.placeholders`'):

- comments: an elision ("// ... rest of implementation") wherever it stands; a
  remark that the rest follows the same way closing a body; a stub note ("TODO:
  implement", "// ...") in a function body that holds nothing else;
- stub calls: `todo!()`, `panic("not implemented")`, `throw new Error("Not
  implemented")` as the whole body (`unimplemented!()` is only a warning: real Rust
  code uses it for what is deliberately left out);
- `...` where a body or a statement should be, which no grammar accepts: an error
  node whose text is the ellipsis is a placeholder, not a syntax error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from validators import placeholders
from validators.findings import Code, Finding, Severity
from validators.placeholders import Remark
from validators.treesitter.grammars import Grammar, Loaded
from validators.treesitter.names import scope_of
from validators.treesitter.text import Text, node_text, shown

if TYPE_CHECKING:
    import tree_sitter as ts

_ELLIPSES = frozenset({"...", "…", "...;", "…;"})
# Comment markers: `//`, `///`, `//!`, `/*`, `/**`, `*/`, and the `*` that starts the
# lines of a block comment.
_MARKERS = re.compile(r"^\s*(?://+!?|/\*+!?|\*+(?!/))|\*+/\s*$", re.MULTILINE)
# What a definition's body belongs to, by the words in its node type.
_DEFINITION_WORDS = (
    "function",
    "method",
    "class",
    "impl",
    "trait",
    "constructor",
    "struct",
    "interface",
    "enum",
    "record",
    "namespace",
    "module",
    "arrow",
    "lambda",
    "closure",
)
# What a stub's message says when the code is not written yet, as opposed to absent on
# purpose.
_UNWRITTEN = re.compile(
    r"\b(?:todo|fixme|tbd|yet|implement\s+(?:me|this|later)|to\s+be\s+(?:implemented|written|done)"
    r"|placeholder|stub|your\s+code|coming\s+soon)\b",
    re.IGNORECASE,
)
# "Nothing to be done", "We do not implement this because ...": empty on purpose.
_DELIBERATE = re.compile(
    r"(?:nothing|no[- ]?op|intentionally|deliberately|empty|(?:we\s+|it\s+)?(?:do|does)\s+not|don'?t"
    r"|not\s+needed|ignored?)\b",
    re.IGNORECASE,
)
_FRAMES = " \t.…[](){}<>-—–:;,!*=_\"'`#/"
# Whatever may follow a closing remark in a file that ends with it: closing brackets.
_CLOSING = re.compile(rb"[\s});\]]*")


def ellipsis_of(node: ts.Node, grammar: Grammar) -> ts.Node | None:
    """The `...` an error node is, where a statement or member would be; else None.

    Rust reads `...` as `..` `.`: a MISSING field name after a range.
    """
    if node.is_missing and node.parent is not None:
        node = node.parent
    if "".join(node_text(node).split()) not in _ELLIPSES:
        return None
    parent = node.parent
    if parent is not None and parent.type == "expression_statement":
        parent = parent.parent
    if (
        parent is None
        or parent.parent is None
        or parent.type in grammar.bodies
        or parent.type == "statement_list"
    ):
        return node
    return None


def ellipsis_finding(node: ts.Node, loaded: Loaded, text: Text) -> Finding:
    """The placeholder finding for a `...` error node."""
    body = node.parent
    while body is not None and body.type not in loaded.grammar.bodies:
        body = body.parent
    scope = scope_of(node, loaded.grammar)
    alone = body is not None and _only(body, node)
    if alone and scope:
        message = f"the body of `{scope}` is only `...`"
    else:
        message = "`...` stands in for code not written"
    line, column = text.start(node)
    return Finding(Code.PLACEHOLDER, line, column, scope, message)


def comment_findings(root: ts.Node, loaded: Loaded, text: Text) -> list[Finding]:
    """Comments that stand for code not written, or for the rest of the file."""
    import tree_sitter as ts

    found = []
    for comment in ts.QueryCursor(loaded.comments).captures(root).get("comment", ()):
        finding = _comment_finding(comment, loaded, text)
        if finding is not None:
            found.append(finding)
    return found


def _comment_finding(comment: ts.Node, loaded: Loaded, text: Text) -> Finding | None:
    raw = node_text(comment)
    said = " ".join(_MARKERS.sub("", raw).split())
    if not said.strip(_FRAMES) and "..." not in said and "…" not in said:
        return None  # `// []`, `// ----`: a separator or an example's output, not a remark
    kinds = placeholders.classify(said)
    if not kinds:
        return None
    body = comment.parent
    last = comment.next_named_sibling is None
    at_end = _CLOSING.fullmatch(text.data, comment.end_byte) is not None
    # Closing a body (not a list of values, where "etc." or "(as above)" is how a person
    # ends one or annotates its last entry).
    closing = last and body is not None and (body.type in loaded.grammar.bodies or body.parent is None)
    ending = Remark.ENDING in kinds and closing and _after_code(comment)
    scope = scope_of(comment, loaded.grammar)
    line, column = text.start(comment)
    if (
        body is not None
        and body.type in loaded.grammar.bodies
        and _of_definition(body)
        and _only_comments(body)
    ):
        # A definition whose body is a remark is a stub to regenerate, even at the end
        # of the file; unless the remark says the body is empty on purpose.
        if _DELIBERATE.match(said):
            return None
        what = f"the body of `{scope}`" if scope else "the body"
        return Finding(Code.PLACEHOLDER, line, column, scope, f'{what} is only a comment: "{said}"')
    if _in_paragraph(comment):
        # One line of a longer comment is prose about the code ("... rest of function
        # ..." in a sketch of what a compiler emits), not a gap in it.
        return None
    framed = said.startswith(("...", "…")) or said.endswith(("...", "…"))
    # "rest of the implementation" counts where a model puts it: framed by dots, or
    # closing a body; a sentence above code about "the original implementation" does not.
    elision = Remark.ELISION in kinds and (framed or closing)
    if (elision or ending) and at_end:
        return Finding(
            Code.PREMATURE_END,
            line,
            column,
            scope,
            f'the file ends with a remark instead of the rest: "{said}"',
        )
    if elision:
        return Finding(
            Code.PLACEHOLDER, line, column, scope, f'"{said}" stands in for code that was left out'
        )
    if ending:
        what = f"`{scope}`" if scope else "the file"
        return Finding(Code.PLACEHOLDER, line, column, scope, f'"{said}" stands in for the rest of {what}')
    return None


def _in_paragraph(comment: ts.Node) -> bool:
    """Whether a comment on the line just above or below continues this one."""
    before, after = comment.prev_sibling, comment.next_sibling
    first = comment.start_point[0]
    end = comment.end_point
    last = end[0] if end[1] > 0 else end[0] - 1  # a line comment may end after its newline
    if before is not None and "comment" in before.type:
        stop = before.end_point
        if (stop[0] if stop[1] > 0 else stop[0] - 1) == first - 1:
            return True
    return after is not None and "comment" in after.type and after.start_point[0] == last + 1


def call_findings(root: ts.Node, loaded: Loaded, text: Text) -> list[Finding]:
    """Calls that stand for code not written: `todo!()`, `panic("not implemented")`."""
    import tree_sitter as ts

    if loaded.stubs is None:
        return []
    found = []
    for _, captures in ts.QueryCursor(loaded.stubs).matches(root):
        calls = captures.get("call")
        if not calls:
            continue
        call = calls[0]
        scope = scope_of(call, loaded.grammar)
        line, column = text.start(call)
        if "stub" in captures or "warn" in captures:
            severity = Severity.WARNING if "warn" in captures else Severity.ERROR
            message = f"`{shown(call)}` stands in for code not written"
            found.append(Finding(Code.PLACEHOLDER, line, column, scope, message, severity=severity))
            continue
        messages = captures.get("message", ())
        said = node_text(messages[0]).strip("\"'`") if messages else ""
        if placeholders.is_placeholder_message(said) and _whole_body(call, loaded):
            what = f"`{scope}`" if scope else "the body"
            message = f"{what} only says {said!r}: `{shown(call)}`"
            # A bare "not implemented" is also how real code marks what a platform
            # lacks (Go's math stubs); "TODO" or "not implemented yet" is unwritten code.
            severity = Severity.ERROR if _UNWRITTEN.search(said) else Severity.WARNING
            found.append(Finding(Code.PLACEHOLDER, line, column, scope, message, severity=severity))
    return found


def _whole_body(node: ts.Node, loaded: Loaded) -> bool:
    """Whether `node` (or the statement it is in) is all a definition's body holds."""
    statement = node
    body = statement.parent
    while body is not None and body.type not in loaded.grammar.bodies and body.type != "statement_list":
        statement, body = body, body.parent
    if body is not None and body.type == "statement_list":  # Go wraps a block's statements
        body = body.parent
    return body is not None and _of_definition(body) and _only(body, statement)


def _only(body: ts.Node, node: ts.Node) -> bool:
    """Whether `body` holds `node` and comments, nothing else."""
    for child in _statements(body):
        if "comment" in child.type:
            continue
        if not (child.start_byte <= node.start_byte and node.end_byte <= child.end_byte):
            return False
    return True


def _only_comments(body: ts.Node) -> bool:
    return all("comment" in child.type for child in _statements(body))


def _statements(body: ts.Node) -> Sequence[ts.Node]:
    children = body.named_children
    if len(children) == 1 and children[0].type == "statement_list":
        return children[0].named_children
    return children


def _of_definition(body: ts.Node) -> bool:
    owner = body.parent
    return owner is not None and any(word in owner.type for word in _DEFINITION_WORDS)


def _after_code(comment: ts.Node) -> bool:
    """Whether some statement stands before `comment` in its body."""
    sibling = comment.prev_named_sibling
    while sibling is not None:
        if "comment" not in sibling.type:
            return True
        sibling = sibling.prev_named_sibling
    return False
