"""Alerts (METRICS 9): evaluate the rules into mart_alerts and deliver them (docs/alerts.md)."""
