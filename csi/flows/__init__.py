"""Prefect 3 flows: they wrap the run owner's steps (csi.pipeline.run) as tasks."""
