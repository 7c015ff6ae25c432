"""Where requests go: the `Streamer` seam (base.py), the Messages API behind it
(anthropic.py) and the journal in front of it (journal.py)."""

from .base import Answer, Block, Streamer

__all__ = ["Answer", "Block", "Streamer"]
