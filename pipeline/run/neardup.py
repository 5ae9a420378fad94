"""Near duplicates over a run's documents, recomputed only where they can change.

A document's ``near_duplicate_of`` is what :meth:`NearDuplicateIndex.add
<pipeline.stages.clean.dedup.NearDuplicateIndex.add>` answers when the documents with
signatures are added in run order: the first earlier document, band by band, in the LSH
buckets of its band keys (each bucket holding the first ``MAX_BUCKET`` documents of its key),
whose signature is similar enough. That answer depends only on the earlier documents that
share one of its band keys. So when shards of pages are added or removed (a page edited),
a document whose band keys are none of the added or removed documents' keys keeps the
answer it had in the previous run; the others are asked again, of an index holding, in run
order, every document that shares a band key with one of them (:func:`link`). The answers
are those of adding every document from scratch (``tests/test_incremental.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.stages.clean.dedup import BANDS, NUM_PERM, NearDuplicateIndex

_ROWS = NUM_PERM // BANDS
_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93],
                dtype=np.uint64)[:_ROWS]


@dataclass
class ShardSignatures:
    """The MinHash signatures of one shard's documents, in order, and (for a shard of the previous
    run) the answer each had there: ``found`` is None for a shard the previous run did not have."""

    key: str
    ids: list[str]
    sigs: np.ndarray  # (len(ids), NUM_PERM) uint64
    found: list[str | None] | None = None


def _band_hashes(sigs: np.ndarray) -> np.ndarray:
    """One uint64 a band key (n × BANDS): equal keys give equal hashes (unequal ones rarely do)."""
    with np.errstate(over="ignore"):
        return (sigs.reshape(len(sigs), BANDS, _ROWS) * _MIX).sum(axis=2, dtype=np.uint64)


def link(shards: list[ShardSignatures], removed: list[ShardSignatures]) -> list[list[str | None]]:
    """Each document's near duplicate (or None), shard by shard, as adding every document of ``shards``
    in order to a :class:`NearDuplicateIndex` gives. Documents of shards with ``found`` keep it unless
    they share a band key with a document of a shard without (added) or of ``removed``."""
    sizes = [len(s.ids) for s in shards]
    ids = [i for s in shards for i in s.ids]
    sigs = np.concatenate([s.sigs for s in shards]) if shards else np.zeros((0, NUM_PERM), np.uint64)
    known = [f for s in shards for f in (s.found if s.found is not None else [None] * len(s.ids))]
    added = np.concatenate([np.full(n, s.found is None) for n, s in zip(sizes, shards, strict=True)]) \
        if shards else np.zeros(0, bool)
    hashes = _band_hashes(sigs)
    changed = np.concatenate([hashes[added]] + [_band_hashes(s.sigs) for s in removed])
    affected = added.copy()
    if len(changed) and not added.all():
        for b in range(BANDS):
            affected |= np.isin(hashes[:, b], changed[:, b])
    relevant = affected.copy()
    if affected.any() and not affected.all():
        wanted = hashes[affected]
        for b in range(BANDS):
            relevant |= np.isin(hashes[:, b], wanted[:, b])
    found = list(known)
    index = NearDuplicateIndex()
    for r in np.flatnonzero(relevant):
        if affected[r]:
            found[r] = index.add(ids[r], sigs[r])
        else:
            index.insert(ids[r], sigs[r])
    out: list[list[str | None]] = []
    start = 0
    for n in sizes:
        out.append(found[start:start + n])
        start += n
    return out
