"""Placeholder bodies in phrasings the validators were not tuned on are found: a
sample of the held-out half of `benchmarks/placeholder_bodies.py` (the whole of it is
`benchmarks/placeholder_recall.py`), in small stdlib modules."""

from __future__ import annotations

from benchmarks.placeholder_bodies import cases, split
from benchmarks.placeholder_recall import found
from validators import check


def test_held_out_placeholder_bodies_are_found() -> None:
    _, held_out = split()
    sample = list(cases(held_out[::3], per_phrase=2, count=15, max_chars=8_000))
    assert len(sample) >= 50
    missed, noisy = [], []
    for case in sample:
        hit, noise = found(case, check(case.source, filename=case.module))
        if not hit:
            missed.append((case.shape, case.frame, case.phrase, case.module, case.function))
        if noise:
            noisy.append((case.module, case.function, noise))
    assert noisy == []
    # The benchmark's target is 98%; the sample is expected to be found whole.
    assert missed == []
