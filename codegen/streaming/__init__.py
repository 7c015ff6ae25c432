"""Where requests go: the `Streamer` seam (base.py), the Messages API behind it
(anthropic.py) and the journal in front of it (journal.py); for --batch, the Message
Batches API (batches.py), the journal's record of batches (ledger.py) and the rounds
that gather the requests into batches (rounds.py)."""

from .base import Answer, Block, Streamer

__all__ = ["Answer", "Block", "Streamer"]
