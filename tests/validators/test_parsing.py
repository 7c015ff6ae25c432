"""`validators.parsing.parse` is safe to call from several threads at once."""

from __future__ import annotations

import ast
import sysconfig
import threading
from pathlib import Path

from validators.parsing import parse

STDLIB = Path(sysconfig.get_paths()["stdlib"])


class _Finalized:
    """Garbage whose collection runs Python code: it lets another thread run in the
    middle of a parse, which is how `ast.parse` alone breaks (python/cpython#106905)."""

    def __del__(self) -> None:
        pass


def test_threads_parsing_at_once_get_their_trees() -> None:
    sources = [
        (STDLIB / name).read_text(encoding="utf-8")
        for name in ("textwrap.py", "shlex.py", "colorsys.py", "bisect.py", "heapq.py")
    ]
    expected = [ast.dump(ast.parse(s)) for s in sources]
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(4):
                for source, dump in zip(sources, expected, strict=True):
                    assert ast.dump(parse(source)) == dump
                    cycle: list[object] = [_Finalized() for _ in range(10)]
                    cycle.append(cycle)
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[0]
