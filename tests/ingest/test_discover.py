"""Every entry of a drop is reported: read, unsupported or refused (never opened); misnamed
drop folders are named."""

from __future__ import annotations

import hashlib
import os

from csi.ingest.discover import discover, fingerprint, misnamed_drop_folders, readable
from tests.ingest.conftest import DROP, D

HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"  # sha256(b"hello")
SUPPORTED = ".csv, .parquet, .jsonl, .csv.gz, .jsonl.gz"


def _rows(landing):
    return [(f.rel_path, f.status, f.fmt, f.is_gzip, f.sha256 if f.status != "read" else "*", f.size_bytes, f.why)
            for f in discover(landing, D)]


def test_every_entry_of_a_drop_is_reported(tmp_path, put):
    landing = tmp_path / "landing"
    put(f"landing/sales/{DROP}/a.csv", b"x\n1\n")
    put(f"landing/sales/{DROP}/b.txt", b"hello")
    put(f"landing/sales/{DROP}/c.XLSX", b"hello")
    put(f"landing/sales/{DROP}/d.jsonl.gz", b"\x1f\x8b")
    put(f"landing/sales/{DROP}/sub/e.csv", b"x\n1\n")
    outside = put("elsewhere/secret.csv", b"x\n1\n")
    os.symlink(outside, landing / f"sales/{DROP}/link.csv")
    os.mkfifo(landing / f"sales/{DROP}/pipe.csv")
    assert _rows(landing) == [
        (f"sales/{DROP}/a.csv", "read", "csv", False, "*", 4, ""),
        (f"sales/{DROP}/b.txt", "unsupported", "", False, HELLO_SHA256, 5,
         f"unsupported file type .txt (supported: {SUPPORTED})"),
        (f"sales/{DROP}/c.XLSX", "unsupported", "", False, HELLO_SHA256, 5,
         f"unsupported file type .XLSX (supported: {SUPPORTED})"),
        (f"sales/{DROP}/d.jsonl.gz", "read", "jsonl", True, "*", 2, ""),
        (f"sales/{DROP}/link.csv", "refused", "", False, "", 0,
         f"a symbolic link to {outside}: links are never followed"),
        (f"sales/{DROP}/pipe.csv", "unsupported", "", False, "", 0, "not a regular file"),
        (f"sales/{DROP}/sub", "unsupported", "", False, "", 0, "a folder: a drop folder holds files only"),
    ]
    assert [f.rel_path for f in readable(discover(landing, D))] == [f"sales/{DROP}/a.csv", f"sales/{DROP}/d.jsonl.gz"]


def test_a_link_inside_the_landing_dir_is_refused_too(tmp_path, put):
    landing = tmp_path / "landing"
    put(f"landing/sales/{DROP}/a.csv", b"x\n1\n")
    os.symlink("a.csv", landing / f"sales/{DROP}/b.csv")
    [a, b] = discover(landing, D)
    assert (a.status, b.status, b.why) == ("read", "refused", "a symbolic link to a.csv: links are never followed")


def test_a_linked_drop_folder_refuses_its_files(tmp_path, put):
    landing = tmp_path / "landing"
    put(f"landing/sales/{DROP}/a.csv", b"x\n1\n")
    put("elsewhere/x.csv", b"x\n1\n")
    (landing / "surveys").mkdir()
    os.symlink(tmp_path / "elsewhere", landing / f"surveys/{DROP}")
    [_, x] = discover(landing, D)
    assert (x.rel_path, x.status, x.why) == (
        f"surveys/{DROP}/x.csv", "refused",
        f"a symbolic link (its folder surveys/{DROP}) to {tmp_path / 'elsewhere'}: links are never followed")


def test_fingerprint_of_readable_files_is_unchanged_and_any_entry_changes_it(tmp_path, put):
    landing = tmp_path / "landing"
    put(f"landing/sales/{DROP}/a.csv", b"x\n1\n")
    a_sha = hashlib.sha256(b"x\n1\n").hexdigest()
    # the format used before unread entries were reported: drops of readable files keep their hash
    assert fingerprint(discover(landing, D)) == hashlib.sha256(f"sales/{DROP}/a.csv\0{a_sha}\n".encode()).hexdigest()
    seen = {fingerprint(discover(landing, D))}
    note = put(f"landing/sales/{DROP}/note.txt", b"hello")
    seen.add(fingerprint(discover(landing, D)))
    note.write_bytes(b"hello!")
    seen.add(fingerprint(discover(landing, D)))
    os.symlink("a.csv", landing / f"sales/{DROP}/link.csv")
    seen.add(fingerprint(discover(landing, D)))
    os.remove(landing / f"sales/{DROP}/link.csv")
    os.symlink("note.txt", landing / f"sales/{DROP}/link.csv")
    seen.add(fingerprint(discover(landing, D)))
    (landing / f"sales/{DROP}/sub").mkdir()
    seen.add(fingerprint(discover(landing, D)))
    assert len(seen) == 6


def test_misnamed_drop_folders(tmp_path, put):
    landing = tmp_path / "landing"
    for folder in ("sales/dt=2024-02-29", "sales/dt=2024-02-30", "sales/dt=yesterday", "sales/2024-02-01",
                   "complaints/dt=2026-1-5", "complaints/dt=2026-13-01"):
        (landing / folder).mkdir(parents=True)
    put("landing/sales/orders.csv", b"x\n")
    put("landing/_manifest/files.json", b"{}")  # outside the source folders: not a drop folder
    assert misnamed_drop_folders(landing) == [
        ("sales/2024-02-01", "not named dt=YYYY-MM-DD: never read"),
        ("sales/dt=2024-02-30", "not a calendar date: never read"),
        ("sales/dt=yesterday", "not named dt=YYYY-MM-DD: never read"),
        ("sales/orders.csv", "a file outside any dt=YYYY-MM-DD folder: never read"),
        ("complaints/dt=2026-1-5", "not named dt=YYYY-MM-DD: never read"),
        ("complaints/dt=2026-13-01", "not a calendar date: never read"),
    ]
    assert misnamed_drop_folders(tmp_path / "nope") == []
