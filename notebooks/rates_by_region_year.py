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
# # Enrolment rates by region and year
#
# Which enrolment and consolidation rates (`enroll.*`, in %) did each place report, year by year,
# and how many independent documents stand behind each figure? Reads a run's tables through
# `zhibiao query`'s DuckDB views. `ZHIBIAO_DATA` names the run's folder (default: `data/` of the
# repository, what `make run` writes), so the notebook runs from `notebooks/` or from the root.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

from pipeline.analysis.query import connect

DATA = Path(os.environ.get("ZHIBIAO_DATA") or ("data" if Path("data").is_dir() else "../data"))
con = connect(DATA)

# %% [markdown]
# The panel holds one chosen value per (place, year, indicator, stage, kind, unit); records with
# no place or no year are not in it. Rates of every stage, levels only:

# %%
rates = con.execute("""
    SELECT region, year, indicator, coalesce(stage, '-') AS stage, value, n_documents, conflict
    FROM panel
    WHERE unit = '%' AND indicator LIKE 'enroll.%' AND kind = 'level'
    ORDER BY indicator, stage, region, year
""").df()
assert len(rates) > 0, f"no enrolment rates with a place and a year in {DATA}"
rates

# %% [markdown]
# The same in pandas: one column per year, one row per place and rate.

# %%
wide = rates.pivot_table(index=["indicator", "stage", "region"], columns="year", values="value", aggfunc="first")
wide

# %% [markdown]
# How many rate records the panel leaves out for want of a place or a year (candidates for review):

# %%
con.execute("""
    SELECT indicator, count(*) AS records, count(*) FILTER (WHERE region_code IS NULL) AS no_place,
           count(*) FILTER (WHERE year IS NULL) AS no_year
    FROM indicators WHERE unit = '%' AND indicator LIKE 'enroll.%'
    GROUP BY indicator ORDER BY records DESC
""").df()

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for (indicator, stage, region), g in rates.groupby(["indicator", "stage", "region"]):
    ax.plot(g["year"], g["value"], marker="o", label=f"{indicator} {stage} {region[-6:]}")
ax.set_xlabel("year")
ax.set_ylabel("rate (%)")
ax.set_title("Enrolment rates by place and year (panel)")
ax.legend(fontsize=7, loc="best")
ax.xaxis.get_major_locator().set_params(integer=True)
