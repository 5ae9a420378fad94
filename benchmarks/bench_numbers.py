"""Quantity readers side by side: ours, Microsoft Recognizers-Text (zh-cn) and JioNLP (money).

For every gold quote (gold/*.jsonl) a reader is right when some quantity it
reads from the quote has the gold record's value (relative 1e-6) and unit.
Quotes are first put through the clean stage's character normalisation (004
is traditional, 001 has variant characters), the same input for every reader.
Throughput is measured on the seed pages (corpora/*.txt) in the same run.

Peers are optional (``pip install '.[bench]'``); one that does not import is
reported as skipped with the reason. Neither peer knows the codebook's
counters, so each gets the same small adapter: a number followed by a counter
(人次, 人/名/位, 所/处, 个, optionally after 余/多) takes that counter's unit.

Run: make bench-numbers   (or .venv/bin/python benchmarks/bench_numbers.py --help)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pipeline.learn.evaluate import REL_TOL, load_gold
from pipeline.stages.extract.quantities import read_quantities

ROOT = Path(__file__).resolve().parent.parent
Reading = list[tuple[float, str]]
Reader = Callable[[str], Reading]

#: Counter words a peer's bare number may take its unit from (the peers' adapter).
COUNTERS = (("人次", "人次"), ("人", "人"), ("名", "人"), ("位", "人"), ("所", "所"), ("处", "所"), ("个", "个"))


def normaliser() -> tuple[Callable[[str], str], str]:
    """The clean stage's character normalisation for one string, or OpenCC t2s when it is missing."""
    try:
        from pipeline.stages.clean.clean import normalize_text
        from pipeline.text.aligned import AlignedText

        return (lambda s: normalize_text(AlignedText.from_raw(s)).text), "pipeline.stages.clean.clean.normalize_text"
    except ImportError:
        import opencc

        conv = opencc.OpenCC("t2s")
        return conv.convert, "opencc t2s"


def ours(text: str) -> Reading:
    return [(q.value, q.unit) for q in read_quantities(text) if q.is_value and q.unit]


def _counter_after(text: str, end: int) -> str | None:
    rest = text[end:end + 3]
    if rest[:1] in ("余", "多"):
        rest = rest[1:]
    if rest.startswith(("个百分点", "百分点")):
        return None
    return next((unit for word, unit in COUNTERS if rest.startswith(word)), None)


def recognizers_reader() -> Reader | str:
    """Recognizers-Text, culture zh-cn: currency, percentage and number (+ counter adapter)."""
    try:
        import recognizers_suite as rs
        from recognizers_text import Culture
    except Exception as exc:  # noqa: BLE001 - any import failure means: skip, and say why
        return f"{type(exc).__name__}: {exc}"
    culture = Culture.Chinese

    def read(text: str) -> Reading:
        out: Reading = []
        for r in rs.recognize_currency(text, culture):
            value = r.resolution.get("value") if r.resolution else None
            if value is not None and "yuan" in str(r.resolution.get("unit", "")).lower():
                out.append((float(value), "元"))
        for r in rs.recognize_percentage(text, culture):
            value = (r.resolution or {}).get("value")
            if value:
                out.append((float(str(value).rstrip("%")), "百分点" if "百分点" in r.text else "%"))
        for r in rs.recognize_number(text, culture):
            value = (r.resolution or {}).get("value")
            unit = _counter_after(text, r.start + len(r.text))
            if value is not None and unit:
                out.append((float(value), unit))
        return out

    return read


def jionlp_reader() -> Reader | str:
    """JioNLP's money extractor with its money parser (jio.ner.extract_money, with_parsing=True)."""
    try:
        import jionlp as jio
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"

    def read(text: str) -> Reading:
        out: Reading = []
        for item in jio.ner.extract_money(text, with_parsing=True):
            detail = item.get("detail") or {}
            num = detail.get("num")
            if isinstance(num, list):  # a blurred amount (3000余万元) parses to a range: take its low end
                num = num[0]
            if num is not None and detail.get("case") in ("元", "人民币"):
                out.append((float(num), "元"))
        return out

    return read


def is_right(reading: Reading, value: float, unit: str) -> bool:
    return any(u == unit and math.isclose(v, value, rel_tol=REL_TOL, abs_tol=1e-9) for v, u in reading)


def score(reader: Reader, records: list[dict], norm: Callable[[str], str]) -> tuple[int, Counter, list[tuple]]:
    """(right, right per gold unit, misses as (record, reading))."""
    right, per_unit, misses = 0, Counter(), []
    for rec in records:
        try:
            reading = reader(norm(rec["quote"]))
        except Exception as exc:  # noqa: BLE001 - a peer that raises on a quote misses it
            reading = [(math.nan, f"error {type(exc).__name__}")]
        if is_right(reading, float(rec["value"]), rec["unit"]):
            right += 1
            per_unit[rec["unit"]] += 1
        else:
            misses.append((rec, reading))
    return right, per_unit, misses


