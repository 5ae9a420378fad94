# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Funding over time
#
# How much money (`funding.*`, 元) do the reports state, year by year? Sums over the records would
# count a figure repeated in a summary or on a second site twice, so the totals below come from
# the panel, where a document and its near duplicates vote once per place, year and indicator.
# `ZHIBIAO_DATA` names the run's folder (default: the repository's `data/`).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

from pipeline.analysis.query import connect

DATA = Path(os.environ.get("ZHIBIAO_DATA") or ("data" if Path("data").is_dir() else "../data"))
con = connect(DATA)

# %%
funding = con.execute("""
    SELECT year, indicator, sum(value) / 1e4 AS wan_yuan, count(*) AS cells, sum(n_documents) AS documents
    FROM panel
    WHERE indicator LIKE 'funding.%' AND unit = '元' AND kind = 'level'
    GROUP BY year, indicator ORDER BY year, indicator
""").df()
assert len(funding) > 0, f"no funding figures with a place and a year in {DATA}"
funding

# %% [markdown]
# Every funding record by the year it refers to, with pandas: how many have no year at all (they
# cannot be placed on the time line, and are worth a look in `zhibiao review`).

# %%
records = con.execute("SELECT indicator, year, value, unit, region FROM indicators WHERE indicator LIKE 'funding.%'").df()
records.assign(year=records["year"].astype("string").fillna("no year")).groupby(["indicator", "year"]).size().unstack(fill_value=0)

# %%
by_year = funding.pivot_table(index="year", columns="indicator", values="wan_yuan", aggfunc="sum").fillna(0)
ax = by_year.plot(kind="bar", stacked=True, figsize=(8, 4))
ax.set_ylabel("万元 (panel values)")
ax.set_title("Funding stated per year")
plt.tight_layout()
