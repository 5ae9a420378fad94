"""In-process fuzzing of the reader and every stage: generated and mutated pages and archives.

    python benchmarks/fuzz.py [--inputs 100000] [--seed 14] [--page-timeout 10] [--repro DIR] [--part K/N]

Half the inputs are pages (random bytes, and seed pages cut, mangled, re-encoded, or given
pathological lines: long runs of ``1.``, table rows of thousands of cells, long numerals)
run through clean, segment and extract as the runner runs them (the registry's stages,
``pipeline.stages.registry``); the other half are archives (.zip, .tar.gz, .jsonl built from such pages,
then truncated or with bytes flipped) run through the reader, whose pages are cleaned too.
Printed at the end, with an example of each kind (with ``--repro DIR``, the first ten inputs of each
kind are written there as they are found: ``<kind>_<n>.bin`` and what was seen in ``<kind>_<n>.txt``):

- crashes: an exception escaping the reader or a stage function, or an errors row whose
  reason is an exception's name (a stage's bug caught by the runner: it loses the page);
- hangs: a page that ran past ``--page-timeout`` seconds in a stage (an errors row
  ``timeout``), or a reader call past it;
- wrong outputs: a sentence that is not its document's text at its offsets, a record
  whose number lies outside the document or outside its sentence, a page that gives
  neither documents nor errors.

Exits 1 when anything was found. ``make fuzz`` runs 10^5 inputs; the test suite a few hundred.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tarfile
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpora").glob("*.txt")) + sorted((ROOT / "dev").glob("**/*.txt"))[:6]

#: Repro files kept of each kind of finding (its input and what was seen).
REPROS_PER_KIND = 10
#: Reasons of errors rows that are verdicts on a page, not bugs.
KNOWN_REASONS = frozenset({"empty", "binary", "undecodable", "no_documents", "timeout", "too_large", "duplicate",
                           "bad_json_line", "bad_archive", "truncated_archive", "encrypted",
                           "unsupported_compression", "unreadable", "broken_link", "not_found", "warc_unsupported"})


@dataclass
class Findings:
    """What the fuzzer found, with one example input of each kind."""

    inputs: int = 0
    pages: int = 0
    kinds: Counter = field(default_factory=Counter)  # "crash:<where>", "hang:<where>", "wrong:<what>"
    examples: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    out: Path | None = None  # repro files are written here as they are found (the first few of each kind)

    def add(self, kind: str, detail: str, data: bytes) -> None:
        self.kinds[kind] += 1
        self.examples.setdefault(kind, (detail, data))
        if self.out is not None and self.kinds[kind] <= REPROS_PER_KIND:
            self.out.mkdir(parents=True, exist_ok=True)
            name = f"{kind.replace(':', '_')}_{self.kinds[kind]}"
            (self.out / f"{name}.bin").write_bytes(data)
            (self.out / f"{name}.txt").write_text(detail, encoding="utf-8")

    def count(self, prefix: str) -> int:
        return sum(n for k, n in self.kinds.items() if k.startswith(prefix))


# ----------------------------------------------------------------------------- inputs


def _seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace") for p in SEEDS]


def _pathological(rng: random.Random) -> str:
    """A line of the kinds that once took quadratic time or worse."""
    n = rng.choice([200, 2000, 20000])
    return rng.choice([
        "1." * n, "1" + " " * n + "人", "\t".join(str(i) for i in range(n // 10)),
        "学校数\t" + "\t".join(rng.choice(["小学", "12", "95%", "2021年"]) for _ in range(n // 10)),
        "一" + "亿" * min(n, 60) + "元", "共有学校" + "、".join(f"{i}所" for i in range(n // 20)) + "。",
        "<div>" * (n // 10) + "教育" + "</div>" * (n // 10), "（" * (n // 10) + "95%",
    ])


def _page(rng: random.Random, texts: list[str]) -> bytes:
    """A generated or mutated page."""
    roll = rng.random()
    if roll < 0.1:
        return rng.randbytes(rng.randint(0, 600))
    text = rng.choice(texts)
    start = rng.randint(0, max(0, len(text) - 1))
    text = text[start:start + rng.randint(0, 2500)]
    if roll < 0.25:
        lines = text.split("\n")
        lines.insert(rng.randint(0, len(lines)), _pathological(rng))
        text = "\n".join(lines)
    if rng.random() < 0.2:
        text = "<html><body><table><tr><td>" + text.replace("\n", "</td></tr><tr><td>").replace("\t", "</td><td>") \
            + "</td></tr></table></body></html>"
    data = bytearray(text.encode(rng.choice(["utf-8", "utf-8", "gb18030", "big5", "utf-16"]), errors="replace"))
    for _ in range(rng.choice([0, 0, 1, 3, 8])):
        if not data:
            break
        pos = rng.randint(0, len(data) - 1)
        data[pos:pos + rng.randint(0, 4)] = rng.randbytes(rng.randint(0, 6))
    if rng.random() < 0.2 and data:
        data = data[:rng.randint(0, len(data))]
    return bytes(data)


def _archive(rng: random.Random, texts: list[str]) -> tuple[str, bytes]:
    """A .zip, .tar.gz or .jsonl of a few pages, then truncated or with bytes flipped."""
    pages = [_page(rng, texts) for _ in range(rng.randint(1, 4))]
    kind = rng.choice([".zip", ".tar.gz", ".jsonl"])
    buf = io.BytesIO()
    if kind == ".zip":
        with zipfile.ZipFile(buf, "w") as zf:
            for i, p in enumerate(pages):
                zf.writestr(f"p{i}.txt", p, compress_type=rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                                                       zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
    elif kind == ".tar.gz":
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            for i, p in enumerate(pages):
                info = tarfile.TarInfo(f"p{i}.txt")
                info.size = len(p)
                tf.addfile(info, io.BytesIO(p))
    else:
        for i, p in enumerate(pages):
            body = p.decode("utf-8", errors="surrogateescape" if rng.random() < 0.3 else "replace")
            rec = {"url": f"u{i}", rng.choice(["text", "html"]): body}
            line = json.dumps(rec, ensure_ascii=rng.random() < 0.5)
            if rng.random() < 0.1:
                line = '{"url": "d", "x": ' + "[" * 5000 + "]" * 5000 + ', "text": "深"}'
            buf.write(line.encode("utf-8", errors="surrogatepass") + b"\n")
    data = bytearray(buf.getvalue())
    for _ in range(rng.choice([0, 1, 2, 5])):
        pos = rng.randint(0, len(data) - 1)
        data[pos] ^= 1 << rng.randint(0, 7)
    if rng.random() < 0.3:
        data = data[:rng.randint(0, len(data))]
    return kind, bytes(data)


# ----------------------------------------------------------------------------- checks


def _check_outputs(findings: Findings, data: bytes, pages: list, page_timeout: float) -> None:
    """Run the stages on ``pages`` as the runner does, and check what they give."""
    from pipeline.records import ErrorRecord
    from pipeline.stages.registry import STAGES
    from pipeline.stages.stage import Batch

    batch = Batch(pages=pages)
    outputs = {}
    for name, stage in STAGES.items():
        outputs[name] = stage.run(batch, page_timeout)
        for table, records in outputs[name].records.items():
            batch.put(table, records)
    docs, errors = outputs["clean"].records["documents"], outputs["clean"].errors
    seg_errors, ext_errors = outputs["segment"].errors, outputs["extract"].errors
    sentences = outputs["segment"].records["sentences"]
    indicators = outputs["extract"].records["indicators"]
    for e in errors + seg_errors + ext_errors:
        if e.reason == "timeout":
            findings.add(f"hang:{e.stage}", e.message, data)
        elif e.reason not in KNOWN_REASONS:
            findings.add(f"crash:{e.stage}", f"{e.reason}: {e.message}", data)
    sources = {p.source for p in pages if not isinstance(p, ErrorRecord)}
    if sources - {d.source for d in docs} - {e.source for e in errors}:
        findings.add("wrong:page_lost", "a page gave neither documents nor an errors row", data)
    texts = {d.doc_id: d.text for d in docs}
    for s in sentences:
        if texts.get(s.doc_id, "")[s.start:s.end] != s.text:
            findings.add("wrong:sentence_offsets", s.sentence_id, data)
    spans = {s.sentence_id: (s.start, s.end) for s in sentences}
    for r in indicators:
        text = texts.get(r.doc_id, "")
        if not (0 <= r.start <= r.end <= len(text)):
            findings.add("wrong:record_offsets", f"{r.doc_id} {r.start}-{r.end}", data)
        lo, hi = spans.get(r.sentence_id, (-1, -1))
        if not (lo <= r.start <= r.end <= hi):
            findings.add("wrong:number_outside_sentence", f"{r.sentence_id} {r.start}-{r.end} not in {lo}-{hi}", data)


def fuzz(inputs: int, seed: int = 14, page_timeout: float = 10.0, out: Path | None = None,
         part: int = 0, parts: int = 1) -> Findings:
    """Feed ``inputs`` generated or mutated inputs through the reader and the stages (with ``parts``
    > 1, only part ``part`` of them: processes run with parts 0..parts-1 cover the same inputs as one)."""
    from pipeline.limits import PageTimeout, page_time_limit
    from pipeline.records import Page
    from pipeline.run.sources import iter_inputs

    rng = random.Random(seed)
    texts = _seed_texts()
    findings = Findings(out=out)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(inputs):
            if i and i % 5000 == 0:  # a long run shows how far it is (stderr, so the report stays clean)
                print(f"{i} inputs: {dict(findings.kinds)}", file=sys.stderr, flush=True)
            if i % 2 == 0:
                data = _page(rng, texts)
                pages = [Page(f"fuzz{i}", f"fuzz{i}.txt", data)]
            else:
                kind, data = _archive(rng, texts)
            if (i // 2) % parts != part:
                continue  # another process's input (every input is generated, so the parts share one sequence)
            findings.inputs += 1
            if i % 2:
                path = Path(tmp) / f"fuzz{i}{kind}"
                path.write_bytes(data)
                try:
                    with page_time_limit(page_timeout, "read"):
                        pages = list(iter_inputs([path]))
                except PageTimeout:
                    findings.add("hang:read", kind, data)
                    continue
                except Exception as exc:  # noqa: BLE001 - what the fuzzer looks for
                    findings.add("crash:read", f"{type(exc).__name__}: {exc}", data)
                    continue
                finally:
                    path.unlink()
                for item in pages:
                    if getattr(item, "reason", "read") not in KNOWN_REASONS and not isinstance(item, Page):
                        findings.add("crash:read", f"{item.reason}: {item.message}", data)
            findings.pages += sum(isinstance(p, Page) for p in pages)
            try:
                _check_outputs(findings, data, pages, page_timeout)
            except Exception as exc:  # noqa: BLE001 - a stage function raised past the runner
                findings.add("crash:stages", "".join(traceback.format_exception_only(exc)).strip(), data)
    return findings


def report(findings: Findings, seconds: float) -> str:
    """The figures as text."""
    lines = [f"{findings.inputs} inputs ({findings.pages} pages read) in {seconds:.0f} s: "
             f"{findings.count('crash')} crashes, {findings.count('hang')} hangs, "
             f"{findings.count('wrong')} wrong outputs"]
    for kind, n in sorted(findings.kinds.items()):
        detail, data = findings.examples[kind]
        lines.append(f"  {kind}: {n} (e.g. {detail[:160]!r}; {len(data)} bytes)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--page-timeout", type=float, default=10.0, help="seconds a page may take in a stage: a hang")
    ap.add_argument("--repro", type=Path, default=None, help="folder for the first inputs of each kind found, written as found")
    ap.add_argument("--part", default="0/1", help="K/N: run only the K-th of N parts of the inputs (N processes "
                                                  "with K = 0..N-1 cover the same inputs as one)")
    args = ap.parse_args(argv)
    part, parts = (int(x) for x in args.part.split("/"))
    from pipeline.run.runner import warm_up

    warm_up(freeze=False)
    started = time.monotonic()
    findings = fuzz(args.inputs, args.seed, args.page_timeout, args.repro, part, parts)
    print(report(findings, time.monotonic() - started))
    return 1 if findings.kinds else 0


if __name__ == "__main__":
    sys.exit(main())
