"""Duplicate pages and near-duplicate documents.

Exact duplicates are found by :func:`content_hash` of a page's bytes (the
runner processes the first copy and records the others as ``duplicate``
errors). Near duplicates (the same bulletin on several sites, with other
chrome and a few changed numbers) are found by MinHash of character 4-grams
with LSH banding: two documents whose estimated Jaccard similarity is at
least :data:`MIN_JACCARD` are linked, never dropped.
"""

from __future__ import annotations

import hashlib

import numpy as np

#: Character n-gram length of the shingles.
SHINGLE = 4
#: Number of MinHash functions (signature length).
NUM_PERM = 64
#: LSH bands (NUM_PERM / BANDS rows each): with 16 bands of 4 rows, a pair at Jaccard 0.7 becomes a
#: candidate with probability 1 - (1 - 0.7**4)**16 = 0.99, a pair at 0.3 with 0.12.
BANDS = 16
#: Estimated Jaccard similarity at or above which two documents are near duplicates. On the seeds,
#: a page with other chrome and 10-30% of its numbers changed scores 0.95-1.0; two different reports
#: of the same genre score at most 0.06.
MIN_JACCARD = 0.7
#: Documents kept per LSH bucket: a bulletin copied a thousand times is linked to its first copies,
#: and lookups stay bounded (at most BANDS * MAX_BUCKET comparisons per document).
MAX_BUCKET = 32
#: Documents shorter than this (in characters) are never linked: too little text to judge.
MIN_CHARS = 200
_SEEDS = np.random.default_rng(20240601).integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)


def content_hash(data: bytes) -> str:
    """Hex hash of a page's bytes (the key of exact duplicates and of the cache)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads shingle hashes over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def minhash(text: str) -> np.ndarray:
    """MinHash signature (``NUM_PERM`` uint64) of the character 4-grams of ``text``, white space ignored."""
    codes = np.frombuffer("".join(text.split()).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    sig = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    if n <= 0:
        return sig
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for i in range(SHINGLE):
            h = h * np.uint64(1_000_003) + codes[i:i + n]
        h = np.unique(h)
        for i, seed in enumerate(_SEEDS):
            sig[i] = _mix(h ^ seed).min()
    return sig


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity estimated from two MinHash signatures: the share of equal positions."""
    return np.count_nonzero(a == b) / len(a)


class NearDuplicateIndex:
    """MinHash signatures seen so far, with LSH bands to find candidates quickly."""

    def __init__(self, min_jaccard: float = MIN_JACCARD) -> None:
        self.min_jaccard = min_jaccard
        self._rows = NUM_PERM // BANDS
        self._bands: list[dict[bytes, list[int]]] = [{} for _ in range(BANDS)]
        self._sigs: list[np.ndarray] = []
        self._ids: list[str] = []

    def add(self, doc_id: str, signature: np.ndarray) -> str | None:
        """Add a document; return the id of an earlier document at or above ``min_jaccard``, if any.

        Candidates are tried band by band in insertion order, so the answer is the same on every run.
        """
        keys = self._keys(signature)
        found: str | None = None
        tried: set[int] = set()
        for b, key in enumerate(keys):
            for i in self._bands[b].get(key, ()):
                if i not in tried:
                    tried.add(i)
                    if jaccard(self._sigs[i], signature) >= self.min_jaccard:
                        found = self._ids[i]
                        break
            if found is not None:
                break
        self._put(doc_id, signature, keys)
        return found

    def insert(self, doc_id: str, signature: np.ndarray) -> None:
        """Add a document as :meth:`add` does, without looking for its earlier duplicate (known)."""
        self._put(doc_id, signature, self._keys(signature))

    def _keys(self, signature: np.ndarray) -> list[bytes]:
        return [signature[b * self._rows:(b + 1) * self._rows].tobytes() for b in range(BANDS)]

    def _put(self, doc_id: str, signature: np.ndarray, keys: list[bytes]) -> None:
        pos = len(self._ids)
        self._ids.append(doc_id)
        self._sigs.append(signature)
        for b, key in enumerate(keys):
            bucket = self._bands[b].setdefault(key, [])
            if len(bucket) < MAX_BUCKET:
                bucket.append(pos)
