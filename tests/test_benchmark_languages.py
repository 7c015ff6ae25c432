"""The languages benchmark runs on a small corpus it is given, so that its code cannot
rot. Its figures are the benchmark's; these check what must hold whatever they are."""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.languages import Corpus, cut_points, read_files, render, run
from tests.validators.test_languages import SAMPLES


def _corpus(tmp_path: Path, language: str, suffix: str, sources: list[str]) -> Corpus:
    for index, source in enumerate(sources):
        (tmp_path / f"file{index}{suffix}").write_text(source, encoding="utf-8")
    return Corpus(language, (str(tmp_path),), lambda path: path.endswith(suffix))


def test_intact_files_cut_and_edited(tmp_path: Path) -> None:
    go = SAMPLES["go"].source
    corpus = _corpus(tmp_path, "go", ".go", [go, go.replace("package store", "package other")])
    rng = random.Random(1)
    files = read_files(corpus, 10, rng)
    assert len(files) == 2
    tally = run(corpus, files, 5, rng, show=0)
    assert (tally.files, tally.false_positives) == (2, 0)
    assert tally.cuts == 10
    assert tally.body_cuts == 10
    assert tally.body_found == tally.body_cuts  # every cut inside a body of the sample is found
    assert tally.truncated <= tally.found <= tally.cuts
    assert tally.edits == 2
    table = render([tally])
    assert table.splitlines()[2].startswith("| go | 2 | 0 | 0 | 10 |")


def test_a_broken_file_is_a_false_positive_and_not_cut(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, "json", ".json", ['{"a": 1,, "b": 2}\n', '{"a": [1, 2, 3]}\n'])
    rng = random.Random(2)
    tally = run(corpus, read_files(corpus, 10, rng), 3, rng, show=5)
    assert tally.false_positives == 1
    assert tally.flagged[0][0].endswith("file0.json")
    assert tally.cuts == 3  # only the intact file is cut
    assert tally.found == 3


def test_cut_points_fall_inside_constructs() -> None:
    source = SAMPLES["rust"].source
    data = source.encode("utf-8")
    rng = random.Random(3)
    for point in cut_points("rust", source, rng, 50):
        assert 0 < point < len(data)
        assert data[:point].strip()
    for point in cut_points("markdown", "# T\n\n```sh\npip install x\n```\n", rng, 20):
        assert 11 < point < 28  # inside the code block, its closing fence not whole


def test_the_seams_benchmark_cuts_inside_words_and_counts_both_ways() -> None:
    from benchmarks.language_seams import cut_in_a_word, seam_counts

    source = SAMPLES["go"].source
    rng = random.Random(4)
    cut = cut_in_a_word(source, "go", rng)
    assert cut is not None and source[cut - 1].isalnum() and source[cut].isalnum()
    count, plain, judged = seam_counts("go", [source] * 12, random.Random(5), 10)
    assert count == 10 and plain <= judged <= count and judged > 0
