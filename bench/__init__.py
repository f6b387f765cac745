"""The csi benchmark: `make bench SCALE=1` (see docs/performance.md)."""
