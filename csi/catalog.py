"""The survey instrument catalog and the satisfaction model, read from configuration.

One row per question id (METRICS.md section 1). The catalog drives validation
(scales, text questions) and the marts (constructs, SERVQUAL dimensions, KANO
features), so adding a question needs no code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from csi.settings import CONFIG_DIR, ConfigError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available

CATALOG_SCHEMA = {
    "question_id": pl.String,
    "instrument": pl.String,
    "scale_min": pl.Float64,
    "scale_max": pl.Float64,
    "is_text": pl.Boolean,
    "construct": pl.String,
    "dimension": pl.String,
    "statement_no": pl.Int32,
    "kind": pl.String,
    "is_reverse": pl.Boolean,
    "feature": pl.String,
}


def load_catalog(path: Path) -> pl.DataFrame:
    """Read the catalog YAML into a frame with CATALOG_SCHEMA (one row per question).

    Cached per file content: every drop and mart family asks for it, and parsing
    YAML is slower than validating a small drop."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"instrument catalog {path}: cannot read it ({exc})") from None
    return _parse_catalog(str(path), text).clone()


@lru_cache(maxsize=8)
def _parse_catalog(path: str, text: str) -> pl.DataFrame:
    try:
        doc = yaml.load(text, Loader=_LOADER)
        rows = doc["questions"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"instrument catalog {path}: cannot read it ({exc})") from None
    records = [{k: row.get(k) for k in CATALOG_SCHEMA} for row in rows]
    frame = pl.DataFrame(records, schema=CATALOG_SCHEMA).with_columns(
        pl.col("is_text").fill_null(False), pl.col("is_reverse").fill_null(False)
    )
    dupes = frame.filter(pl.col("question_id").is_duplicated())["question_id"].unique().sort()
    if len(dupes):
        raise ConfigError(f"instrument catalog {path}: duplicate question ids {dupes.to_list()}")
    bad = frame.filter(~pl.col("is_text") & (pl.col("scale_min").is_null() | pl.col("scale_max").is_null()))
    if len(bad):
        raise ConfigError(
            f"instrument catalog {path}: numeric questions need scale_min and scale_max: "
            f"{bad['question_id'].to_list()}"
        )
    return frame


@dataclass(frozen=True)
class SatisfactionModel:
    """A structural model: constructs with their items, and directed paths."""

    name: str
    index_construct: str
    constructs: dict[str, list[str]]
    paths: list[tuple[str, str]]

    @property
    def items(self) -> list[str]:
        return [item for items in self.constructs.values() for item in items]


def load_model(name_or_path: str) -> SatisfactionModel:
    """Load 'acsi', 'ecsi' or a model YAML path, checking paths name known constructs."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / "models" / f"{name_or_path}.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        model = SatisfactionModel(
            name=doc["name"],
            index_construct=doc["index_construct"],
            constructs={k: list(v) for k, v in doc["constructs"].items()},
            paths=[(a, b) for a, b in doc["paths"]],
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"satisfaction model {path}: cannot read it ({exc})") from None
    unknown = {c for p in model.paths for c in p} - set(model.constructs)
    if unknown or model.index_construct not in model.constructs:
        raise ConfigError(f"satisfaction model {path}: unknown constructs {sorted(unknown)}")
    return model
