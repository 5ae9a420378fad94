"""The ``zhibiao`` command line: a thin click group over the pipeline's Python API.

Every command's docstring carries an example; user mistakes end with a clear
message (``click.UsageError`` / ``click.ClickException``), never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zhibiao")
@click.option("--rules", "rules", type=click.Path(exists=True, file_okay=False), default=None,
              help="Rules folder (default: ZHIBIAO_RULES, the settings file, else the repository's rules/).")
@click.option("--models", "models", type=click.Path(exists=True, file_okay=False), default=None,
              help="Models folder (default: ZHIBIAO_MODELS, the settings file, else the repository's models/).")
def main(rules: str | None, models: str | None) -> None:
    """Zhibiao 指标: education indicators from scraped Chinese report pages.

    Settings come from packaged defaults, then ~/.config/zhibiao/settings.yaml, then the
    environment, then these flags (see pipeline/settings.py).

    Example: zhibiao --rules my_rules/ run corpora/ --out data/
    """
    from pipeline.settings import SettingsError, build, use

    if rules is None and models is None:
        return  # the settings in force are built on first use, from the file and environment
    try:
        use(build({"rules": rules, "models": models}))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("eval")
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False), default="gold",
              show_default=True, help="Folder of gold <source>.jsonl files.")
@click.argument("predictions", type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--errors", "show_errors", is_flag=True,
              help="List missed gold records, spurious predictions and matched records of another region.")
def eval_cmd(gold_dir: str, predictions: str, as_json: bool, show_errors: bool) -> None:
    """Score an output folder (or an indicators .jsonl/.parquet file) against gold.

    Example: zhibiao eval --gold gold data/
    """
    from pipeline.learn.evaluate import evaluate, format_report, load_gold
    from pipeline.tables import read_records

    try:
        gold = load_gold(gold_dir)
        preds = read_records(Path(predictions), "indicators")
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    ev = evaluate(gold, preds)
    if as_json:
        click.echo(json.dumps(ev.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(ev))
    if show_errors:
        for g in ev.missed:
            click.echo(_error_line("MISS", g))
        for p in ev.spurious:
            click.echo(_error_line("FP  ", p))
        for g, p in ev.pairs:
            if "region_code" in g and g["region_code"] != p.get("region_code"):
                click.echo(f"REGION {g['source']} gold {g['region']} ({g['region_code']}), "
                           f"predicted {p.get('region')} ({p.get('region_code')}): {_one_line(g['quote'])}")


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _error_line(tag: str, rec: dict) -> str:
    """One line of `eval --errors`: the whole source name, the record and its quote on one line."""
    return (f"{tag} {rec['source']:<8} {rec['indicator']:<28} {rec['value']:>14} {rec['unit']:<3} "
            f"{rec.get('year')!s:<5} {_one_line(rec.get('quote'))}")


_TRAIN_OPTIONS = (
    click.option("--corpora", "corpora_dir", type=click.Path(exists=True, file_okay=False), default="corpora",
                 show_default=True, help="Folder with articles/labels.tsv and the seed pages."),
    click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False), default="gold",
                 show_default=True, help="Folder of gold <source>.jsonl files (mention classifier)."),
    click.option("--out", "out_dir", type=click.Path(file_okay=False), default="models", show_default=True,
                 help="Folder the model files are written to."),
    click.option("--only", type=click.Choice(["article", "mention"]), default=None, help="Train one model only."),
)


def _train_options(f):  # noqa: ANN001, ANN202 - a click decorator
    for option in reversed(_TRAIN_OPTIONS):
        f = option(f)
    return f


def _train(corpora_dir: str, gold_dir: str, out_dir: str, only: str | None, evaluate: bool) -> None:
    from pipeline.learn.train import format_article_metrics, train_all

    try:
        results = train_all(Path(corpora_dir), Path(gold_dir), Path(out_dir), only=only, evaluate=evaluate)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if "article" in results:
        click.echo(format_article_metrics(results["article"]))
    if "mention" in results:
        click.echo(results["mention"]["report"])


@main.command("train")
@_train_options
def train_cmd(corpora_dir: str, gold_dir: str, out_dir: str, only: str | None) -> None:
    """Rebuild the learned models from files in the repo (fixed seed), with the mention classifier's
    thresholds of its last nested evaluation (models/mention_evaluation.json); prints their figures.

    Example: zhibiao train --corpora corpora --gold gold --out models
    """
    _train(corpora_dir, gold_dir, out_dir, only, evaluate=False)


@main.command("evaluate-models")
@_train_options
def evaluate_models_cmd(corpora_dir: str, gold_dir: str, out_dir: str, only: str | None) -> None:
    """Nested leave-one-source-out evaluation of the mention classifier, which chooses its thresholds
    (written to models/mention_evaluation.json), then the models as `zhibiao train` builds them.
    Run when features, rules or labelled data change; it takes tens of minutes.

    Example: zhibiao evaluate-models --corpora corpora --gold gold --out models
    """
    _train(corpora_dir, gold_dir, out_dir, only, evaluate=True)


@main.command("numbers")
@click.argument("texts", nargs=-1)
@click.option("--values-only", is_flag=True, help="List only quantities that are values (no years, masks, ordinals …).")
def numbers_cmd(texts: tuple[str, ...], values_only: bool) -> None:
    """Show how the quantity reader reads each line: one JSON object a line.

    Reads the TEXTS given, else lines from standard input, each normalised as the clean stage
    does (pinyin notes, traditional characters, full-width forms). Prints
    {"text": …, "quantities": [{"text", "start", "end", "value", "unit", "approx", "flags", …}]}
    ("clean": the normalised line, when it differs; "start"/"end" index the line as given).

    Example: echo "大班额数由619个下降至267个" | zhibiao numbers
    """
    from pipeline.stages.clean.clean import normalize_text
    from pipeline.stages.extract.quantities import read_quantities
    from pipeline.text.aligned import AlignedText

    lines = texts if texts else (line.rstrip("\r\n") for line in sys.stdin)
    for line in lines:
        at = normalize_text(AlignedText.from_raw(line))
        qs = []
        for q in read_quantities(at.text):
            if q.is_value or not values_only:
                d = q.as_dict()
                d["start"], d["end"] = at.raw_span(q.start, q.end)
                qs.append(d)
        row = {"text": line} | ({"clean": at.text} if at.text != line else {}) | {"quantities": qs}
        click.echo(json.dumps(row, ensure_ascii=False))


# ---------------------------------------------------------------- pipeline stages (pipeline/run/runner.py)

_ENGINE_OPTIONS = [
    click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                 help="Worker processes (default: all cores)."),
    click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                 help="local process pool, or a Dask distributed cluster."),
    click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786); default: a LocalCluster."),
    click.option("--shard-pages", type=click.IntRange(min=1), default=None,
                 help="Target pages per shard (default 32)."),
    click.option("--progress/--no-progress", default=None, help="Progress bar (default: only on a terminal)."),
    click.option("--page-timeout", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
                 help="Time limit of one page in one stage; a page over it is a `timeout` errors row (0: none)."),
    click.option("--prune/--no-prune", default=True, show_default=True,
                 help="Remove cache entries of older code, rules or models after the run."),
    click.option("--full-check", is_flag=True, default=False,
                 help="Read and hash every input file, check every cache entry's checksums and write every "
                      "table file again: trust no file's size and times (README \"The stage cache\")."),
]

#: Defaults of the two byte limits (pipeline.run.shards.MAX_PAGE_MB and SHARD_BYTES; a test keeps them equal).
MAX_PAGE_MB = 5.0
SHARD_MB = 4.0


def _byte_limits(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--shard-mb", type=click.FloatRange(min=0, min_open=True), default=SHARD_MB, show_default=True,
        metavar="MB", help="A shard of pages is cut before it passes this many MB: a worker's memory follows it "
                           "(README \"Memory\").")(func)
    return click.option(
        "--max-page-mb", type=click.FloatRange(min=0), default=MAX_PAGE_MB, show_default=True, metavar="MB",
        help="A page bigger than this is a `too_large` errors row, never read into memory (0: no limit).")(func)


def _engine_options(func):  # type: ignore[no-untyped-def]
    for opt in reversed(_ENGINE_OPTIONS):
        func = opt(func)
    return func


def _run_stages(out: str, stages: tuple[str, ...], paths: tuple[str, ...] | None, jobs: int | None, engine: str,
                scheduler: str | None, shard_pages: int | None, progress: bool | None, page_timeout: float,
                prune: bool, full_check: bool = False, max_page_mb: float = MAX_PAGE_MB,
                shard_mb: float = SHARD_MB) -> None:
    from pipeline.run.runner import RunOptions, format_summary, run_stages

    opts = RunOptions(engine=engine, scheduler=scheduler, progress=progress, page_timeout=page_timeout,
                      max_page_mb=max_page_mb, shard_bytes=int(shard_mb * 1e6), prune=prune,
                      full_check=full_check)
    if jobs:
        opts.jobs = jobs
    if shard_pages:
        opts.shard_pages = shard_pages
    try:
        summary = run_stages(Path(out), stages, list(paths) if paths else None, opts)
    except (OSError, RuntimeError, ValueError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from exc
    click.echo(format_summary(summary))


@main.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Output folder.")
@_engine_options
@_byte_limits
def run_cmd(paths: tuple[str, ...], out: str, **kw: object) -> None:
    """Every stage (clean, segment, extract, tables) on pages in PATHS; tables in OUT.

    PATHS: files or folders of .txt/.html/.htm, .zip, .tar.gz, .jsonl, .warc.
    A re-run redoes only new or changed pages and stages whose code or rules changed.

    Example: zhibiao run corpora/ --out data/ --jobs 4
    """
    _run_stages(out, ("clean", "segment", "extract"), paths, **kw)  # type: ignore[arg-type]


@main.command("clean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Output folder.")
@_engine_options
@_byte_limits
def clean_cmd(paths: tuple[str, ...], out: str, **kw: object) -> None:
    """Clean stage: pages in PATHS to the documents table of OUT (and errors).

    Example: zhibiao clean corpora/ --out data/
    """
    _run_stages(out, ("clean",), paths, **kw)  # type: ignore[arg-type]


def _stage_command(stage: str, reads: str, writes: str) -> None:
    """Register the command of one stage that reads the previous stage's output in OUT."""

    @main.command(stage, help=f"""{stage.capitalize()} stage: the {reads} of OUT to its {writes}.

    Example: zhibiao {stage} data/
    """)
    @click.argument("out", type=click.Path(exists=True, file_okay=False))
    @_engine_options
    def command(out: str, **kw: object) -> None:
        _run_stages(out, (stage,), None, **kw)  # type: ignore[arg-type]


