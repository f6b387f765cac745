"""The Prefect deployments of csi (deployments/prefect.yaml) and the copy `csi serve` deploys,
with its overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PREFECT_FILE = REPO / "deployments" / "prefect.yaml"
POOL = "csi-local"


def render_prefect_file(
    dst: Path,
    *,
    src: Path = PREFECT_FILE,
    cron: str | None = None,
    timezone: str | None = None,
    pool: str | None = None,
    nightly_parameters: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Path:
    """A copy of prefect.yaml with overrides: the nightly cron/time zone, the work pool,
    nightly parameters and environment variables of every deployment's flow runs."""
    config = yaml.safe_load(Path(src).read_text(encoding="utf-8"))
    for dep in config["deployments"]:
        if pool:
            dep["work_pool"]["name"] = pool
        if env:
            job = dep["work_pool"].setdefault("job_variables", {}) or {}
            job["env"] = {**(job.get("env") or {}), **env}
            dep["work_pool"]["job_variables"] = job
        if dep["name"] == "nightly":
            for schedule in dep.get("schedules") or []:
                if cron:
                    schedule["cron"] = cron
                if timezone:
                    schedule["timezone"] = timezone
            if nightly_parameters:
                dep["parameters"] = {**(dep.get("parameters") or {}), **nightly_parameters}
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Path(dst)
