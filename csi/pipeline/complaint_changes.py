"""Moved to csi.warehouse.complaint_changes (the warehouse package owns the SQL); this name stays
until csi.pipeline.load imports it from there."""

from csi.warehouse.complaint_changes import complaint_snapshot_change

__all__ = ["complaint_snapshot_change"]
