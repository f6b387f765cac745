"""Landing rows -> valid typed rows and quarantined rows with every reason (docs/validation.md).

`validate` runs a source's landing model (schemas/landing_*.py); `rules` builds its row
checks as polars expressions; `casting` parses text without ever coercing a bad value."""
