"""The command-line shell: the `csi` command, its checks before a run, the progress bar, the
end-of-run summary and `csi serve`. It sits above the flows it launches (csi.flows)."""

from csi.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
