"""The one typed settings object.

Values come from, in order of precedence: keyword arguments, `CSI_*` environment
variables (nested with `__`, e.g. `CSI_CHURN__RECENCY_RATIO_THRESHOLD=2.5`), the
YAML file named by `CSI_CONFIG_FILE`, then the defaults below. Nothing here reads
the environment at import time: call `load_settings()`.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

CONFIG_DIR = Path(__file__).parent / "config"


class SatisfactionSettings(BaseModel):
    low_sample_n: int = Field(30, description="a cell with NPS n below this has low_sample = true")
    z_value: float = Field(1.96, description="z for the 95 % interval and the change test")


class ComplaintSettings(BaseModel):
    sla_hours: dict[int, float] = Field(
        default_factory=lambda: {1: 4.0, 2: 24.0, 3: 72.0, 4: 168.0},
        description="resolution SLA in hours per severity (1 critical .. 4 minor)",
    )
    silent_dissatisfied_factor: int = Field(25, description="dissatisfied customers per complainant")
    recovery_window_days: int = Field(90, description="re-order window after a complaint")


class AcsiModelSettings(BaseModel):
    model: str = Field("acsi", description="'acsi', 'ecsi' or a path to a model YAML file")
    min_complete_responses: int = 100
    site_min_responses: int = 200
    tolerance: float = 1e-7
    max_iterations: int = 300
    bootstrap_resamples: int = 200
    bootstrap_seed: int = 20261123
    # METRICS 11 flags of mart_pls_quality (transforms.pls_quality.QualityThresholds)
    quality_loading_min: float = Field(0.708, description="an outer loading passes at or above this")
    quality_reliability_min: float = Field(0.7, description="Cronbach's alpha, rho_A and rho_C pass at or above")
    quality_ave_min: float = Field(0.5, description="AVE passes at or above this")
    quality_htmt_max: float = Field(0.85, description="HTMT passes below this ...")
    quality_htmt_warn: float = Field(0.90, description="... and is a warning up to this, a fail above")
    quality_vif_max: float = Field(3.0, description="VIF of a path's predictor passes below this ...")
    quality_vif_warn: float = Field(5.0, description="... and is a warning up to this, a fail above")
    loyalty_construct: str = Field("LOY", description="construct of mart_driver_importance's total_effect_loyalty "
                                   "(no loyalty columns when the model has none)")


class CustomerValueSettings(BaseModel):
    tier_cutoffs: dict[str, float] = Field(
        default_factory=lambda: {"platinum": 0.20, "gold": 0.50, "iron": 0.80},
        description="upper rank_share bound per tier; everything above the last is lead",
    )
    tier_window_days: int = 365
    clv_horizon_days: int = 365
    clv_holdout_days: int = Field(90, ge=1, description="holdout of mart_clv_validation: BG/NBD is fitted on the "
                                  "orders up to D - this and checked on the orders after (METRICS 12)")
    snapshot_cadence: str = Field("daily", description="'daily' or 'weekly' (snapshots on Sundays)")
    snapshot_chunk_rows: int = Field(
        1_000_000, ge=1, description="snapshot rows (customers x dates) computed and committed together: "
        "bounds the refresh's memory (~1 GiB per million rows, docs/performance.md)")
    # R x F grid: key "R,F" (scores 1..5) -> segment. Documented in docs/customer-value.md.
    rfm_grid: dict[str, str] | None = None


class ChurnSettings(BaseModel):
    recency_ratio_threshold: float = 2.0
    p_alive_threshold: float = 0.5
    spend_trend_threshold: float = 0.5
    detractor_max_nps: int = 6
    nps_drop_threshold: float = -3.0
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "recency_ratio": 30.0,
            "p_alive": 25.0,
            "spend_trend": 15.0,
            "detractor": 10.0,
            "nps_drop": 5.0,
            "open_complaints": 10.0,
            "unresolved_90d": 5.0,
        },
        description="points per triggered signal; risk_score = min(100, sum)",
    )
    medium_band_min: float = 40.0
    high_band_min: float = 70.0
    backtest_horizon_days: int = 90


class AlertSettings(BaseModel):
    """METRICS 9: each rule on or off, its thresholds, and where alerts are sent (docs/alerts.md)."""

    nps_drop: bool = True
    nps_drop_critical_delta: float = Field(-10.0, description="nps_drop is critical at or below this nps_delta")
    csat_drop: bool = True
    sla_breach: bool = True
    sla_breach_pct: float = Field(80.0, description="sla_breach below this sla_met_pct ...")
    sla_breach_critical_pct: float = Field(60.0, description="... critical below this")
    sla_breach_min_closed: int = Field(10, description="sla_breach needs this many closed complaints")
    backlog_growth: bool = True
    backlog_growth_pct: float = Field(50.0, description="open_at_month_end up by this % or more vs last month")
    backlog_growth_min_open: int = Field(10, description="backlog_growth needs this many open")
    feed_missing: bool = True
    quarantine_spike: bool = True
    quarantine_spike_pct: float = Field(1.0, description="a source's quarantined share of a drop above this %")
    quarantine_spike_min_rows: int = Field(100, description="quarantine_spike judges a source's share from this "
                                           "many rows read (as the rejecting threshold does)")
    valuable_at_risk: bool = True
    valuable_at_risk_critical_count: int = Field(10, description="valuable_at_risk is critical from this count")
    notify_urls: list[str] = Field(default_factory=list, description="https://... or http://... (webhook, JSON "
                                   "POST) and smtp://user:pw@host:port?from=a@x&to=b@y,c@z[&starttls=true]")
    notify_timeout_seconds: float = Field(10.0, gt=0, description="per webhook request or SMTP session")
    notify_attempts: int = Field(3, ge=1, description="webhook tries (5xx, 429 or network errors are retried)")
    notify_backoff_seconds: float = Field(1.0, ge=0, description="wait before the 2nd try, doubled each time")

    @field_validator("notify_urls")
    @classmethod
    def _notifier_schemes(cls, urls: list[str]) -> list[str]:
        from csi.secrets import mask_url

        bad = [mask_url(u) for u in urls if u.split("://", 1)[0].lower() not in ("http", "https", "smtp", "smtps")]
        if bad:
            raise ValueError(f"a notifier URL must start with https://, http://, smtp:// or smtps://: {', '.join(bad)}")
        return urls


class TextSettings(BaseModel):
    """METRICS 13: the text configuration (docs/voice-of-customer.md); None is the shipped file."""

    topics: Path | None = Field(None, description="topic dictionary YAML (default csi/config/topics.yaml)")
    sentiment_dir: Path | None = Field(None, description="folder of the sentiment lexicons and rules.yaml "
                                       "(default csi/config/sentiment)")


CGROUP_MEMORY_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def memory_bytes(limit_files: tuple[Path, ...] = CGROUP_MEMORY_LIMITS) -> int:
    """The memory this process may use: the machine's, or its cgroup's limit when lower (a container;
    cgroup v2 writes "max" for none)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in limit_files:
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def duckdb_size(limit: str, limit_files: tuple[Path, ...] = CGROUP_MEMORY_LIMITS) -> str:
    """A duckdb_memory_limit as DuckDB reads it: a share of the memory ("25%") in MiB, a size as is."""
    if limit.endswith("%"):
        return f"{int(memory_bytes(limit_files) * float(limit[:-1]) / 100) // 2**20}MiB"
    return limit


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CSI_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    warehouse_url: SecretStr = Field(
        SecretStr("duckdb:///warehouse.duckdb"),
        description="SQLAlchemy URL of the warehouse (DuckDB file or postgresql+psycopg://)",
    )
    duckdb_memory_limit: str | None = Field(
        "25%", description="DuckDB memory_limit of the embedded warehouse: a size (4GB, 512MiB) or a share of "
        "the machine's (or container's) memory; DuckDB spills to <warehouse>.tmp above it. Empty: DuckDB's own "
        "default, 80%, which leaves too little for the polars transforms in the same process "
        "(docs/performance.md); a memory_limit in CSI_WAREHOUSE_URL wins; unused on PostgreSQL")
    landing_dir: Path = Field(Path("landing"), description="root of the landing zone")
    timezone: str = Field("Asia/Shanghai", description="business time zone (default date = yesterday here)")
    max_quarantine_pct: float = Field(5.0, description="fail a source above this quarantine share")
    quarantine_min_rows: int = Field(100, description="the share is only judged from this many rows")
    instrument_catalog: Path = Field(CONFIG_DIR / "instruments.yaml")
    data_docs_dir: Path = Field(Path("data_docs"), description="where Great Expectations writes Data Docs")
    report_dir: Path = Field(Path("reports"), description="where the HTML insight report is written "
                             "(report-<date>.html per business date and latest.html; `csi report`)")
    report_after_run: bool = Field(True, description="write the insight report after every successful run "
                                   "(`csi report` writes it either way)")
    publish_path: Path | None = Field(
        None, description="read-only DuckDB copy for BI, replaced after each run "
        "(default: <warehouse>.read.duckdb next to the DuckDB warehouse; unused on PostgreSQL)")
    load_batch_days: int = Field(
        30, ge=1, description="dates a backfill loads in one transaction (one statement per table for the "
        "batch); a crash rolls back at most one batch, and a batch that fails is loaded again date by date")
    quality_checks: bool = Field(True, description="run the Great Expectations suites after every run")
    quality_scope: Literal["changed", "all"] = Field(
        "changed", description="'changed': a run checks only the tables and partitions it wrote "
        "(`csi check` checks everything on demand); 'all': every run checks every table whole")
    work_dir: Path = Field(Path(".csi"), description="staging files, locks and Prefect-free scratch space")
    satisfaction: SatisfactionSettings = Field(default_factory=SatisfactionSettings)
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    acsi_model: AcsiModelSettings = Field(default_factory=AcsiModelSettings)
    customer_value: CustomerValueSettings = Field(default_factory=CustomerValueSettings)
    churn: ChurnSettings = Field(default_factory=ChurnSettings)
    text: TextSettings = Field(default_factory=TextSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        text = v.strip().replace(" ", "")
        share = re.fullmatch(r"(\d+(\.\d+)?)%", text)
        if share and 0 < float(share[1]) <= 100:
            return text
        if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text, re.IGNORECASE):
            raise ValueError(f"{v!r} is not a size such as 2GB, 512MiB or 25% (of the memory; empty: DuckDB's "
                             "default)")
        return text

    @field_validator("max_quarantine_pct")
    @classmethod
    def _pct_range(cls, v: float) -> float:
        if not 0 <= v <= 100:
            raise ValueError("must be between 0 and 100")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        config_file = os.environ.get("CSI_CONFIG_FILE")
        if config_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @cached_property
    def url(self) -> str:
        """The warehouse URL as engines open it: a DuckDB URL carries duckdb_memory_limit unless it
        names a memory_limit itself (every Warehouse of a run opens this one URL)."""
        raw = self.warehouse_url.get_secret_value()
        if not self.duckdb_memory_limit or not raw.lower().startswith("duckdb:"):
            return raw
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(raw)
        except ArgumentError:
            return raw  # reported as a bad URL where it is opened
        if "memory_limit" in parsed.query:
            return raw
        return parsed.update_query_dict({"memory_limit": duckdb_size(self.duckdb_memory_limit)}).render_as_string(
            hide_password=False)

    def masked(self) -> dict[str, Any]:
        """The effective configuration with the warehouse password masked."""
        from csi.secrets import mask_url

        data = self.model_dump(mode="json")
        data["warehouse_url"] = mask_url(self.warehouse_url.get_secret_value())
        from csi.secrets import mask_notify_url

        data["alerts"]["notify_urls"] = [mask_notify_url(u) for u in self.alerts.notify_urls]
        return data


class ConfigError(Exception):
    """Configuration that cannot work; the message says what and where."""


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning pydantic's and YAML's errors into one readable line."""
    import yaml
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from csi.secrets import mask_url

    config_file = os.environ.get("CSI_CONFIG_FILE")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"CSI_CONFIG_FILE={config_file}: no such file")
    try:
        return Settings(**overrides)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        raise ConfigError(f"CSI_CONFIG_FILE={config_file}: not valid YAML{at}: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    except SettingsError as exc:
        # a nested section given as one variable must be JSON (CSI_CHURN__WEIGHTS='{"p_alive": 25}')
        raise ConfigError(f"invalid configuration: {exc}; a nested value set in one variable must be JSON, "
                          "or set one key per variable (CSI_CHURN__WEIGHTS__P_ALIVE=25)") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            env = "CSI_" + "__".join(str(p) for p in err["loc"]).upper()
            value = err.get("input")
            shown = f" = {mask_url(str(value))[:80]!r}" if isinstance(value, str | int | float) else ""
            problems.append(f"{env} ({where}){shown}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
