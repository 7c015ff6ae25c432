"""The stitcher on seams in other languages than Python, with and without the language's
parser judging the readings of each seam.

    python -m benchmarks.language_seams [--files 200] [--seed 7] [--only typescript,go]

For each language, up to `--files` real files (the corpora of `benchmarks.languages`)
that parse, each cut once at a random point inside a word of code (not in a comment or a
string). The answer after the cut opens with a sentence and a new fence, as a model's
answer to a user-turn "continue" does, and goes on from the very next character (the
hardest seam to read: the fresh fence says a new line begins, the text says it does
not). Counted: how many files `codegen.stitch.stitch` gives back exactly, with
`language=""` (the most likely reading of each seam) and with the file's language (the
first reading whose parse has no error from the seam on, as for Python). A split that
still parses (`su` then `m += x`, two statements by automatic semicolons) cannot be
told from the join by a parser. No network; about a minute.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.languages import DEFAULT_NPM_DIR, corpora, read_files  # noqa: E402
from codegen.stitch import Chunk, stitch  # noqa: E402
from validators.treesitter.grammars import load  # noqa: E402

LANGUAGES = ("typescript", "tsx", "javascript", "go", "rust", "java")
FENCES = {"typescript": "ts", "tsx": "tsx", "javascript": "js", "go": "go", "rust": "rust", "java": "java"}


def cut_in_a_word(source: str, language: str, rng: random.Random) -> int | None:
    """A character offset inside a word of code, or None when 40 draws found none."""
    import tree_sitter as ts

    data = source.encode("utf-8")
    tree = ts.Parser(load(language).language).parse(data)
    if tree.root_node.has_error or len(source) < 200:
        return None
    for _ in range(40):
        cut = rng.randrange(len(source) // 5, len(source) - len(source) // 5)  # not at the ends
        if not (source[cut - 1].isalnum() and source[cut].isalnum()):
            continue
        at = len(source[:cut].encode("utf-8"))
        node = tree.root_node.descendant_for_byte_range(at, at)
        if node is not None and not any(k in node.type for k in ("comment", "string", "template")):
            return cut
    return None


def seam_counts(language: str, sources: list[str], rng: random.Random, limit: int) -> tuple[int, int, int]:
    """(files cut, exact with no parser, exact judged by the language's parser)."""
    count = plain = judged = 0
    fence = "```" + FENCES[language]
    for source in sources:
        if count >= limit:
            break
        cut = cut_in_a_word(source, language, rng)
        if cut is None:
            continue
        count += 1
        tail = source[cut:] if source.endswith("\n") else source[cut:] + "\n"
        chunks = [
            Chunk(f"{fence}\n{source[:cut]}"),
            Chunk(f"Continuing from where I stopped:\n\n{fence}\n{tail}```", "user_turn"),
        ]
        plain += stitch(chunks, python=False).code.strip() == source.strip()
        judged += stitch(chunks, python=False, language=language).code.strip() == source.strip()
    return count, plain, judged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=",".join(LANGUAGES))
    args = parser.parse_args()
    wanted = args.only.split(",")
    print("| language | files | exact, no parser | exact, judged by its parser |")
    print("|---|---|---|---|")
    for corpus in corpora(DEFAULT_NPM_DIR):
        if corpus.language not in wanted or corpus.name != corpus.language:
            continue
        rng = random.Random(args.seed)
        sources = [text for _, text in read_files(corpus, args.files * 3, rng)]
        count, plain, judged = seam_counts(corpus.language, sources, rng, args.files)
        if not count:
            print(f"| {corpus.language} | corpus not found | | |")
            continue
        shares = f"{plain} ({plain / count:.0%}) | {judged} ({judged / count:.0%})"
        print(f"| {corpus.language} | {count} | {shares} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
