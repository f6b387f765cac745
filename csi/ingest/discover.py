"""Find and fingerprint the files of one landing drop.

Layout (CONTRACT.md): <landing>/<source>/dt=YYYY-MM-DD/*.{csv,parquet,jsonl}.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SOURCES = ("sales", "surveys", "complaints")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}


class LandingError(Exception):
    """The landing zone is not where or what the contract says."""


@dataclass(frozen=True)
class LandingFile:
    source: str
    path: Path
    rel_path: str  # relative to the landing dir, forward slashes
    fmt: str
    sha256: str
    size_bytes: int


def drop_dir(landing_dir: Path, source: str, business_date: date) -> Path:
    return Path(landing_dir) / source / f"dt={business_date.isoformat()}"


def discover(landing_dir: Path, business_date: date) -> list[LandingFile]:
    """Every landing file of the drop, sorted by source then path.

    Raises LandingError when the landing dir is missing or no source has a folder
    for the date; a source without a folder simply has no files that day.
    """
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        raise LandingError(f"landing dir {landing_dir} does not exist (set CSI_LANDING_DIR)")
    dirs = {s: drop_dir(landing_dir, s, business_date) for s in SOURCES}
    if not any(d.is_dir() for d in dirs.values()):
        expected = landing_dir / "{sales,surveys,complaints}" / f"dt={business_date.isoformat()}"
        raise LandingError(f"no drop for {business_date}: none of {expected} exists")
    files = []
    for source, folder in dirs.items():
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            fmt = FORMATS.get(path.suffix.lower())
            if fmt is None or not path.is_file():
                continue
            files.append(LandingFile(source, path, path.relative_to(landing_dir).as_posix(), fmt,
                                     sha256_of(path), path.stat().st_size))
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(files: list[LandingFile]) -> str:
    """One hash for the drop's content: unchanged input gives the same fingerprint."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.rel_path):
        digest.update(f"{f.rel_path}\0{f.sha256}\n".encode())
    return digest.hexdigest()
