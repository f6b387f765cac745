"""Find and fingerprint every entry of one landing drop.

Layout (CONTRACT.md): <landing>/<source>/dt=YYYY-MM-DD/*.{csv,parquet,jsonl}, and
.csv.gz / .jsonl.gz. Every entry of a drop folder is reported, read or not
(docs/validation.md, "Files"): a file csi reads has status ``read``; anything
else is ``unsupported`` (another extension, a sub-folder, not a regular file) or
``refused`` (a symbolic link, or a path resolving outside the landing dir: never
opened), with a ``why``.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from csi.vocab import SOURCES

# name ending -> (format, gzip-compressed)
FORMATS = {".csv": ("csv", False), ".parquet": ("parquet", False), ".jsonl": ("jsonl", False),
           ".csv.gz": ("csv", True), ".jsonl.gz": ("jsonl", True)}
SUPPORTED = ", ".join(FORMATS)
READ, UNSUPPORTED, REFUSED = "read", "unsupported", "refused"
_DROP_NAME = re.compile(r"^dt=(\d{4})-(\d{2})-(\d{2})$")


class LandingError(Exception):
    """The landing zone is not where or what the contract says."""


@dataclass(frozen=True)
class LandingFile:
    source: str
    path: Path
    rel_path: str  # relative to the landing dir, forward slashes
    fmt: str  # csv | parquet | jsonl; "" when not read
    sha256: str  # of the bytes; "" when they are never opened (refused, folders, special files)
    size_bytes: int  # 0 when never opened
    status: str = READ  # read | unsupported | refused
    why: str = ""  # for unsupported and refused: one line saying what and why
    is_gzip: bool = False

    @property
    def is_read(self) -> bool:
        return self.status == READ


def drop_dir(landing_dir: Path, source: str, business_date: date) -> Path:
    return Path(landing_dir) / source / f"dt={business_date.isoformat()}"


def discover(landing_dir: Path, business_date: date) -> list[LandingFile]:
    """Every entry of the drop's folders, sorted by source then path; readable files have
    ``status == "read"`` (``readable(files)``), the others say why they are not read.

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
    root = landing_dir.resolve()
    entries = []
    for source, folder in dirs.items():
        if folder.is_dir():
            entries += [_entry(source, path, landing_dir, root) for path in sorted(folder.iterdir())]
    return entries


def readable(files: list[LandingFile]) -> list[LandingFile]:
    """The files csi reads (status ``read``): what duplicate detection and staging look at."""
    return [f for f in files if f.is_read]


def _entry(source: str, path: Path, landing_dir: Path, root: Path) -> LandingFile:
    rel = path.relative_to(landing_dir).as_posix()

    def not_read(status: str, why: str, sha256: str = "", size: int = 0) -> LandingFile:
        return LandingFile(source, path, rel, "", sha256, size, status, why)

    linked = [p for p in (path, path.parent, path.parent.parent) if p.is_symlink()]
    if linked:
        target = os.readlink(linked[0])
        where = "" if linked[0] == path else f" (its folder {linked[0].relative_to(landing_dir).as_posix()})"
        return not_read(REFUSED, f"a symbolic link{where} to {target}: links are never followed")
    if not path.resolve().is_relative_to(root):
        return not_read(REFUSED, f"resolves to {path.resolve()}, outside the landing dir")
    mode = path.lstat().st_mode
    if stat.S_ISDIR(mode):
        return not_read(UNSUPPORTED, "a folder: a drop folder holds files only")
    if not stat.S_ISREG(mode):
        return not_read(UNSUPPORTED, "not a regular file")
    name = path.name.lower()
    ending = next((e for e in sorted(FORMATS, key=len, reverse=True) if name.endswith(e)), None)
    if ending is None:
        suffix = "".join(path.suffixes[-2:]) or "(no extension)"
        return not_read(UNSUPPORTED, f"unsupported file type {suffix} (supported: {SUPPORTED})",
                        sha256_of(path), path.stat().st_size)
    fmt, is_gzip = FORMATS[ending]
    return LandingFile(source, path, rel, fmt, sha256_of(path), path.stat().st_size, is_gzip=is_gzip)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(files: list[LandingFile]) -> str:
    """One hash for the drop's entries: unchanged input gives the same fingerprint, any
    added, removed or changed entry (read or not) a different one. A drop of readable
    files only hashes as it did before entries were reported."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.rel_path):
        if f.is_read:
            digest.update(f"{f.rel_path}\0{f.sha256}\n".encode())
        else:  # a link's target or a folder's name is all that can change without opening it
            digest.update(f"{f.rel_path}\0{f.status}\0{f.sha256}\0{f.why}\n".encode())
    return digest.hexdigest()


def misnamed_drop_folders(landing_dir: Path) -> list[tuple[str, str]]:
    """(path relative to the landing dir, why) for every entry directly under
    <landing>/<source>/ that is not a ``dt=YYYY-MM-DD`` folder with a real date:
    such a folder or file is never read."""
    found = []
    for source in SOURCES:
        folder = Path(landing_dir) / source
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            rel = path.relative_to(landing_dir).as_posix()
            if not path.is_dir():
                found.append((rel, "a file outside any dt=YYYY-MM-DD folder: never read"))
                continue
            match = _DROP_NAME.match(path.name)
            if match is None:
                found.append((rel, "not named dt=YYYY-MM-DD: never read"))
                continue
            try:
                date(*(int(g) for g in match.groups()))
            except ValueError:
                found.append((rel, "not a calendar date: never read"))
    return found
