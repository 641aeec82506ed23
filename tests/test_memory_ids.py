"""The embedded store's ids: MongoDB's ObjectId layout, distinct, rising within a second."""

from __future__ import annotations

import itertools
import time

from bson import ObjectId

from app.domain.ids import is_object_id
from app.storage.memory.ids import ObjectIdSequence


def test_ids_are_lowercase_object_ids_stamped_with_their_creation_second() -> None:
    before = int(time.time())
    issued = ObjectIdSequence().new()
    after = int(time.time())
    assert is_object_id(issued)
    assert before <= int(ObjectId(issued).generation_time.timestamp()) <= after


def test_a_sequence_keeps_its_random_bytes_and_counts_up_within_a_second() -> None:
    sequence = ObjectIdSequence()
    ids = [sequence.new() for _ in range(1_000)]
    assert len({issued[8:18] for issued in ids}) == 1  # bytes 4-8: drawn once per sequence
    counters = [int(issued[18:], 16) for issued in ids]
    for earlier, later in itertools.pairwise(counters):
        assert later == (earlier + 1) % (1 << 24)  # wraps at three bytes, as bson's does


def test_ids_are_distinct_across_sequences_and_many_issues() -> None:
    sequences = [ObjectIdSequence() for _ in range(20)]
    issued = [sequence.new() for _ in range(5_000) for sequence in sequences]
    assert len(set(issued)) == len(issued)
    assert len({sequence.new()[8:18] for sequence in sequences}) == len(sequences)
