"""The deterministic sample-data generator: landing drops with planted bad records.

`generate(out_dir, customers, days, seed)` writes `<out>/{sales,surveys,complaints}/
dt=YYYY-MM-DD/*` for `days` consecutive business dates and `<out>/_manifest/`
(bad_records.csv, files.json, customers.csv). Same arguments give byte-identical
files: one seeded numpy Generator per concern, no wall clock, stable ordering.
See docs/sample-data.md for the model.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from csi.catalog import load_catalog
from csi.generate.bad_records import Planter
from csi.generate.complaints import complaints_for_day
from csi.generate.faults import held_back
from csi.generate.population import build_population
from csi.generate.sales import SalesState, sales_for_day
from csi.generate.surveys import responses_for_orders
from csi.generate.writer import FileSpec, plan_files, write_file
from csi.settings import CONFIG_DIR

__all__ = ["GenerationSummary", "generate"]

from csi.vocab import SOURCES  # noqa: E402

LATE_SHARE = 0.03  # share of orders / responses / versions delivered 1-20 days late
# (source, timestamp deciding its date, column grouping rows that travel together)
ROUTING = {
    "sales": ("ordered_at", "order_id"),
    "surveys": ("submitted_at", "response_id"),
    "complaints": ("updated_at", None),
}


@dataclass
class GenerationSummary:
    """What was written: per source files, records (wide rows count once) and bad records."""

    start_date: date
    end_date: date
    days: int
    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    bad_records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    corrupt_file: str = ""
    duplicate_file: str = ""
    duplicate_of: str = ""


def _route(rng, frame: pl.DataFrame, source: str, start: date, buffers: dict) -> None:
    """Queue records by drop day: the day of their timestamp, plus a delay if late."""
    ts_col, group_col = ROUTING[source]
    if frame.height == 0:
        return
    groups = frame[group_col].rle_id().to_numpy() if group_col else np.arange(frame.height)
    n_groups = int(groups[-1]) + 1
    delay = np.where(rng.random(n_groups) < LATE_SHARE, rng.integers(1, 21, n_groups), 0)[groups]
    event_day = (frame[ts_col].dt.date() - start).dt.total_days().to_numpy()
    # Records from before the first business date travel in its drop (the history export).
    drop_day = pl.Series("_drop", np.maximum(event_day + delay, 0))
    for (d,), part in frame.with_columns(drop_day).partition_by("_drop", as_dict=True, maintain_order=True).items():
        buffers[source][int(d)].append(part.drop("_drop"))


def _take(buffers: dict, source: str, day_idx: int, schema_frame: pl.DataFrame) -> pl.DataFrame:
    parts = buffers[source].pop(day_idx, [])
    return pl.concat(parts) if parts else schema_frame.clear()


def _row_count(spec: FileSpec) -> int:
    """Rows the pipeline will validate: melted answers for a wide file."""
    if not spec.wide:
        return spec.frame.height
    cells = spec.frame.drop("response_id", "customer_id", "site_id", "submitted_at", "channel")
    return int(cells.select(pl.sum_horizontal(pl.all().is_not_null())).to_series().sum() or 0)


def generate(
    out_dir: Path,
    customers: int,
    days: int,
    seed: int,
    start_date: date = date(2026, 1, 1),
    history_days: int = 0,
) -> GenerationSummary:
    """Write `days` drops of sample landing data for `customers` customers into `out_dir`.

    With `history_days` the shop is simulated that many days before `start_date`
    too, and everything dated before it arrives in the first drop (the initial
    history export a shop hands over when the pipeline starts), so the first
    snapshots already see each customer's rhythm."""
    if customers < 1 or days < 1 or history_days < 0:
        raise ValueError(f"need customers >= 1, days >= 1 and history_days >= 0; got customers={customers}, "
                         f"days={days}, history_days={history_days}")
    out_dir = Path(out_dir)
    streams = np.random.SeedSequence(seed).spawn(6)
    rng_pop, rng_sales, rng_survey, rng_compl, rng_route, rng_bad = (np.random.default_rng(s) for s in streams)
    catalog = load_catalog(CONFIG_DIR / "instruments.yaml")
    wide_qids = catalog.filter(pl.col("instrument") != "ecsi")["question_id"].to_list()
    pop = build_population(rng_pop, customers, history_days + days)
    state, planter = SalesState(), Planter(rng_bad)
    buffers: dict[str, dict[int, list[pl.DataFrame]]] = {s: defaultdict(list) for s in SOURCES}
    summary = GenerationSummary(start_date, start_date + timedelta(days=days - 1), days)
    empty: dict[str, pl.DataFrame] = {}
    copy_src: tuple[date, FileSpec] | None = None
    for sim_idx in range(history_days + days):
        day_idx = sim_idx - history_days  # the business-date index; negative in the history
        day = start_date + timedelta(days=day_idx)
        lines, orders = sales_for_day(rng_sales, pop, sim_idx, day, state)
        answers = responses_for_orders(rng_survey, pop, orders, catalog)
        versions = complaints_for_day(rng_compl, pop, sim_idx, day)
        for source, frame in zip(SOURCES, (lines, answers, versions), strict=True):
            empty.setdefault(source, frame.clear())
            _route(rng_route, frame, source, start_date, buffers)
        if day_idx < 0:
            continue
        drop = [_take(buffers, s, day_idx, empty[s]) for s in SOURCES]
        missing = held_back(day, day_idx == days - 1)
        if missing:  # that feed's export failed: its records travel with the next drop
            k = SOURCES.index(missing)
            buffers[missing][day_idx + 1].insert(0, drop[k])
            drop[k] = empty[missing]
        files = plan_files(day_idx, day, *drop, wide_question_ids=wide_qids)
        files = [f for f in files if f.source != missing]
        rows = dict.fromkeys(SOURCES, 0)
        for spec in files:
            rows[spec.source] += _row_count(spec)
        planter.plant_drop(day_idx, day, files, rows)
        # An empty JSONL file has no records to infer from; readers reject it, so skip it.
        files = [f for f in files if f.fmt != "jsonl" or f.frame.height]
        for spec in files:
            write_file(out_dir, day, spec)
            summary.files[spec.source] += 1
            summary.rows[spec.source] += spec.frame.height
        if day_idx == min(1, days - 1):
            copy_src = (day, files[0])  # the store CSV, re-delivered later
        if day_idx == min(3, days - 1):
            summary.corrupt_file = _write_corrupt(out_dir, day, rng_bad)
            summary.files["sales"] += 1
        if day_idx == min(6, days - 1) and copy_src is not None:
            summary.duplicate_of = copy_src[1].rel_path(copy_src[0])
            summary.duplicate_file = f"sales/dt={day:%Y-%m-%d}/{copy_src[1].name.replace('.csv', '_resend.csv')}"
            (out_dir / summary.duplicate_file).write_bytes((out_dir / summary.duplicate_of).read_bytes())
            summary.files["sales"] += 1
    _write_manifest(out_dir, planter.manifest, summary, pop.to_frame())
    for entry in planter.manifest:
        summary.bad_records[entry["source"]] += 1
    return summary


