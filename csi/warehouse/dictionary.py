"""The data dictionary, generated from the table declarations.

`python -m csi.warehouse.dictionary > docs/data-dictionary.md` (`make docs`). The
declarations are the single source: the same text becomes the table and column
comments in the database, so BI tools and this page never disagree, and a
column's declared range or allowed values (the column "allowed") is exactly what
the Great Expectations suites and the generated pandera schemas
(csi/warehouse/frame_schema.py) check. A test fails when the committed page is stale.
"""

from __future__ import annotations

from csi.warehouse.declare import TableDecl

LAYERS = {"dim": "Dimensions", "fct": "Facts", "mart": "Marts", "stg": "Staging", "ops": "Operations"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_section(decl: TableDecl) -> list[str]:
    lines = [f"### `{decl.name}`", "", _cell(decl.comment), ""]
    if decl.key:
        lines += [f"Key: `{', '.join(decl.key)}`", ""]
    if decl.partition:
        lines += [f"Partition (rows written by ranges of): `{decl.partition}`", ""]
    lines += ["| column | type | null | allowed | description |", "|---|---|---|---|---|"]
    for col in decl.columns:
        lines.append(f"| `{col.name}` | {col.type} | {'yes' if col.nullable else 'no'} | {_cell(col.rule)} "
                     f"| {_cell(col.comment)} |")
    return lines + [""]


def render() -> str:
    from csi.warehouse.migrate import OPS_SCHEMA_VERSION
    from csi.warehouse.tables import TABLES
    from csi.warehouse.views import VIEWS

    tables = (*TABLES, OPS_SCHEMA_VERSION)
    out = ["# Data dictionary", "",
           "Generated from the table declarations (`csi/warehouse/tables*.py`) by "
           "`make docs`; do not edit by hand. The same text is stored as table and column "
           "comments in the warehouse.", "",
           "Types: text, int (32-bit), bigint, double, date, timestamp (naive local business "
           "time), bool.", "",
           "Allowed: the declared range (bounds inclusive unless written < or >) or set of "
           "values; the quality checks hold every row to it after each run (a null passes; "
           "\"null: no\" is the database's NOT NULL). Every key is also checked not null and "
           "unique.", ""]
    extra = sorted({d.layer for d in tables} - set(LAYERS))
    for layer, title in [*LAYERS.items(), *((x, x) for x in extra)]:
        decls = [d for d in tables if d.layer == layer]
        if decls:
            out += [f"## {title}", ""]
            for decl in decls:
                out += table_section(decl)
    out += ["## Views", "", "| view | description |", "|---|---|"]
    out += [f"| `{v.name}` | {_cell(v.comment)} |" for v in VIEWS]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
