"""A file's calls: progress, --max-cost and the totals of every conversation about it."""

from __future__ import annotations

import threading

from .continuation import CallEvent, Generation, Opening, PrefillMemory, StopBuild, generate
from .models import ModelInfo, Usage
from .pricing import Budget
from .progress import CHARS_PER_TOKEN, Calling, Note, Observer, Tokens
from .request import Request
from .spec import FileSpec, Spec
from .streaming.base import Streamer, Traced, waits_told_to


class FileCalls:
    """One file's conversations: every call about a file (its build, its repairs, its
    verify repairs) goes through `generate` here, which checks the budget and the
    build's halt before each call, reports progress, and keeps the running totals."""

    def __init__(
        self,
        spec: Spec,
        file: FileSpec,
        client: Streamer,
        *,
        info: ModelInfo,
        memory: PrefillMemory,
        budget: Budget,
        observe: Observer,
        verbose: bool,
        halt: threading.Event | None = None,
        earlier_output: int = 0,
    ) -> None:
        self.spec, self.file, self.info, self.memory = spec, file, info, memory
        self.verbose = verbose
        # Output tokens the file took before these calls (a verify repair comes after
        # its build): the live count goes on from there instead of restarting at 0.
        self.earlier_output = earlier_output
        self.halt = halt
        self.budget, self.observe = budget, observe
        self.client = Traced(client, lambda line: observe(Note(file.path, line))) if verbose else client
        self.calls = self.continuations = self.stalls = 0
        self.usage = Usage()
        self.doing = ""  # the repair under way, for progress lines

    def generate(self, request: Request, opening: Opening | None = None) -> Generation:
        path = self.file.path
        continued = 0
        known = self.earlier_output + self.usage.output_tokens  # of the answers that ended
        streamed = 0  # characters of text of the answer in flight

        def before_call(event: CallEvent) -> None:
            nonlocal continued, known, streamed
            if self.halt is not None and self.halt.is_set():
                raise StopBuild("the build was stopped")
            self.budget.check(path, event, self.info, self.usage)
            if event.kind in ("continue", "retry-empty"):
                continued += 1
            self.observe(
                Calling(path, event.kind, continued, self.spec.max_continuations, self.doing, self.spec.model)
            )
            known = self.earlier_output + self.usage.output_tokens + event.spent.output_tokens
            streamed = 0
            self.observe(Tokens(path, known, estimated=False))

        def on_text(text: str) -> None:
            nonlocal streamed
            streamed += len(text)
            self.observe(Tokens(path, known + round(streamed / CHARS_PER_TOKEN), estimated=True))

        # The client's waits (a retry after a 429, a backoff after a broken stream) show
        # as this file's progress lines.
        with waits_told_to(lambda message: self.observe(Note(path, message))):
            generation = generate(
                self.client,
                request,
                max_continuations=self.spec.max_continuations,
                memory=self.memory,
                before_call=before_call,
                on_text=on_text,
                opening=opening,
            )
        self.calls += generation.calls
        self.continuations += generation.continuations
        self.stalls += generation.stalls
        if generation.stalls and self.verbose:
            self.observe(
                Note(
                    path,
                    f"{generation.stalls} answer(s) added nothing (repeats of what "
                    "was written); each was followed by a quote of the end of the code",
                )
            )
        self.usage = self.usage + generation.usage
        self.observe(Tokens(path, self.earlier_output + self.usage.output_tokens, estimated=False))
        return generation