def _write_corrupt(out_dir: Path, day: date, rng: np.random.Generator) -> str:
    """Random bytes under a .parquet name: the pipeline must report file:unreadable."""
    rel = f"sales/dt={day:%Y-%m-%d}/online_extra_{day:%Y%m%d}.parquet"
    (out_dir / rel).write_bytes(rng.bytes(4096))
    return rel


def _write_manifest(out_dir: Path, manifest: list[dict], summary: GenerationSummary, customers: pl.DataFrame) -> None:
    """bad_records.csv (sorted), files.json and the customer list with latent values."""
    folder = out_dir / "_manifest"
    folder.mkdir(parents=True, exist_ok=True)
    schema = {"source": pl.String, "source_file": pl.String, "record_no": pl.Int64, "reasons": pl.String}
    pl.DataFrame(manifest, schema=schema).sort("source", "source_file", "record_no").write_csv(
        folder / "bad_records.csv"
    )
    files = {
        "unreadable": [{"source": "sales", "source_file": summary.corrupt_file, "reason": "file:unreadable"}],
        "duplicates": [
            {"source": "sales", "source_file": summary.duplicate_file, "duplicate_of": summary.duplicate_of}
        ],
    }
    (folder / "files.json").write_text(json.dumps(files, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    customers.write_csv(folder / "customers.csv")
