"""Names that make a stub body the point rather than a placeholder: decorators that
declare, the typing modules a `Protocol` comes from, visitor methods, skipped tests,
classes named as interfaces. Read by the walk over libcst's tree (`validators.python`)
and by `screening` on `ast`'s, which must agree."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Decorators under which a stub body declares: abstract methods, overloads.
STUB_DECORATORS = frozenset(
    {
        "abstractmethod",
        "abstractproperty",
        "abstractclassmethod",
        "abstractstaticmethod",
        "overload",
    }
)
# The typing modules a `Protocol` comes from: `asyncio.Protocol` (`protocols.Protocol`)
# is a class to implement, not an interface to declare.
TYPING_MODULES = ("typing", "typing_extensions", "t")
# A visitor's methods: an empty body there means "nothing to do for this node".
VISITOR_PREFIXES = ("visit_", "leave_", "depart_")
# Unconditionally skipped tests: their bodies never run.
SKIPPED = frozenset({"skip"})
# Where raising NotImplementedError is the point: a test expected to fail (the feature
# it tests is not there yet), a type a single-dispatch function does not handle.
RAISING_IS_THE_POINT = frozenset({"xfail", "XFAIL", "register"})
# A class named as an interface: "AbstractEventLoop", "BaseHandler", "StoreInterface".
ABSTRACT_CLASS = re.compile(r"^_*(?:Abstract|Base)[A-Z_]|(?:Base|Interface|ABC)$")


def stub_is_the_point(name: str, decorators: Sequence[str]) -> bool:
    """Whether a function's name or decorators make an empty body its point: a
    visitor's method, a skipped test. `decorators`: the last part of each
    decorator's name."""
    return name.startswith(VISITOR_PREFIXES) or any(each in SKIPPED for each in decorators)
