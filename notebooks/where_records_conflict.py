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
# # Where records conflict
#
# A panel cell conflicts when two of its records state values that differ beyond rounding (93 and
# 95, not 93 and 93.2). Which indicators conflict most, and what are the competing records? The
# panel lists its records' ids (`panel.record_ids` → `indicators.record_id`). `ZHIBIAO_DATA` names
# the run's folder (default: the repository's `data/`).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

from pipeline.analysis.query import connect

DATA = Path(os.environ.get("ZHIBIAO_DATA") or ("data" if Path("data").is_dir() else "../data"))
con = connect(DATA)

# %%
share = con.execute("""
    SELECT indicator, count(*) AS cells, count(*) FILTER (WHERE conflict) AS conflicts,
           round(avg(conflict::INT), 3) AS share
    FROM panel GROUP BY indicator ORDER BY conflicts DESC, indicator
""").df()
assert share["conflicts"].sum() > 0, f"no conflicts in the panel of {DATA}"
share

# %% [markdown]
# The competing records of each conflicting cell, with their quotes: the panel's `record_ids`
# unnested and joined back to `indicators`.

# %%
competing = con.execute("""
    WITH c AS (SELECT region, year, indicator, stage, kind, value AS chosen, unnest(record_ids) AS record_id
               FROM panel WHERE conflict)
    SELECT c.region, c.year, c.indicator, c.stage, c.chosen, i.value, i.unit, i.confidence, i.source, i.quote
    FROM c JOIN indicators i USING (record_id)
    ORDER BY c.indicator, c.region, c.year, i.value, i.record_id
""").df()
assert competing.groupby(["region", "year", "indicator"])["value"].nunique().min() >= 2
competing

# %%
ax = share[share["conflicts"] > 0].set_index("indicator")[["cells", "conflicts"]].plot(kind="barh", figsize=(7, 4))
ax.set_xlabel("panel cells")
ax.set_title("Panel cells and conflicts per indicator")
plt.tight_layout()
