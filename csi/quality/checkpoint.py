"""Run the quality suites on the warehouse with Great Expectations, plus the reconciliation.

`run_checks(settings, scope)` validates one batch per table of the scope (csi.quality.scope:
every table whole, or what the change journal says changed, a partitioned table from its
first rewritten partition on, with the query of csi.warehouse.check_batches) on the
warehouse URL, DuckDB or PostgreSQL, and refreshes those tables' Data Docs pages in
`settings.data_docs_dir`. The row-count reconciliation with ops_pipeline_run is plain SQL
(GX has no cross-table expectation for it) reported the same way.

A failure names the table, the column, the declared rule, how many rows break it
and a few of their values: "mart_satisfaction_monthly.nps: values between -100 and
100 (2 rows, e.g. 101.0, 130.0)".

Fixed costs: GX is imported only when a scope has a table to validate (a slow import;
`import csi.quality.checkpoint` stays light), and its context, data source, assets and
suites are kept warm for the process (`_WARM`). The suites and the latest validation result
of every table are files under `<docs>/_store`, so the index lists every table's latest
result, whichever run made it; the asset name says which rows it covered.

GX quirks handled here: duckdb_engine needs a persisted connection
(`_PERSISTED_CONNECTION_DIALECTS`, upstream GX issue; otherwise every expectation
errors), progress bars are switched off, and every connection GX opened is closed
after each run (and dropped, so the warm data source opens new ones next time).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csi.quality.reconcile import reconcile
from csi.quality.scope import CONSUMER, Scope, ScopeArg, check_scope, describe, from_journal, rows_covered, whole
from csi.quality.suites import Check, all_checks
from csi.secrets import mask_url, scrub, secrets_of
from csi.settings import Settings
from csi.warehouse.check_batches import changed_rows_query
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Warehouse, opened_url
from csi.warehouse.tables import TABLES

log = logging.getLogger(__name__)
SITE = "csi"
STORE_DIR = "_store"  # under the Data Docs dir: the suites and latest results the pages are built from

# Data Docs offline: GX's pages load their CSS and JavaScript from CDNs, so with no network they
# show an empty index. The same files (npm packages of those exact versions, licenses alongside)
# ship in docs_assets/ and are copied to <docs>/static/offline/; every page is rewritten to them.
DOCS_ASSETS = Path(__file__).parent / "docs_assets"
OFFLINE_DIR = "static/offline"
CDN_ASSETS = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "js/popper-1.12.9.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap-4.3.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap-4.3.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "js/bootstrap-table-filter-control-1.19.1.min.js",
    # GX asks for 1.19.0's filter-control CSS next to 1.19.1's table: the same rules
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "css/bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "css/bootstrap-table-filter-control-1.19.1.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "js/bootstrap-datepicker-1.9.0.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "css/bootstrap-datepicker-1.9.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/fontawesome-6.6.0.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "css/bootstrap-prefers-dark-1.1.0.min.css",
}
# vega draws only profiling charts, which our suites never render: the tags are dropped
_VEGA = re.compile(r'<script src="https://cdn\.jsdelivr\.net/npm/vega(?:-lite|-embed)?@\d+"></script>\s*')
_GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[\w-]+\.amazonaws\.com/[\w.-]+(?:\?[^\"')\s]*)?")
_ONLINE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"'](https?://[^\"']+)", re.IGNORECASE)


@dataclass
class QualityResult:
    success: bool
    # "table.column: rule (n rows, e.g. v1, v2)", e.g. "fct_sales.discount: values >= 0 and < 1 (1 row, e.g. 1.0)"
    failed: list[str] = field(default_factory=list)
    checked: int = 0
    data_docs: Path | None = None
    seconds: float = 0.0  # the whole call, set-up included
    # GX's fixed costs inside `seconds`: its import (the first call of a process only), the context,
    # the data source, suites and batch definitions; 0 when the scope needed no GX
    setup_seconds: float = 0.0
    scope: str = ""  # csi.quality.scope.describe: "12 tables, 3 from 2026-03-01"


class _DuckDialect(str):
    """Looks like a GXSqlDialect member (`.value`) so GX keeps one connection for duckdb."""

    value = "duckdb"


def _patch_gx() -> None:
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if "duckdb" not in [str(getattr(d, "value", d)) for d in engine._PERSISTED_CONNECTION_DIALECTS]:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, _DuckDialect("duckdb"))


@dataclass
class _Warm:
    """GX kept warm in the process across run_checks calls: the context, the data source and its
    assets (re-connected each run: every connection is closed after it), the suites last stored."""

    ctx: Any
    url: str = ""
    source: Any = None
    suites: dict[str, tuple[str, Any]] = field(default_factory=dict)  # table: (repr of its checks, suite)


# {Data Docs dir: warm GX}, one entry: the suites and results live in files under that dir, so a
# context for another dir starts afresh
_WARM: dict[Path, _Warm] = {}


def _warm(docs_dir: Path) -> _Warm:
    """The warm GX for `docs_dir`, made on first use: in-memory stores except the suites and the
    validation results, which are files under `<docs>/_store`, so Data Docs keep every table's
    latest result across runs and processes."""
    warm = _WARM.get(docs_dir)
    if warm is not None:
        return warm
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    _patch_gx()
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    for store, cls in (("expectations", "ExpectationsStore"), ("validation_results", "ValidationResultsStore")):
        config.stores[f"{store}_store"] = {"class_name": cls, "store_backend": {
            "class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir / STORE_DIR / store)}}
    config.data_docs_sites = {SITE: {
        "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}}}
    config.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    _WARM.clear()
    warm = _WARM[docs_dir] = _Warm(gx.get_context(project_config=config, mode="ephemeral"))
    return warm


def _source(warm: _Warm, url: str):
    """The warehouse data source, added once per URL."""
    if warm.source is None or warm.url != url:
        ctx = warm.ctx
        add = ctx.data_sources.add_or_update_postgres if url.startswith("postgresql") \
            else ctx.data_sources.add_or_update_sql
        # opened as our engine opens it (its memory limit is the instance's already)
        warm.source, warm.url = add(name="warehouse", connection_string=opened_url(url)), url
    return warm.source


def _asset(source, name: str, table: str, query: str | None):
    """The asset `name` (a table, or a query when only some rows are checked), reused when it exists."""
    if name in {a.name for a in source.assets}:
        asset = source.get_asset(name)
    else:
        asset = source.add_query_asset(name=name, query=query) if query \
            else source.add_table_asset(name=name, table_name=table)
    batch = next((b for b in asset.batch_definitions if b.name == table), None)
    return batch or asset.add_batch_definition_whole_table(table)


def _suite(warm: _Warm, table: str, checks: list[Check]):
    """The table's suite, stored again only when its checks differ from the last stored in the process."""
    import great_expectations as gx

    fingerprint = repr(checks)
    known = warm.suites.get(table)
    if known is None or known[0] != fingerprint:
        suite = warm.ctx.suites.add_or_update(gx.ExpectationSuite(
            name=table, expectations=[getattr(gx.expectations, c.expectation)(**c.kwargs) for c in checks]))
        known = warm.suites[table] = (fingerprint, suite)
    return known[1]


