"""Required names: what each scope defines (functions, classes, assignments,
imports, `self.x` in a method for `Class.x`), and a finding for each required name
not defined at its scope."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from validators.findings import Code
from validators.python.blocks import Pending, Rules


@dataclass
class Definitions:
    nodes: dict[str, tuple[cst.CSTNode, str]] = field(default_factory=dict)
    # Scopes with `from x import *` of the project's own modules (relative, or not in
    # the standard library): any name may come from there.
    starred: set[str] = field(default_factory=set)

    def add(self, scope: str, name: str, node: cst.CSTNode, kind: str = "name") -> None:
        self.nodes.setdefault(f"{scope}.{name}" if scope else name, (node, kind))


class NameRule(Rules):
    """The names defined at each scope, and the required ones missing."""

    definitions: Definitions

    def define(self, statement: cst.BaseSmallStatement) -> None:
        block = self.blocks[-1]
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                self.define_target(target.target)
        elif isinstance(statement, cst.AnnAssign | cst.AugAssign):
            self.define_target(statement.target)
        elif isinstance(statement, cst.Import):
            for alias in statement.names:
                bound: cst.BaseExpression = alias.asname.name if alias.asname is not None else alias.name
                # `import os.path` binds `os`.
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    self.definitions.add(block.scope, bound.value, statement)
        elif isinstance(statement, cst.ImportFrom):
            if isinstance(statement.names, cst.ImportStar):
                # `from typing import *` (a small model's habit) defines none of the
                # names a spec requires: only a module of the project may.
                if statement.relative or _top_module(statement.module) not in sys.stdlib_module_names:
                    self.definitions.starred.add(block.scope)
                return
            for alias in statement.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    self.definitions.add(block.scope, bound.value, statement)
        elif isinstance(statement, cst.TypeAlias):
            self.definitions.add(block.scope, statement.name.value, statement)

    def define_target(self, target: cst.BaseExpression) -> None:
        block = self.blocks[-1]
        if isinstance(target, cst.Name):
            self.definitions.add(block.scope, target.value, target)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self.define_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self.define_target(target.value)
        elif (
            isinstance(target, cst.Attribute)
            and block.self_name is not None
            and block.class_scope is not None
            and m.matches(target.value, m.Name(block.self_name))
        ):
            # `self.items = []` in a method defines the member `Class.items`.
            self.definitions.add(block.class_scope, target.attr.value, target)

    def missing(self) -> list[Pending]:
        """A finding for each required name not defined at its scope."""
        found = []
        nodes = self.definitions.nodes
        for name in self.wanted:
            if name in nodes:
                continue
            parts = name.split(".")
            known = 0
            for length in range(len(parts) - 1, 0, -1):
                if ".".join(parts[:length]) in nodes:
                    known = length
                    break
            parent = ".".join(parts[:known])
            if parent in self.definitions.starred:
                continue
            if not parent:
                where = "at module level"
                node = None
            else:
                node, kind = nodes[parent]
                where = f"in {kind} {parent}" if kind != "name" else f"in {parent}"
                if isinstance(node, cst.FunctionDef | cst.ClassDef):
                    node = node.name
            missing_part = parts[known]
            detail = "" if known == len(parts) - 1 else f" ({missing_part} is not defined)"
            found.append(
                Pending(
                    node,
                    Code.MISSING,
                    parent,
                    f"required name `{name}` is not defined {where}{detail}",
                    name=name,
                )
            )
        return found


def _top_module(module: cst.Attribute | cst.Name | None) -> str:
    """`os` out of `os.path`."""
    while isinstance(module, cst.Attribute):
        module = module.value  # type: ignore[assignment]
    return module.value if isinstance(module, cst.Name) else ""
