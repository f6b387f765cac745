"""Data Docs work offline: every script and stylesheet is a shipped local copy, and the index
lists the validation results in headless Chromium with every host unresolvable."""

from __future__ import annotations

import re
import subprocess

from csi.quality.checkpoint import CDN_ASSETS, DOCS_ASSETS

TAG_URL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"']([^\"']+)", re.IGNORECASE)


def test_no_script_or_stylesheet_comes_from_the_network(data_docs, data_docs_suites):
    pages = list(data_docs.parent.rglob("*.html"))
    assert len(pages) >= 1 + 2 * len(data_docs_suites)  # index, an expectation page and a validation page per suite
    for page in pages:
        urls = TAG_URL.findall(page.read_text(encoding="utf-8"))
        assert urls, page
        online = [u for u in urls if re.match(r"(?i)https?:", u)]
        assert online == [], f"{page}: {online}"
        shipped = [u for u in urls if "static/offline/" in u]
        assert len(shipped) == 12, page  # 6 stylesheets, 6 scripts
        for u in shipped:  # (GX's own favicon link is one level short on validation pages: not ours)
            assert (page.parent / u).is_file(), f"{page}: {u}"


def test_every_mapped_asset_is_shipped():
    for asset in CDN_ASSETS.values():
        assert (DOCS_ASSETS / asset).stat().st_size > 400, asset  # the smallest, filter-control CSS: 429 B
    css = (DOCS_ASSETS / "css/fontawesome-6.6.0.min.css").read_text(encoding="utf-8")
    for font in set(re.findall(r"url\(\.\./webfonts/([\w.-]+\.woff2)\)", css)):
        assert (DOCS_ASSETS / "webfonts" / font).is_file(), font


def test_index_lists_the_validation_results_without_network(chromium, data_docs, data_docs_suites, tmp_path):
    proc = subprocess.run(
        [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--virtual-time-budget=5000", "--dump-dom", data_docs.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    # bootstrap-table renders one row per validation result (data-index), only once its JS ran
    rows = re.findall(r'<tr class="clickable-row" data-href="validations/(\w+)/[^"]*" data-index="\d+"', dom)
    assert sorted(set(rows)) == sorted(t.name for t in data_docs_suites)
    assert "Validation Results" in dom