def run_checks(settings: Settings, scope: ScopeArg = None, *,
               tables: tuple[TableDecl, ...] | None = None) -> QualityResult:
    """Validate the scope (None or "all": every table whole; "changed": what the change journal
    says changed since the last passing check; csi.quality.scope) and reconcile row counts.

    `tables` (declarations) limits the run to those tables and leaves the journal unmarked."""
    started = time.perf_counter()
    scope = check_scope(scope)
    decls = TABLES if tables is None else tuple(tables)
    by_table = all_checks(decls)
    wh = Warehouse(settings.url)
    try:
        with wh.transaction() as tx:
            if scope == "changed":
                from csi.warehouse.changes import changes_since

                plan = from_journal(changes_since(tx, CONSUMER), decls, set(by_table))
            else:
                plan = whole(decls, set(by_table))
            decl_of = {d.name: d for d in decls}
            queries = {t: changed_rows_query(tx, decl_of[t], since) for t, since in plan.tables.items() if since}
        failed, setup = [], 0.0
        docs_dir = Path(settings.data_docs_dir).resolve()
        if plan.tables:
            failed, setup = _validate(settings, docs_dir, plan, {t: by_table[t] for t in plan.tables}, queries,
                                      decl_of, "all" if plan.is_whole else "changed")
        if plan.reconcile:
            with wh.transaction() as tx:
                failed += reconcile(tx)
        if not failed and tables is None:
            from csi.warehouse.changes import mark_consumed

            with wh.transaction() as tx:
                mark_consumed(tx, CONSUMER)
    finally:
        wh.dispose()
    index = docs_dir / "index.html"
    checked = sum(len(by_table[t]) for t in plan.tables) + plan.reconcile
    result = QualityResult(not failed, failed, checked, index if index.is_file() else None,
                           time.perf_counter() - started, setup, describe(plan))
    log.info("quality (%s): %d checks, %d failed in %.1f s (set-up %.1f s)", result.scope, result.checked,
             len(failed), result.seconds, result.setup_seconds)
    return result


