"""--help explains each command; the epilog lists the main settings, CSI_TIMEZONE among them."""

from __future__ import annotations

import pytest

from csi.cli import main


def help_text(capsys, *command: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal width


def test_the_top_level_help_lists_the_settings_and_the_exit_statuses(capsys):
    text = help_text(capsys)
    for phrase in ("CSI_WAREHOUSE_URL", "CSI_LANDING_DIR", "CSI_WORK_DIR", "CSI_TIMEZONE", "CSI_CONFIG_FILE",
                   "whatever the host's clock or TZ", "2 nothing ran: a configuration or argument problem"):
        assert phrase in text


def test_run_help_says_force_is_accepted_and_what_allow_future_does(capsys):
    text = help_text(capsys, "run")
    assert "A nightly always (re-)runs its date" in text
    assert "`--force` is accepted but changes nothing" in text
    assert "--allow-future process a drop dated after today in CSI_TIMEZONE" in text
    assert "default: yesterday in CSI_TIMEZONE" in text


def test_backfill_demo_config_and_serve_explain_themselves(capsys):
    assert "only the unfinished dates run again" in help_text(capsys, "backfill")
    assert "--allow-future" in help_text(capsys, "backfill")
    demo = help_text(capsys, "demo")
    assert "The data land in the configured landing dir (CSI_LANDING_DIR, default ./landing)" in demo
    assert "--dir puts them elsewhere" in demo
    assert "passwords in the warehouse URL masked, in the user info and in the query string" in help_text(
        capsys, "config")
    assert "Ctrl-C stops everything it started" in help_text(capsys, "serve")


def test_run_accepts_force():
    from csi.cli import build_parser

    args = build_parser().parse_args(["run", "--date", "2026-03-01", "--force", "--allow-future"])
    assert (args.force, args.allow_future, args.date.isoformat()) == (True, True, "2026-03-01")
