"""codegen's phrases (`codegen.prompts`) as the patterns the double reads requests by:
imported, not repeated, so that a change of wording in codegen changes what the double
looks for too."""

from __future__ import annotations

import re

from codegen import prompts


def pattern(template: str, **groups: str) -> str:
    """`template` (a phrase with `{field}`s) as a regex: its text literal, each field the
    group given for it."""
    out = re.escape(template)
    for name, group in groups.items():
        out = out.replace(re.escape("{" + name + "}"), group)
    return out


FILE_REQUEST = re.compile(pattern(prompts.ASK_FILE, path=r"([^`]+)"))
REPAIR_REQUEST = re.compile(pattern(prompts.ASK_REPAIR, path=r"([^`]+)"))
REPAIR_OPENING = prompts.ASK_REPAIR.split("{", 1)[0]
DEFINITION_REQUEST = re.compile(pattern(prompts.ASK_DEFINITION, name=r"([\w.]+)"))
STATEMENT_REQUEST = re.compile(
    pattern(prompts.ASK_STATEMENT, line=r"\d+") + r"\n```[\w+-]*\n(.*?)\n```", re.DOTALL
)
# The file as a repair request shows it: the phrase, then a fence.
QUOTED_FILE = re.compile(re.escape(prompts.FILE_AS_IT_STANDS) + r"\n```[\w+-]*\n(.*?)\n```\n", re.DOTALL)
REQUIRES = re.compile("^" + re.escape(prompts.MUST_DEFINE) + r"(.*)\.$", re.MULTILINE)
FILE_SO_FAR = prompts.FILE_SO_FAR
STALLED = prompts.STALLED
