"""The sample-data generator: determinism, formats, planted bad records, realism."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from csi.catalog import load_catalog
from csi.generate import GenerationSummary, generate
from csi.generate.writer import WIDE_HEAD
from csi.settings import CONFIG_DIR
from schemas.reasons import INGEST_CODES, REASONS
from tests.generate.reference import quarantine, read_source

# Starts late in January so late arrivals can fall in an earlier month.
SMALL = {"customers": 400, "days": 20, "seed": 11, "start_date": date(2026, 1, 20)}
SOURCES = ("sales", "surveys", "complaints")
NOW = datetime(2030, 1, 1)  # a run start after every generated date


@pytest.fixture(scope="module")
def catalog() -> pl.DataFrame:
    return load_catalog(CONFIG_DIR / "instruments.yaml")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, **SMALL)


def _files(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _skip(out: Path) -> set[str]:
    files = json.loads((out / "_manifest" / "files.json").read_text(encoding="utf-8"))
    return {f["source_file"] for f in files["unreadable"] + files["duplicates"]}


def _manifest(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "_manifest" / "bad_records.csv", schema_overrides={"record_no": pl.Int64})


def test_same_arguments_give_byte_identical_files(small, tmp_path):
    out, _ = small
    generate(tmp_path, **SMALL)
    assert _files(tmp_path) == _files(out)


def test_layout_and_summary(small):
    out, summary = small
    assert (summary.start_date, summary.end_date, summary.days) == (date(2026, 1, 20), date(2026, 2, 8), 20)
    for source in SOURCES:
        drops = sorted(p.name for p in (out / source).iterdir())
        # A complaint drop holding only an empty JSONL file has no folder.
        assert len(drops) == 20 or (source == "complaints" and len(drops) >= 15)
        assert drops[0] == "dt=2026-01-20" and drops[-1] == "dt=2026-02-08"
        assert summary.files[source] == sum(1 for _ in (out / source).rglob("*.*"))
    # 2 sales files a day plus the corrupt and the re-delivered file; 2 survey files; 1 complaint
    # file (an empty JSONL file is not written).
    assert summary.files["sales"] == 42 and summary.files["surveys"] == 40
    assert 18 <= summary.files["complaints"] <= 20
    manifest = _manifest(out)
    for source in SOURCES:
        assert summary.bad_records[source] == manifest.filter(pl.col("source") == source).height > 0


def test_formats_and_encodings(small):
    out, _ = small
    gb = (out / "sales/dt=2026-01-21/store_20260121.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    text = gb.decode("gb18030")
    assert text.startswith("order_id,line_no,order_type,") and re.search("[\u4e00-\u9fff]", text)
    assert (out / "sales/dt=2026-01-24/store_20260124.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (out / "surveys/dt=2026-01-20/kiosk_wide_20260120.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    suffixes = {p.suffix for s in SOURCES for p in (out / s).rglob("*.*")}
    assert suffixes == {".csv", ".jsonl", ".parquet"}
    sales = pl.read_parquet(out / "sales/dt=2026-01-20/online_20260120.parquet")
    assert sales.schema["ordered_at"] == pl.Datetime("us") and sales.schema["revenue"] == pl.Float64
    for path in out.glob("*/dt=*/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert all(v is None or isinstance(v, str) for v in json.loads(line).values())


def test_wide_export_has_one_column_per_question(small, catalog):
    out, _ = small
    paths = sorted(out.glob("surveys/dt=*/kiosk_wide_*.csv"))
    assert len(paths) == 20
    wide = pl.concat([pl.read_csv(p, infer_schema=False) for p in paths])
    qids = catalog.filter(pl.col("instrument") != "ecsi")["question_id"].to_list()
    assert wide.columns == WIDE_HEAD + qids
    assert wide["response_id"].n_unique() == wide.height > 0
    comments = pl.concat(
        [pl.read_csv(p, infer_schema=False)["comment"] for p in out.glob("surveys/dt=*/kiosk_wide_*.csv")]
    ).drop_nulls()
    assert comments.str.contains("[\u4e00-\u9fff]").all() and comments.len() > 0


def test_manifest_equals_an_independent_validation(small, catalog):
    """Every planted record with its exact reasons, and no other record failing."""
    out, _ = small
    manifest = _manifest(out)
    for source in SOURCES:
        frame = read_source(out, source, _skip(out), catalog)
        found = quarantine(frame, source, catalog, NOW)
        expected = manifest.filter(pl.col("source") == source).sort("source_file", "record_no")
        assert found.to_dicts() == expected.to_dicts()


def test_manifest_uses_every_record_reason_code(small):
    out, _ = small
    codes = {c for reasons in _manifest(out)["reasons"] for c in reasons.split("; ")}
    # not planted: the codes given while reading a file (tests/ingest covers them) and the reserved
    # site id (tests/validation covers it)
    assert codes == set(REASONS) - {"file:unreadable"} - INGEST_CODES - {"site_id:reserved"}
    several = _manifest(out).filter(pl.col("reasons").str.count_matches("; ") >= 3)
    assert several.height >= 3  # records with several faults at once
    assert {"source", "source_file", "record_no", "reasons"} == set(_manifest(out).columns)


def test_corrupt_and_redelivered_files(small):
    out, summary = small
    files = json.loads((out / "_manifest/files.json").read_text(encoding="utf-8"))
    assert files["unreadable"] == [
        {
            "source": "sales",
            "source_file": "sales/dt=2026-01-23/online_extra_20260123.parquet",
            "reason": "file:unreadable",
        }
    ]
    assert files["duplicates"] == [
        {
            "source": "sales",
            "source_file": "sales/dt=2026-01-26/store_20260121_resend.csv",
            "duplicate_of": "sales/dt=2026-01-21/store_20260121.csv",
        }
    ]
    assert (out / summary.duplicate_file).read_bytes() == (out / summary.duplicate_of).read_bytes()
    with pytest.raises(Exception):  # noqa: B017 (any reader error is fine)
        pl.read_parquet(out / summary.corrupt_file)


def test_good_sales_rows_follow_the_revenue_and_cost_rules(small, catalog):
    out, _ = small
    bad = _manifest(out).select("source_file", "record_no")
    sales = read_source(out, "sales", _skip(out), catalog).join(bad, on=["source_file", "record_no"], how="anti")
    num = sales.with_columns(pl.col("quantity", "unit_price", "discount", "revenue", "cost").cast(pl.Float64))
    sign = pl.when(pl.col("order_type") == "return").then(-1.0).otherwise(1.0)
    expected = (sign * pl.col("quantity") * pl.col("unit_price") * (1 - pl.col("discount"))).round(2)
    assert num.filter((pl.col("revenue") - expected).abs() > 1e-9).height == 0
    assert num.filter(sign * pl.col("cost") < 0).height == 0
    assert set(num["order_type"]) == {"sale", "return"}
    multi = num.group_by("order_id").agg(pl.col("line_no").cast(pl.Int64).sort())
    assert multi.filter(pl.col("line_no").list.len() > 1).height > 0
    # Sale orders number their lines from 1 (lines of a planted duplicate are excluded above).
    sale = num.filter(pl.col("order_type") == "sale").group_by("order_id").agg(pl.col("line_no").cast(pl.Int64))
    assert sale.filter(pl.col("line_no").list.min() != 1).height == 0
    assert sale.filter(pl.col("line_no").list.n_unique() != pl.col("line_no").list.len()).height == 0


def test_late_arrivals_exist_and_some_cross_a_month(small, catalog):
    out, _ = small
    sales = read_source(out, "sales", _skip(out), catalog).with_columns(
        pl.col("ordered_at").str.to_datetime(strict=False).dt.date().alias("day"), pl.col("dt").str.to_date()
    )
    late = sales.filter(pl.col("day") < pl.col("dt"))
    assert late.height > 0
    assert (late["dt"] - late["day"]).dt.total_days().max() <= 20
    assert late.filter(pl.col("day").dt.month() < pl.col("dt").dt.month()).height > 0


@pytest.fixture(scope="module")
def larger(tmp_path_factory) -> Path:
    """20000 customers x 60 days from 2026-01-01."""
    out = tmp_path_factory.mktemp("larger")
    summary = generate(out, customers=20_000, days=60, seed=3)
    assert summary.rows["sales"] > 40_000
    return out


def test_larger_run_shows_satisfaction_driving_behaviour(larger, catalog):
    """Smoke test at 20000 customers x 60 days; also the behavioural signal."""
    out = larger
    customers = pl.read_csv(out / "_manifest/customers.csv")
    low = customers.filter(pl.col("latent_satisfaction") < customers["latent_satisfaction"].median())
    skip = _skip(out)
    complaints = read_source(out, "complaints", skip, catalog)
    all_sales = read_source(out, "sales", skip, catalog)
    sales = all_sales.filter(pl.col("order_type") == "sale")

    def per_customer(frame: pl.DataFrame, key: str, dissatisfied: bool) -> float:
        ids = low["customer_id"] if dissatisfied else customers.join(low, on="customer_id", how="anti")["customer_id"]
        return frame.filter(pl.col("customer_id").is_in(ids.implode()))[key].n_unique() / ids.len()

    assert per_customer(complaints, "complaint_id", True) > 2 * per_customer(complaints, "complaint_id", False)
    assert per_customer(sales, "order_id", True) < per_customer(sales, "order_id", False)
    # Enough complete ACSI responses for the PLS model in the quarter.
    answers = read_source(out, "surveys", skip, catalog)
    acsi = catalog.filter(pl.col("instrument") == "acsi")["question_id"]
    complete = answers.filter(pl.col("question_id").is_in(acsi.implode())).group_by("response_id").len()
    assert complete.filter(pl.col("len") == 14).height > 100
    # Planted bad records stay under the pipeline's 5 % limit, per source and per drop.
    bad = _manifest(out).with_columns(pl.col("source_file").str.extract(r"dt=([\d-]+)").alias("dt"))
    rows = pl.concat(
        [
            f.select("dt", pl.lit(s).alias("source"))
            for s, f in (("sales", all_sales), ("complaints", complaints), ("surveys", answers))
        ]
    )
    for keys in (["source", "dt"], ["dt"]):
        counts = rows.group_by(keys).len("rows").join(bad.group_by(keys).len("bad"), on=keys, how="left")
        over = counts.filter((pl.col("rows") >= 100) & (pl.col("bad").fill_null(0) > 0.05 * pl.col("rows")))
        assert over.height == 0, over


def test_churners_sour_before_they_stop(larger, catalog):
    """From its souring_day a churner answers surveys worse and complains more, while it
    still buys: the churn signals have something to see before the churn day."""
    out, start = larger, date(2026, 1, 1)
    customers = pl.read_csv(out / "_manifest/customers.csv")
    churners = customers.filter(pl.col("churn_day") >= 0)
    assert (churners["souring_day"] < churners["churn_day"]).all()
    assert (customers.filter(pl.col("churn_day") < 0)["souring_day"] == -1).all()
    bad = _manifest(out).select("source_file", "record_no")

    def good(source: str) -> pl.DataFrame:
        return read_source(out, source, _skip(out), catalog).join(bad, on=["source_file", "record_no"], how="anti")

    def day(date_expr: pl.Expr) -> pl.Expr:
        return (date_expr - pl.lit(start)).dt.total_days().alias("day")

    # A response reflects the felt satisfaction on its order's day (RS<order date>...).
    nps = (
        good("surveys")
        .filter(pl.col("question_id") == "nps")
        .select(
            "customer_id",
            pl.col("answer").cast(pl.Int64),
            day(pl.col("response_id").str.slice(2, 8).str.to_date("%Y%m%d")),
        )
        .join(churners, on="customer_id")
        .group_by(soured=pl.col("day") >= pl.col("souring_day"))
        .agg(pl.len(), pl.col("answer").mean())
    )
    before, after = (nps.filter(pl.col("soured") == v).row(0, named=True) for v in (False, True))
    assert before["len"] > 100 and after["len"] > 100
    assert after["answer"] < before["answer"] - 1.0
    # Complaints per active customer-day, before and after souring.
    opened = (
        good("complaints")
        .unique("complaint_id")
        .select("customer_id", day(pl.col("opened_at").str.to_datetime().dt.date()))
        .join(churners, on="customer_id")
    )
    soured = (pl.col("day") >= pl.col("souring_day")).sum()
    counts = opened.select(before=pl.len() - soured, after=soured).row(0)
    end = pl.min_horizontal("churn_day", pl.lit(60))
    exposure = churners.select(
        (pl.min_horizontal("souring_day", end) - pl.col("start_day")).clip(0).sum(),
        (end - pl.max_horizontal("souring_day", "start_day")).clip(0).sum(),
    ).row(0)
    assert counts[0] > 20 and (counts[1] / exposure[1]) > 2 * (counts[0] / exposure[0])


def test_history_days_arrive_in_the_first_drop(tmp_path, catalog):
    """history_days simulates the shop before start_date; those records travel in the first
    drop (late ones a few drops later), and no drop is dated before start_date."""
    start = date(2026, 3, 1)
    summary = generate(tmp_path, customers=200, days=3, seed=5, start_date=start, history_days=30)
    assert summary.start_date == start and summary.days == 3
    for source in SOURCES:
        drops = sorted(p.name for p in (tmp_path / source).glob("dt=*"))
        assert drops == ["dt=2026-03-01", "dt=2026-03-02", "dt=2026-03-03"]
    sales = read_source(tmp_path, "sales", _skip(tmp_path), catalog).join(
        _manifest(tmp_path).select("source_file", "record_no"), on=["source_file", "record_no"], how="anti")
    dated = sales.select("dt", pl.col("ordered_at").str.to_datetime().dt.date().alias("day"))
    history = dated.filter(pl.col("day") < start)
    assert history["day"].min() >= date(2026, 1, 30)  # start - 30 days
    assert history["day"].n_unique() > 25
    # everything from before the start arrives on the first date, except a few late arrivals
    assert history.filter(pl.col("dt") != "2026-03-01").height < 0.05 * history.height


def test_bad_sizes_are_refused_with_the_bound(tmp_path, capsys):
    from csi.cli import main

    with pytest.raises(ValueError, match="history_days >= 0; got customers=10, days=5, history_days=-1"):
        generate(tmp_path, customers=10, days=5, seed=1, history_days=-1)
    for args, message in ((["--history-days", "-1"], "argument --history-days: -1 is below 0"),
                          (["--days", "0"], "argument --days: 0 is below 1"),
                          (["--customers", "x"], "argument --customers: 'x' is not a whole number")):
        with pytest.raises(SystemExit) as exit_:
            main(["generate", "--out", str(tmp_path / "out"), *args])
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
