"""The order files are built in: each as soon as the files it depends on are written,
up to --jobs at once on worker threads; Ctrl-C or a fatal error halts them all."""

from __future__ import annotations

import queue
import threading

from ..errors import CodegenError
from ..progress import Waiting
from ..spec import FileSpec
from ..streaming.journal import JournalledStreamer
from .results import FileResult
from .session import BuildSession

_Done = queue.Queue[tuple[str, FileResult | BaseException, JournalledStreamer]]


def run_files(session: BuildSession) -> None:
    done: _Done = queue.Queue()
    waiting = [f for f in session.spec.files if f.path in session.selected]
    announced = False
    running: set[str] = set()
    try:
        while waiting or running:
            before = len(waiting)
            for file in list(waiting):
                if any(d in running or d in {w.path for w in waiting} for d in file.depends_on):
                    continue  # what it builds on is not written yet
                immediate = session.without_call(file)
                if immediate is not None:
                    waiting.remove(file)
                    session.record(file, immediate)
                    continue
                if len(running) >= max(1, session.options.jobs):
                    break
                waiting.remove(file)
                streamer = session.streamer()
                if not announced:
                    # Once connected (a missing key is the only line a build says),
                    # every file still to build, in the spec's order.
                    announced = True
                    for other in session.spec.files:
                        if other is file or other in waiting:
                            session.observe(Waiting(other.path))
                if session.options.jobs <= 1:
                    session.finish(file, session.build(file, streamer), streamer)
                else:
                    running.add(file.path)
                    threading.Thread(
                        target=_work,
                        args=(session, file, streamer, done),
                        daemon=True,
                        name=f"codegen {file.path}",
                    ).start()
            if not running and len(waiting) == before:
                raise CodegenError("no file can start: their dependencies are not built")
            if running:
                path, outcome, streamer = _next(done)
                running.discard(path)
                file = next(f for f in session.spec.files if f.path == path)
                if isinstance(outcome, BaseException):
                    raise outcome
                session.finish(file, outcome, streamer)
    except BaseException:
        # Ctrl-C or a fatal error: the files under way stop before their next call;
        # what they streamed so far is in the journal.
        session.halt.set()
        raise


def _next(done: _Done) -> tuple[str, FileResult | BaseException, JournalledStreamer]:
    while True:
        try:  # a timeout keeps Ctrl-C deliverable while waiting
            return done.get(timeout=0.2)
        except queue.Empty:
            continue


def _work(session: BuildSession, file: FileSpec, streamer: JournalledStreamer, done: _Done) -> None:
    try:
        outcome: FileResult | BaseException = session.build(file, streamer)
    except BaseException as exc:  # handed to the calling thread, which raises it
        outcome = exc
    done.put((file.path, outcome, streamer))