def throughput(reader: Callable[[str], object], lines: list[str], budget: float, repeat: int = 1) -> tuple[float, int]:
    """(chars/s, chars read) over ``lines`` (repeated), stopping after ``budget`` seconds."""
    chars, t0 = 0, time.perf_counter()
    for _ in range(repeat):
        for line in lines:
            reader(line)
            chars += len(line)
            if time.perf_counter() - t0 > budget:
                return chars / (time.perf_counter() - t0), chars
    return chars / (time.perf_counter() - t0), chars


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "gold")
    ap.add_argument("--corpora", type=Path, default=ROOT / "corpora")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds of throughput timing per peer")
    ap.add_argument("--show", type=int, default=40, help="misses listed per peer (ours: all)")
    args = ap.parse_args(argv)

    records = load_gold(args.gold)
    norm, norm_name = normaliser()
    pages = [p.read_text(encoding="utf-8") for p in sorted(args.corpora.glob("*.txt"))]
    lines = [ln for page in pages for ln in page.splitlines() if ln.strip()]
    seed_text = "\n".join(pages)
    units = Counter(r["unit"] for r in records)
    print(f"gold quotes: {len(records)} ({', '.join(f'{u} {n}' for u, n in units.most_common())}); "
          f"normalised with {norm_name}")
    print(f"seed text: {len(seed_text):,} chars, {len(seed_text.encode()):,} bytes UTF-8, {len(lines)} lines\n")

    readers: dict[str, Reader | str] = {"zhibiao": ours, "recognizers-text (zh-cn)": recognizers_reader(),
                                        "jionlp (money)": jionlp_reader()}
    covers = {"jionlp (money)": {"元"}}  # the gold units a reader is meant to read (default: all)
    ours_cps = None
    rows = []
    for name, reader in readers.items():
        if isinstance(reader, str):
            print(f"== {name}: SKIPPED ({reader})\n")
            continue
        reader(norm("热身 投入1.2万元"))  # load lazy state outside the timing
        right, per_unit, misses = score(reader, records, norm)
        if name == "zhibiao":
            t0 = time.perf_counter()
            rounds = 0
            while rounds < 3 or time.perf_counter() - t0 < 1.0:
                read_quantities(seed_text)
                rounds += 1
            dt = (time.perf_counter() - t0) / rounds
            cps, chars = len(seed_text) / dt, len(seed_text) * rounds
            mbs = len(seed_text.encode()) / dt / 1e6
            ours_cps = cps
        else:
            cps, chars = throughput(reader, lines, args.budget)
            mbs = cps * len(seed_text.encode()) / len(seed_text) / 1e6
        rows.append((name, right, cps, mbs, chars))
        acc = right / len(records)
        print(f"== {name}: value-and-unit accuracy {right}/{len(records)} = {acc:.1%}")
        print("   by gold unit: " + ", ".join(f"{u} {per_unit[u]}/{n}" for u, n in units.most_common()))
        if name in covers:
            n_cov = sum(n for u, n in units.items() if u in covers[name])
            right_cov = sum(per_unit[u] for u in covers[name])
            print(f"   on the units it reads ({', '.join(sorted(covers[name]))}): {right_cov}/{n_cov} = "
                  f"{right_cov / n_cov:.1%}")
            misses = [(rec, reading) for rec, reading in misses if rec["unit"] in covers[name]]
        print(f"   throughput: {cps:,.0f} chars/s ({mbs:.2f} MB/s UTF-8) over {chars:,} chars")
        shown = misses if name == "zhibiao" else misses[:args.show]
        print(f"   misses{' on those units' if name in covers else ''}: {len(misses)}"
              + ("" if len(shown) == len(misses) else f" (first {len(shown)})"))
        for rec, reading in shown:
            got = ", ".join(f"{v:g} {u}" for v, u in reading[:4]) or "nothing"
            print(f"     {rec['value']:g} {rec['unit']:<3} | {rec['quote']} | read: {got}")
        print()

    print(f"{'reader':<26} {'accuracy':>9} {'chars/s':>12} {'MB/s':>7} {'ours is':>9}")
    for name, right, cps, mbs, _ in rows:
        ratio = f"{ours_cps / cps:,.0f}x" if ours_cps and name != "zhibiao" else ""
        print(f"{name:<26} {right / len(records):>9.1%} {cps:>12,.0f} {mbs:>7.2f} {ratio:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
