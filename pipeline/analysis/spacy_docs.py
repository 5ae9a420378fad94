"""The tables as spaCy documents: one ``Doc`` a sentence, indicator records as labelled spans.

spaCy is where the pipeline's output meets other people's models: a
``DocBin`` of these documents trains a spaCy ``spancat`` or ``ner`` component
(``spacy train`` with the file as corpus), and ``displacy`` shows the records
in their sentence for review. Nothing here downloads: the vocabulary is that
of ``spacy.blank("zh")`` and the words are the pipeline's own jieba tokens,
so spaCy's Chinese segmenter (and its models) are never needed.

Each ``Doc`` holds:

- words: the sentence's jieba tokens (``tokens`` table), with any character
  the tokens do not cover kept as a word of its own, so the text is exact;
- ``doc.spans["indicators"]``: one span per record over the number's tokens,
  labelled with its codebook code (overlaps allowed, as when one number
  serves two codes); ``doc.ents`` holds the same spans where they do not
  overlap;
- ``doc.user_data``: the provenance (``sentence_id``, ``doc_id``,
  ``source``) and, per span, the record (value, unit, stage, year, kind,
  approx, extractor, confidence, clean and raw offsets).

Sentences without records are included only when asked (``negatives``): a
span model learns from them what is *not* an indicator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

#: The span group the records go to (spaCy's ``spancat`` reads ``spans_key``; set it to this).
SPANS_KEY = "indicators"

#: Record fields kept per span in ``doc.user_data["records"]``.
RECORD_FIELDS = ("indicator", "value", "unit", "stage", "year", "kind", "approx", "extractor", "confidence",
                 "start", "end", "raw_start", "raw_end", "rule_id")


def words_of(text: str, tokens: Sequence[tuple[int, int]]) -> list[str]:
    """The words of ``text`` from token spans (sentence-relative ``(start, end)``): every character
    belongs to exactly one word; characters no token covers become words of their own."""
    words: list[str] = []
    pos = 0
    for start, end in sorted(tokens):
        if start < pos or end <= start or end > len(text):
            continue  # overlapping or out-of-range token: the characters are covered elsewhere
        words.extend(text[pos:start])  # uncovered characters, one word each
        words.append(text[start:end])
        pos = end
    words.extend(text[pos:])
    return words


def sentence_doc(nlp: Any, text: str, tokens: Sequence[tuple[int, int]],
                 records: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]) -> Any:
    """One spaCy ``Doc`` of a sentence; ``records`` carry sentence-relative ``span`` = (start, end)."""
    from spacy.tokens import Doc
    from spacy.util import filter_spans

    words = words_of(text, tokens)
    doc = Doc(nlp.vocab, words=words, spaces=[False] * len(words))
    spans, kept = [], []
    for rec in records:
        start, end = rec["span"]
        span = doc.char_span(start, end, label=rec["indicator"], alignment_mode="expand")
        if span is None:  # pragma: no cover - expand always finds tokens inside the text
            continue
        spans.append(span)
        kept.append({k: _plain(rec.get(k)) for k in RECORD_FIELDS})
    doc.spans[SPANS_KEY] = spans
    doc.ents = filter_spans(spans)
    doc.user_data.update({k: _plain(v) for k, v in meta.items()})
    doc.user_data["records"] = kept
    return doc


def _plain(value: Any) -> Any:
    """A JSON/msgpack-safe scalar (numpy scalars and NaN-nulls from pandas become Python values)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def table_docs(sentences: Iterable[Mapping[str, Any]], tokens: Iterable[Mapping[str, Any]],
               indicators: Iterable[Mapping[str, Any]], negatives: bool = False, nlp: Any = None
               ) -> Iterator[Any]:
    """spaCy ``Doc``s of the ``sentences`` rows (table rows as mappings), in their order, with the
    ``tokens`` and ``indicators`` rows of each (matched by ``sentence_id``; offsets are the
    document's clean offsets, as in the tables)."""
    import spacy

    nlp = nlp or spacy.blank("zh")
    toks: dict[str, list[tuple[int, int]]] = {}
    for t in tokens:
        toks.setdefault(t["sentence_id"], []).append((int(t["start"]), int(t["end"])))
    recs: dict[str, list[Mapping[str, Any]]] = {}
    for r in indicators:
        recs.setdefault(r["sentence_id"], []).append(r)
    for s in sentences:
        sid, base = s["sentence_id"], int(s["start"])
        mine = recs.get(sid, [])
        if not mine and not negatives:
            continue
        rel = [(a - base, b - base) for a, b in toks.get(sid, [])]
        records = [{**r, "span": (int(r["start"]) - base, int(r["end"]) - base)} for r in mine]
        yield sentence_doc(nlp, s["text"], rel, records,
                           {"sentence_id": sid, "doc_id": s["doc_id"], "source": s["source"]})


def export_docbin(out_dir: Path, dest: Path, negatives: bool = False) -> dict[str, int]:
    """Write the ``sentences``/``tokens``/``indicators`` tables of an output folder to a spaCy
    ``DocBin`` file ``dest`` (user data kept); returns the counts of documents and spans.

    Tokens are read one part file at a time and only for the sentences exported,
    so memory follows the exported sentences, not the archive.
    """
    import pyarrow.parquet as pq
    from spacy.tokens import DocBin

    from pipeline.tables import part_files, read_table, table_path

    indicators = read_table(out_dir, "indicators").select(["sentence_id", *RECORD_FIELDS]).to_pylist()
    wanted = {r["sentence_id"] for r in indicators}
    sentences = [s for s in read_table(out_dir, "sentences").select(
        ["sentence_id", "doc_id", "source", "text", "start"]).to_pylist()
                 if negatives or s["sentence_id"] in wanted]
    wanted = {s["sentence_id"] for s in sentences}
    where = table_path(out_dir, "tokens")
    if not where.exists():
        raise FileNotFoundError(f"no tokens table in {out_dir} (run `zhibiao run` or `zhibiao segment` first)")
    tokens: list[dict[str, Any]] = []
    for part in part_files(where) if where.is_dir() else [where]:
        rows = pq.read_table(part, columns=["sentence_id", "start", "end"]).to_pylist()
        tokens += [t for t in rows if t["sentence_id"] in wanted]
    bin_ = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=True)
    n_docs = n_spans = 0
    for doc in table_docs(sentences, tokens, indicators, negatives=negatives):
        bin_.add(doc)
        n_docs += 1
        n_spans += len(doc.spans[SPANS_KEY])
    dest.parent.mkdir(parents=True, exist_ok=True)
    bin_.to_disk(dest)
    return {"docs": n_docs, "spans": n_spans}
