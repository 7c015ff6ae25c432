"""`parse`: `ast.parse` that several threads can call at once.

CPython keeps the depth of the parse tree it is turning into Python objects in state
shared by every thread of the interpreter. When a garbage collection inside one
thread's conversion lets another thread parse, the count goes wrong and `ast.parse`
raises SystemError "AST constructor recursion depth mismatch" (python/cpython#106905;
seen on 3.11.7 under `codegen build --jobs 8`). Every parse in codegen, the validators
and the test double goes through this one lock; a parse takes milliseconds, a model's
answer seconds, so builds in parallel lose nothing to it.
"""

from __future__ import annotations

import ast
import threading

# Reentrant: a finalizer run by a collection during a parse may parse too.
_LOCK = threading.RLock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse(source, filename)`, one thread at a time."""
    with _LOCK:
        return ast.parse(source, filename)