def _validate(settings: Settings, docs_dir: Path, plan: Scope, by_table: dict[str, list[Check]],
              queries: dict[str, str], decl_of: dict[str, TableDecl], run_name: str) -> tuple[list[str], float]:
    """Run GX on one batch per table of the plan, refresh their Data Docs pages; (failures, set-up seconds)."""
    started = time.perf_counter()
    import great_expectations as gx  # a slow first import (seconds): counted in the set-up
    from great_expectations.core.run_identifier import RunIdentifier

    warm = _warm(docs_dir)
    ctx = warm.ctx
    for store in ("validation_definition_store", "checkpoint_store"):  # the last run's
        for key in ctx.stores[store].list_keys():
            ctx.stores[store].remove_key(key)
    source = None
    try:
        source = _source(warm, settings.url)
        definitions, assets = [], set()
        for table, checks in by_table.items():
            since = plan.tables[table]
            name = f"{table}, {rows_covered(decl_of[table], since)}"
            assets.add(name)
            definitions.append(ctx.validation_definitions.add(gx.ValidationDefinition(
                name=table, data=_asset(source, name, table, queries.get(table)), suite=_suite(warm, table, checks))))
        for stale in [a.name for a in source.assets if a.name not in assets and a.name.partition(", ")[2]
                      != "whole table"]:  # query assets of past scopes
            source.delete_asset(stale)
        # no UpdateDataDocsAction: it rebuilds the whole site once per table (jinja recompiles its
        # templates each time, ~1 s a table); one build after the run renders only this run's pages
        checkpoint = ctx.checkpoints.add(gx.Checkpoint(name="csi_warehouse", validation_definitions=definitions))
        setup = time.perf_counter() - started
        outcome = checkpoint.run(run_id=RunIdentifier(run_name=run_name))
        ids = list(outcome.run_results)
        _keep_latest(ctx, ids)
        ctx.build_data_docs(site_names=[SITE], resource_identifiers=[
            *ids, *(i.expectation_suite_identifier for i in ids)])
    except Exception as exc:  # a GX or connection error must not carry the password out
        warm.source = None  # whatever GX holds after an error, the next run starts a new data source
        raise RuntimeError(f"quality checks on {mask_url(settings.url)} failed: "
                           f"{scrub(str(exc), settings.url)}") from None
    finally:
        if source is not None:
            _close(source)
    failed = [scrub(label, settings.url) for suite_result in outcome.run_results.values()
              for label in _failures(suite_result, by_table[suite_result.suite_name])]
    _offline_docs(docs_dir)
    _scrub_docs(docs_dir, settings.url)
    return failed, setup


