"""The notifiers against real servers on 127.0.0.1: webhook JSON, retries, errors, SMTP."""

from __future__ import annotations

from datetime import date

from csi.alerts.notify import notify

ALERT = {"rule": "feed_missing", "severity": "critical", "subject": "surveys", "period": date(2026, 2, 2),
         "period_grain": "date", "metric": "files", "value": 0.0, "previous": None, "threshold": None,
         "clv_365d_sum": None, "message": "No surveys file arrived in the drop of 2026-02-02."}
FAST = {"timeout": 5.0, "attempts": 3, "backoff": 0.01}


def test_webhook_receives_the_alerts_as_json(webhook):
    [delivery] = notify([webhook.url], [ALERT], **FAST)
    assert delivery.ok and webhook.requests == 1
    body = webhook.bodies[0]
    assert body["text"] == "csi: 1 new alert(s), 1 critical\n[critical] No surveys file arrived in the drop of " \
                           "2026-02-02."
    assert body["alerts"] == [{**ALERT, "period": "2026-02-02"}]


def test_webhook_500_is_retried_then_delivered(webhook):
    webhook.statuses = [500]
    [delivery] = notify([webhook.url], [ALERT], **FAST)
    assert delivery.ok and webhook.requests == 2 and len(webhook.bodies) == 1


def test_webhook_404_is_not_retried(webhook):
    webhook.statuses = [404]
    [delivery] = notify([webhook.url], [ALERT], **FAST)
    assert webhook.requests == 1
    assert delivery.error == f"http://127.0.0.1:{webhook.url.split(':')[2].split('/')[0]}/*** failed: HTTP 404 Not " \
                             "Found (not retried)"


def test_webhook_that_keeps_failing_gives_up_after_the_attempts(webhook):
    webhook.statuses = [503, 503, 503, 503]
    [delivery] = notify([webhook.url], [ALERT], **FAST)
    assert webhook.requests == 3 and delivery.error.endswith("HTTP 503 Service Unavailable (after 3 attempt(s))")


def test_unreachable_webhook_is_an_error_with_its_secret_masked(closed_port):
    url = f"http://127.0.0.1:{closed_port}/hook?token=s3cret-value"
    [delivery] = notify([url], [ALERT], **{**FAST, "attempts": 2})
    assert not delivery.ok
    assert "s3cret-value" not in delivery.error and "hook" not in delivery.error
    assert delivery.error.startswith(f"http://127.0.0.1:{closed_port}/*** failed: ")
    assert delivery.error.endswith("(after 2 attempt(s))")


def test_email_through_smtp_with_login(smtp_server):
    url = f"smtp://alerts:pa55word@127.0.0.1:{smtp_server.port}?from=csi@example.com&to=ops@example.com,cx@example.com"
    [delivery] = notify([url], [ALERT], **FAST)
    assert delivery.ok and delivery.url == url.replace("pa55word", "***")
    [mail] = smtp_server.messages
    assert mail["auth"] == ("alerts", "pa55word")
    assert mail["from"] == "csi@example.com" and mail["rcpt"] == ["ops@example.com", "cx@example.com"]
    assert "Subject: csi: 1 new alert(s), 1 critical" in mail["data"]
    assert "[critical] No surveys file arrived in the drop of 2026-02-02." in mail["data"]


def test_smtp_failure_is_recorded_not_raised(closed_port):
    url = f"smtp://u:topsecret@127.0.0.1:{closed_port}?from=a@x.com&to=b@y.com"
    [delivery] = notify([url], [ALERT], **FAST)
    assert delivery.error.startswith(f"smtp://u:***@127.0.0.1:{closed_port}?from=a@x.com&to=b@y.com failed: SMTP 127.0.0.1")
    assert "topsecret" not in delivery.error


def test_smtp_without_recipients_says_what_is_missing():
    [delivery] = notify(["smtp://127.0.0.1:25?from=a@x.com"], [ALERT], **FAST)
    assert delivery.error.endswith("an smtp:// notifier needs a host, ?from=address and &to=address[,address]")


def test_a_webhook_token_in_the_path_is_never_shown(closed_port):
    url = f"http://127.0.0.1:{closed_port}/services/T0001/B0002/tokenXYZ"
    [delivery] = notify([url], [ALERT], **{**FAST, "attempts": 1})
    assert delivery.url == f"http://127.0.0.1:{closed_port}/***" and "tokenXYZ" not in delivery.error
