"""A test double of the Anthropic Messages API that speaks the real wire format.

    double = MessagesDouble(ScriptedAuthor([replies.cut("def f("), replies.text("x): ...")]))
    client = anthropic.Anthropic(api_key="test", base_url="http://double.test",
                                 http_client=double.http_client(), max_retries=2)

or, for a CLI in a subprocess, `with double.serve() as url:` and ANTHROPIC_BASE_URL=url.
`ModuleAuthor` plays a model writing known files, cut at max_tokens and continued with
realistic seams (`seams.py`, also usable on its own by property tests). `Seams()` is
the mix the stitcher has always handled; `Seams.tough(seed)` adds what real models were
measured doing: restarts of a block of any length (an answer may be wholly a repeat),
positions lost after such an answer, skips to the next definition, fences with info
``python3`` or none. After codegen's quote of the end of the file (CONTINUE_QUOTED, on
every continuation) the author goes on from just after it (`module_author.FILE_SO_FAR`),
never lost, but it may still start a block over unless the quote says its last answer
only repeated itself; with
`laziness=Laziness()` it also leaves placeholders and stops early (`laziness.py`), and
it answers codegen's repairs: a definition in a model's shapes (`definitions.py`), a
broken statement with the one it stands for (`statements.py`). Its usage bills input
as the API's prompt cache would (`cache.py`, with the model's minimum cacheable length).
`BuggyAuthor` writes files with a bug and fixes it when a repair request quotes the
failing test (`bugs.py`). `double.batches` serves the Message Batches endpoints from the
same author, with switches for slow, refused, errored and expired batches (`batches.py`).
"""

from . import bugs, definitions, laziness, replies, seams, statements
from .authors import ScriptedAuthor, ScriptExhausted
from .bugs import BuggyAuthor, Fix
from .cache import CacheUsage, PromptCache
from .definitions import DEFINITION_SHAPES, DefinitionShape, DefinitionStyle
from .laziness import Laziness, LazyText
from .module_author import FILE, MeantAnswer, ModuleAuthor, Seams, Thinking, Wrapping
from .seams import ALL_SEAM_KINDS, SEAM_KINDS, TOUGH_FENCE_INFOS, TOUGH_KINDS, SeamKind
from .server import Author, MessagesDouble, Quirks
from .tokens import count_tokens, take_tokens
from .wire import (
    ErrorReply,
    Reply,
    redacted_thinking_block,
    signature_for,
    text_block,
    thinking_block,
    tool_use_block,
)

__all__ = [
    "ALL_SEAM_KINDS",
    "DEFINITION_SHAPES",
    "FILE",
    "SEAM_KINDS",
    "TOUGH_FENCE_INFOS",
    "TOUGH_KINDS",
    "Author",
    "BuggyAuthor",
    "CacheUsage",
    "DefinitionShape",
    "DefinitionStyle",
    "ErrorReply",
    "Fix",
    "Laziness",
    "LazyText",
    "MeantAnswer",
    "MessagesDouble",
    "ModuleAuthor",
    "PromptCache",
    "Quirks",
    "Reply",
    "ScriptExhausted",
    "ScriptedAuthor",
    "SeamKind",
    "Seams",
    "Thinking",
    "Wrapping",
    "bugs",
    "count_tokens",
    "definitions",
    "laziness",
    "redacted_thinking_block",
    "replies",
    "seams",
    "signature_for",
    "statements",
    "take_tokens",
    "text_block",
    "thinking_block",
    "tool_use_block",
]
