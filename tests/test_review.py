"""zhibiao review (pipeline/analysis/review.py): the page's data, determinism, one-line errors, and the page
itself in headless Chromium (skipped only when /usr/bin/chromium is absent: `.ci/run` installs it)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.analysis.review import collect
from pipeline.cli import main

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def page(corpora_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("review") / "review.html"
    res = CliRunner().invoke(main, ["review", str(corpora_run), "--out", str(dest)])
    assert res.exit_code == 0, res.output
    return dest


def _blob(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_page_is_self_contained_and_holds_every_record(corpora_run: Path, page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page must fetch nothing"
    data = _blob(html)
    n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{corpora_run}/indicators/*.parquet')").fetchone()[0]
    assert len(data["records"]) == n > 100
    conf = [r[data["columns"].index("confidence")] for r in data["records"]]
    assert conf == sorted(conf), "lowest confidence first"
    # every record's sentence and document are in the blob, and its offsets fall inside the sentence
    c = {k: i for i, k in enumerate(data["columns"])}
    for r in data["records"]:
        s = data["sentences"][r[c["sentence_id"]]]
        assert r[c["doc_id"]] in data["documents"]
        assert s["start"] <= r[c["start"]] < r[c["end"]] <= s["start"] + len(s["text"])


def test_same_tables_give_the_same_bytes(corpora_run: Path, page: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    assert CliRunner().invoke(main, ["review", str(corpora_run), "--out", str(again)]).exit_code == 0
    assert again.read_bytes() == page.read_bytes()


def test_conflicts_lead_to_their_records(corpora_run: Path) -> None:
    data = collect(corpora_run)
    ids = {r[0] for r in data["records"]}
    p = {k: i for i, k in enumerate(data["panel_columns"])}
    conflicts = [row for row in data["panel"] if row[p["conflict"]]]
    assert conflicts
    assert all(set(row[p["record_ids"]]) <= ids for row in conflicts)


def test_a_folder_without_tables_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["review", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 1
    assert res.output.strip().startswith("Error: no tables in") and "Traceback" not in res.output


def test_quotes_cannot_close_the_script(tmp_path: Path) -> None:
    from pipeline.analysis.review import render

    html = render({"columns": [], "records": [["</script><b>"]], "sentences": {}, "documents": {},
                   "panel_columns": [], "panel": []})
    assert "</script><b>" not in html
    assert _blob(html)["records"] == [["</script><b>"]]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - a selenium driver
    if not CHROMIUM.exists() or not DRIVER.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: .ci/run installs chromium and chromium-driver")
        pytest.skip("/usr/bin/chromium or /usr/bin/chromedriver absent (apt-get install chromium chromium-driver; "
                    ".ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1100", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=opts)
    yield driver
    driver.quit()


def test_filter_and_select_in_chromium(browser, corpora_run: Path, page: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    # expectations from the tables: the region and indicator with most records in one sentence
    con = duckdb.connect()
    ind = f"read_parquet('{corpora_run}/indicators/*.parquet')"
    indicator, region, n = con.execute(f"""SELECT indicator, region, count(*) FROM {ind} WHERE region IS NOT NULL
        GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 1""").fetchone()
    first = con.execute(f"""SELECT record_id, sentence_id, source FROM {ind} WHERE indicator = ? AND region = ?
        ORDER BY confidence NULLS FIRST, record_id LIMIT 1""", [indicator, region]).fetchone()
    in_sentence = con.execute(f"SELECT count(*) FROM {ind} WHERE sentence_id = ?", [first[1]]).fetchone()[0]
    title = con.execute(f"SELECT title FROM read_parquet('{corpora_run}/documents/*.parquet') WHERE doc_id = "
                        f"(SELECT doc_id FROM {ind} WHERE record_id = ?)", [first[0]]).fetchone()[0]

    browser.get(page.as_uri())
    total = len(_blob(page.read_text(encoding="utf-8"))["records"])
    assert browser.find_element(By.ID, "count").text == f"{total} of {total} records"
    Select(browser.find_element(By.ID, "f-indicator")).select_by_value(indicator)
    Select(browser.find_element(By.ID, "f-region")).select_by_value(region)
    assert browser.find_element(By.ID, "count").text == f"{n} of {total} records"
    sql = browser.find_element(By.ID, "sql").text
    assert f"indicator = '{indicator}'" in sql and f"region = '{region}'" in sql
    # the SQL the page shows gives the same records through zhibiao query's views
    from pipeline.analysis.query import run_query
    assert len(run_query(corpora_run, sql)) == n

    rows = browser.find_elements(By.CSS_SELECTOR, "#records tbody tr")
    assert rows[0].get_attribute("data-id") == first[0]
    rows[0].click()
    detail = browser.find_element(By.ID, "detail")
    assert detail.find_element(By.CSS_SELECTOR, '[data-field="title"]').text == (title or "(none)")
    assert detail.find_element(By.CSS_SELECTOR, '[data-field="source"]').text == first[2]
    marks = detail.find_elements(By.CSS_SELECTOR, "mark.val")
    assert 1 <= len(marks) <= in_sentence
    current = detail.find_element(By.CSS_SELECTOR, "mark.val.current")
    assert current.get_attribute("data-id") == first[0]
    assert f"code: {indicator}" in current.get_attribute("title") and "rule_id:" in current.get_attribute("title")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart svg circle"), "a chart of the indicator"
    assert browser.find_elements(By.CSS_SELECTOR, "#coverage svg rect")
    assert browser.find_elements(By.CSS_SELECTOR, "#conflict-list .conflict li a")
    if os.environ.get("ZHIBIAO_REVIEW_SCREENSHOT"):  # docs/review.png was made this way
        browser.save_screenshot(os.environ["ZHIBIAO_REVIEW_SCREENSHOT"])


def test_an_unwritable_destination_is_one_line(corpora_run: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["review", str(corpora_run), "--out", str(tmp_path / "no" / "r.html")])
    assert res.exit_code == 1
    assert res.output.startswith("Error: cannot write") and res.output.count("\n") == 1