_stage_command("segment", "documents", "sentences and tokens tables")
_stage_command("extract", "documents and sentences", "mentions and indicators tables")


@main.command("check-rules")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
def check_rules_cmd(folder: str | None) -> None:
    """Validate every rule file of FOLDER (default: the rules in force) as a run would, and exit.

    A broken file ends with one line naming file, line and problem, and exit status 1.

    Example: zhibiao check-rules rules/
    """
    from pipeline.ruleset.rulefiles import RuleError, rules_dir
    from pipeline.stages.registry import check_rules

    try:
        n = check_rules(folder)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"rules OK: {n} files in {folder or rules_dir()}")


@main.command("tables")
@click.argument("out", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--describe", is_flag=True, help="Print the columns of every table (Markdown, for README) and exit.")
@click.option("--full-check", is_flag=True, default=False,
              help="Write every table file again (no file of the published run is reused).")
def tables_cmd(out: str | None, describe: bool, full_check: bool) -> None:
    """Tables stage: re-assemble every table of OUT from the stage cache and write OUT/summary.json.

    Example: zhibiao tables data/      (zhibiao tables --describe  prints every column's meaning)
    """
    from pipeline.run.cache import FolderBusy, cache_lock, run_lock
    from pipeline.run.runner import format_summary, write_tables
    from pipeline.tables import columns_markdown

    if describe:
        click.echo(columns_markdown())
        return
    if out is None:
        raise click.UsageError("give the output folder (zhibiao tables data/) or --describe")
    try:
        with run_lock(Path(out)), cache_lock(Path(out)):
            summary = write_tables(Path(out), reuse=not full_check)
    except (OSError, FolderBusy) as exc:  # FileNotFoundError: no run there; a full disk
        raise click.ClickException(" ".join(str(exc).split())) from exc
    click.echo(format_summary(summary))


@main.group("cache")
def cache_group() -> None:
    """Housekeeping of the stage cache in an output folder (OUT/.zhibiao/cache).

    Example: zhibiao cache info data/
    """


def _cache_dir(out: str) -> Path:
    from pipeline.run.cache import state_dir

    if not (state_dir(Path(out)) / "cache").is_dir():
        raise click.ClickException(f"{out} holds no stage cache (run `zhibiao run PATH --out {out}` first)")
    return Path(out)


def _format_cache(report: dict, removed: bool) -> str:
    lines = []
    names = {"current": "used by the last run", "unused": "current versions, other input",
             "stale": "older code, rules or models"}
    for group, label in names.items():
        by_stage = report["entries"][group]
        lines.append(f"{group:<8} {sum(by_stage.values()):>6} entries {report['bytes'][group] / 1e6:>9.1f} MB  "
                     f"({label}; " + ", ".join(f"{s} {n}" for s, n in by_stage.items()) + ")")
    lines.append(f"leftovers of killed runs: {report['leftovers']}, being written now: {report['in_progress']}")
    if removed:
        lines.append(f"removed {report['removed']} entries ({report['removed_bytes'] / 1e6:.1f} MB)")
    return "\n".join(lines)


@cache_group.command("info")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def cache_info_cmd(out: str, as_json: bool) -> None:
    """Count the cache entries of OUT: used by the last run, current but unused, stale (older versions).

    Example: zhibiao cache info data/
    """
    from pipeline.run.cache import survey

    report = survey(_cache_dir(out)).as_dict()
    click.echo(json.dumps(report, indent=1) if as_json else _format_cache(report, removed=False))


@cache_group.command("prune")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option("--all", "include_unused", is_flag=True,
              help="Also remove current-version entries that the last run did not use (pages no longer in the input).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def cache_prune_cmd(out: str, include_unused: bool, as_json: bool) -> None:
    """Remove the cache entries of OUT made by older code, rules or models (with --all: every entry the
    last run did not use). Refuses while a run uses OUT; never touches entries being written.

    Example: zhibiao cache prune data/ --all
    """
    from pipeline.run.cache import prune

    report = prune(_cache_dir(out), include_unused=include_unused)
    if report is None:
        raise click.ClickException(f"a run is using {out}: prune when it has finished")
    click.echo(json.dumps(report.as_dict(), indent=1) if as_json else _format_cache(report.as_dict(), removed=True))


@main.command("query")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet", "xlsx"]), default="table",
              show_default=True, help="Output format; all but table need --out.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="File to write the result to (csv/json also print to the terminal without it).")
def query_cmd(out_dir: str, sql: str, fmt: str, out_file: str | None) -> None:
    """Run SQL (DuckDB) over the tables of OUT_DIR: indicators, panel, documents, sentences,
    mentions, errors (and tokens), each a view of its name.

    Example: zhibiao query data "SELECT region, year, value FROM indicators WHERE indicator = 'enroll.gross_rate'"
    """
    from pipeline.analysis.query import QueryError, format_table, run_query, write_result

    try:
        df = run_query(Path(out_dir), sql)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    if out_file is None:
        if fmt in ("parquet", "xlsx"):
            raise click.UsageError(f"--format {fmt} needs --out FILE")
        if fmt == "table":
            click.echo(format_table(df))
        elif fmt == "csv":
            click.echo(df.to_csv(index=False), nl=False)
        else:
            click.echo(df.to_json(orient="records", force_ascii=False, indent=1))
        return
    write_result(df, "csv" if fmt == "table" and out_file.endswith(".csv") else fmt, Path(out_file))
    click.echo(f"{len(df)} rows written to {out_file}", err=True)


@main.command("review")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "dest", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write (one self-contained page).")
def review_cmd(out_dir: str, dest: str) -> None:
    """Write a static HTML page to check the records of OUT_DIR by eye: a sortable, filterable
    table (lowest confidence first), each record's sentence with its values highlighted, the
    panel's conflicts, charts per indicator and the SQL of the current filter.

    Example: zhibiao review data --out review.html
    """
    from .analysis.review import ReviewError, write_review

    try:
        n = write_review(Path(out_dir), Path(dest))
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {dest}: {exc.strerror}") from None
    click.echo(f"{n} records written to {dest}", err=True)


@main.command("export-spacy")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.argument("dest", type=click.Path(dir_okay=False))
@click.option("--negatives", is_flag=True, help="Also export the sentences without records (a span model learns from them).")
def export_spacy_cmd(out: str, dest: str, negatives: bool) -> None:
    """Write the records of OUT to a spaCy DocBin DEST: a Doc a sentence (jieba tokens as words), each
    record a span labelled with its code in doc.spans["indicators"] (and doc.ents), provenance in
    user_data. For `spacy train` (spancat with spans_key "indicators", or ner) and displaCy review.

    Example: zhibiao export-spacy data/ data/indicators.spacy
    """
    from pipeline.analysis.spacy_docs import export_docbin

    try:
        counts = export_docbin(Path(out), Path(dest), negatives=negatives)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{dest}: {counts['docs']} sentences, {counts['spans']} indicator spans")


def run() -> None:  # pragma: no cover - console entry for `python -m pipeline.cli`
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main()
