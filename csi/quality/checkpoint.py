"""Run the quality suites on the warehouse with Great Expectations, plus the reconciliation.

An ephemeral GX context (nothing to keep in the repo: the suites are derived from
the declarations every time) validates one whole-table batch per table on the
warehouse URL, DuckDB or PostgreSQL, and writes Data Docs HTML to
`settings.data_docs_dir`. The row-count reconciliation with ops_pipeline_run is
plain SQL (GX has no cross-table expectation for it) reported the same way.
GX quirks handled here: duckdb_engine needs a persisted connection
(`_PERSISTED_CONNECTION_DIALECTS`, upstream GX issue; otherwise every expectation
errors), and progress bars are switched off.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from csi.quality.reconcile import reconcile
from csi.quality.suites import all_checks
from csi.secrets import mask_url, scrub, secrets_of
from csi.settings import Settings
from csi.warehouse.engine import Warehouse

log = logging.getLogger(__name__)
SITE = "csi"


@dataclass
class QualityResult:
    success: bool
    failed: list[str] = field(default_factory=list)  # "table.column: expectation_type"
    checked: int = 0
    data_docs: Path | None = None
    seconds: float = 0.0


class _DuckDialect(str):
    """Looks like a GXSqlDialect member (`.value`) so GX keeps one connection for duckdb."""

    value = "duckdb"


def _patch_gx() -> None:
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if "duckdb" not in [str(getattr(d, "value", d)) for d in engine._PERSISTED_CONNECTION_DIALECTS]:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, _DuckDialect("duckdb"))


def _context(docs_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    for name, site in dict(ctx.variables.data_docs_sites or {}).items():  # GX's default: an empty temp dir
        shutil.rmtree(site.get("store_backend", {}).get("base_directory", ""), ignore_errors=True)
        ctx.delete_data_docs_site(name)
    ctx.add_data_docs_site(site_name=SITE, site_config={
        "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}})
    return ctx


def run_checks(settings: Settings, tables=None) -> QualityResult:
    """Validate every declared table (or `tables`, declarations) and reconcile row counts."""
    import great_expectations as gx  # a slow first import (seconds), kept out of `seconds`

    started = time.perf_counter()
    _patch_gx()
    docs_dir = Path(settings.data_docs_dir).resolve()
    ctx = _context(docs_dir)
    add = ctx.data_sources.add_postgres if settings.url.startswith("postgresql") else ctx.data_sources.add_sql
    source = add(name="warehouse", connection_string=settings.url)
    definitions, checked = [], 0
    for table, checks in all_checks(tables).items():
        batch = source.add_table_asset(name=table, table_name=table).add_batch_definition_whole_table(table)
        suite = ctx.suites.add(gx.ExpectationSuite(
            name=table, expectations=[getattr(gx.expectations, c.expectation)(**c.kwargs) for c in checks]))
        definitions.append(ctx.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch,
                                                                                 suite=suite)))
        checked += len(checks)
    # no UpdateDataDocsAction: it rebuilds the whole site once per table (jinja recompiles its
    # templates each time, ~1 s a table); one build after the run gives the same pages
    checkpoint = ctx.checkpoints.add(gx.Checkpoint(name="csi_warehouse", validation_definitions=definitions))
    try:
        outcome = checkpoint.run()
        ctx.build_data_docs(site_names=[SITE])
    except Exception as exc:  # a GX or connection error must not carry the password out
        raise RuntimeError(f"quality checks on {mask_url(settings.url)} failed: "
                           f"{scrub(str(exc), settings.url)}") from None
    finally:
        _close(source)
    failed = [label for suite_result in outcome.run_results.values()
              for label in _failures(suite_result)]
    wh = Warehouse(settings.url)
    try:
        with wh.transaction() as tx:
            failed += reconcile(tx)
    finally:
        wh.dispose()
    _scrub_docs(docs_dir, settings.url)
    result = QualityResult(not failed, failed, checked + 1, docs_dir / "index.html",
                           time.perf_counter() - started)
    log.info("quality: %d checks, %d failed in %.1f s", result.checked, len(failed), result.seconds)
    return result


def _close(source) -> None:
    """Release every connection GX opened: an open DuckDB handle would lock the next run out.

    GX keeps two engines (the data source's, the execution engine's; the latter may hold a
    persisted connection or a StaticPool), and `ExecutionEngine.close` releases only some."""
    import sqlalchemy as sa

    engine = source.get_execution_engine()
    for obj in (getattr(engine, "_connection", None), getattr(engine, "engine", None),
                getattr(engine, "_engine_backup", None), getattr(source, "_engine", None)):
        if isinstance(obj, sa.Connection):
            obj.close()
        elif isinstance(obj, sa.Engine):
            obj.dispose()


def _failures(suite_result) -> list[str]:
    table = suite_result.suite_name
    out = []
    for r in suite_result.results:
        if not r.success:
            kw = r.expectation_config.kwargs
            column = kw.get("column") or "+".join(kw.get("column_list") or [])
            out.append(f"{table}.{column}: {r.expectation_config.type}")
    return out


def _scrub_docs(docs_dir: Path, url: str) -> None:
    """Belt and braces: GX renders batch specs into the HTML; no password may stay in it."""
    if not secrets_of(url) or not docs_dir.exists():
        return
    for path in docs_dir.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            clean = scrub(text, url)
            if clean != text:
                path.write_text(clean, encoding="utf-8")
