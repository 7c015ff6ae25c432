"""The bytes tree-sitter reads, and positions in them as editors count them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter as ts


@dataclass(frozen=True)
class Text:
    """A source as UTF-8 bytes, with the offset where its content ends."""

    data: bytes
    # The byte offset after the last character that is not white space: an error that
    # ends there ends at the end of the file.
    content_end: int

    @classmethod
    def of(cls, source: str) -> Text:
        # The newline matters: a Go file cut right after `}` otherwise sets `has_error`
        # with no ERROR or MISSING node to show where. "surrogatepass": a str may hold
        # lone surrogates, and no source text may make the validators raise.
        content = source.rstrip().encode("utf-8", "surrogatepass")
        return cls((source + "\n").encode("utf-8", "surrogatepass"), len(content))

    def position(self, byte: int) -> tuple[int, int]:
        """The 1-based line and character column of a byte offset."""
        start = self.data.rfind(b"\n", 0, byte) + 1
        return self.data.count(b"\n", 0, start) + 1, _characters(self.data[start:byte]) + 1

    def start(self, node: ts.Node) -> tuple[int, int]:
        """Where `node` starts, as line and character column (tree-sitter counts bytes)."""
        row, column = node.start_point
        return row + 1, _characters(self.data[node.start_byte - column : node.start_byte]) + 1

    def ends_at_end(self, node: ts.Node) -> bool:
        """Whether `node` reaches the end of the content (trailing white space aside), or
        is on its last line: a cut mangles the line it falls in."""
        last_line = self.data.rfind(b"\n", 0, self.content_end) + 1
        return node.end_byte >= self.content_end or node.start_byte >= last_line

    def last_line(self) -> str:
        """The last line that is not blank."""
        start = self.data.rfind(b"\n", 0, self.content_end) + 1
        return self.data[start : self.content_end].decode("utf-8", "replace")


def node_text(node: ts.Node) -> str:
    """The source text of `node`."""
    return (node.text or b"").decode("utf-8", "replace")


def shown(node: ts.Node, width: int = 60) -> str:
    """The first line of a node's text, shortened, to quote in a message."""
    text = node_text(node).strip()
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= width else first[: width - 3] + "..."


def _characters(chunk: bytes) -> int:
    try:
        return len(chunk.decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:
        # A node boundary inside a character cannot happen with a str's bytes; if a
        # grammar ever puts one there, count what is readable rather than raise.
        return len(chunk.decode("utf-8", "replace"))
