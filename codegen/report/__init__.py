"""What a command reports: text and JSON (render.py), problem-matcher lines for editors
and CI (problems.py), and the live progress and summary table on a terminal
(terminal.py). Pure but for terminal.py, which draws."""

from .render import render_build, render_check, render_estimate, summary_notes, summary_rows

__all__ = ["render_build", "render_check", "render_estimate", "summary_notes", "summary_rows"]