def _keep_latest(ctx, ids) -> None:
    """Drop the stored results these runs' tables had before: Data Docs show each table's latest
    (the index builder then removes their pages)."""
    store = ctx.validation_results_store
    fresh = set(ids)
    suites = {i.expectation_suite_identifier.name for i in ids}
    for key in store.list_keys():
        if key.expectation_suite_identifier.name in suites and key not in fresh:
            store.remove_key(key)


def _close(source) -> None:
    """Release every connection GX opened: an open DuckDB handle would lock the next run out.

    GX keeps two engines (the data source's, the execution engine's; the latter may hold a
    persisted connection or a StaticPool), and `ExecutionEngine.close` releases only some. Both are
    then dropped from the data source, which makes new ones on its next use (the warm source's
    next run)."""
    import sqlalchemy as sa

    engine = source._execution_engine
    for obj in (getattr(engine, "_connection", None), getattr(engine, "engine", None),
                getattr(engine, "_engine_backup", None), getattr(source, "_engine", None)):
        if isinstance(obj, sa.Connection):
            obj.close()
        elif isinstance(obj, sa.Engine):
            obj.dispose()
    source._execution_engine = None
    source._engine = None


def _failures(suite_result, checks: list[Check]) -> list[str]:
    """One label per failed expectation of a table, from its Check and GX's result."""
    by_key = {(_snake(c.expectation), c.column): c for c in checks}
    out = []
    for r in suite_result.results:
        if r.success:
            continue
        kw = r.expectation_config.kwargs
        column = kw.get("column") or "+".join(kw.get("column_list") or [])
        check = by_key.get((r.expectation_config.type, column))
        if check is None:  # not one of ours: say what GX calls it
            check = Check(suite_result.suite_name, column, "", {}, r.expectation_config.type)
        out.append(check.label(_detail(r)))
    return out


def _snake(class_name: str) -> str:
    """ExpectColumnValuesToBeBetween -> expect_column_values_to_be_between (GX's `type`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def _detail(r, samples: int = 3) -> str:
    """How it failed: `2 rows, e.g. 101.0, 130.0`, or GX's message when the expectation errored."""
    info = r.exception_info or {}
    errors = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    raised = [e for e in errors if e.get("raised_exception")]
    if raised:
        return f"error: {str(raised[0].get('exception_message') or 'unknown').splitlines()[0]}"
    result = r.result or {}
    count = result.get("unexpected_count")
    if count is None:
        return ""
    seen: list[str] = []
    for value in result.get("partial_unexpected_list") or []:
        text = _show(value)
        if text not in seen:
            seen.append(text)
    shown = f", e.g. {', '.join(seen[:samples])}" if seen else ""
    return f"{count} row{'' if count == 1 else 's'}{shown}"


def _show(value) -> str:
    if isinstance(value, dict):  # a compound key
        return "(" + ", ".join(_show(v) for v in value.values()) + ")"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


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


def _offline_docs(docs_dir: Path) -> list[str]:
    """Point every Data Docs page at the shipped copies of its CDN assets; returns (and logs)
    any http(s) script or stylesheet left, e.g. after a GX upgrade added one."""
    if not docs_dir.exists():
        return []
    shutil.copytree(DOCS_ASSETS, docs_dir / OFFLINE_DIR, dirs_exist_ok=True)
    left: set[str] = set()
    for path in docs_dir.rglob("*"):
        if not path.is_file() or path.suffix not in {".html", ".css"} or OFFLINE_DIR in path.as_posix():
            continue
        root = Path(os.path.relpath(docs_dir, path.parent)).as_posix()
        text = original = path.read_text(encoding="utf-8", errors="replace")
        for url, asset in CDN_ASSETS.items():
            text = text.replace(url, f"{root}/{OFFLINE_DIR}/{asset}")
        text = _GX_LOGO.sub(f"{root}/static/images/logo-long.png", _VEGA.sub("", text))
        left.update(_ONLINE.findall(text))
        if text != original:
            path.write_text(text, encoding="utf-8")
    if left:
        log.warning("Data Docs still load from the network (not shipped in %s): %s", DOCS_ASSETS,
                    ", ".join(sorted(left)))
    return sorted(left)
