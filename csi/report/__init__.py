"""The offline HTML insight report (`csi report`, and after every successful run).

build.py reads the marts, charts.py draws them with plotly, render.py writes the page.
Importing this package is cheap: plotly is imported only when a report is rendered.
"""

from __future__ import annotations


def write_report(*args, **kwargs):
    """csi.report.render.write_report (imported on first use)."""
    from csi.report.render import write_report as write

    return write(*args, **kwargs)
