"""Deliver alerts to the notifiers configured by URL (`alerts.notify_urls`).

- `https://...` / `http://...`: one JSON POST per evaluation, `{"text": ..., "alerts": [...]}`
  (`text` is what chat webhooks such as Slack or Mattermost show). 5xx, 429 and
  network errors are retried `notify_attempts` times with a doubling backoff; any
  other status fails at once. Each request has `notify_timeout_seconds`.
- `smtp://user:pw@host:port?from=a@x&to=b@y,c@z[&starttls=true]` (port 25 by default)
  and `smtps://` (TLS from the start, port 465): one email listing the alerts.

A notifier never raises: `notify` returns one Delivery per URL, its error a
readable line, "<url> failed: <why>", with every secret of the URL masked: csi.secrets
for passwords and secret query values, and a webhook's path too (`shown`), since chat
webhooks carry their token there (https://hooks.slack.com/services/T../B../XXXX).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from csi.secrets import mask_notify_url, scrub

RETRY_STATUSES = {429, 500, 502, 503, 504}
TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Delivery:
    url: str  # masked
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class NotifyError(Exception):
    """A delivery that failed, said for a person (the URL's secrets are masked by the caller)."""


def summary_line(alerts: list[dict]) -> str:
    critical = sum(a["severity"] == "critical" for a in alerts)
    return f"csi: {len(alerts)} new alert(s), {critical} critical"


def payload(alerts: list[dict]) -> dict:
    fields = ("rule", "severity", "subject", "period", "period_grain", "metric", "value", "previous", "threshold",
              "clv_365d_sum", "message")
    rows = [{f: (a[f].isoformat() if f == "period" else a[f]) for f in fields} for a in alerts]
    text = "\n".join([summary_line(alerts), *(f"[{a['severity']}] {a['message']}" for a in alerts)])
    return {"text": text, "alerts": rows}


def notify(urls: list[str], alerts: list[dict], *, timeout: float, attempts: int, backoff: float) -> list[Delivery]:
    """Send the alerts to every URL; one Delivery each, never an exception."""
    out = []
    for url in urls:
        try:
            scheme = urlsplit(url).scheme.lower()
            if scheme in ("http", "https"):
                post_json(url, payload(alerts), timeout=timeout, attempts=attempts, backoff=backoff)
            elif scheme in ("smtp", "smtps"):
                send_email(url, summary_line(alerts), payload(alerts)["text"], timeout=timeout)
            else:
                raise NotifyError(f"unsupported notifier scheme {scheme!r}")
            out.append(Delivery(mask_notify_url(url)))
        except Exception as exc:  # noqa: BLE001 - a notifier's failure is recorded, never raised
            text = str(exc) if isinstance(exc, NotifyError) else f"{type(exc).__name__}: {exc}"
            text = scrub(text.replace(url, mask_notify_url(url)), url)
            out.append(Delivery(mask_notify_url(url), f"{mask_notify_url(url)} failed: {text}"))
    return out


def post_json(url: str, body: dict, *, timeout: float, attempts: int, backoff: float) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    last = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "csi-alerts"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
                response.read()
            return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code} {exc.reason}"
            if exc.code not in RETRY_STATUSES:
                raise NotifyError(f"{last} (not retried)") from None
        except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
            last = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    raise NotifyError(f"{last} (after {attempts} attempt(s))")


def send_email(url: str, subject: str, text: str, *, timeout: float) -> None:
    parts = urlsplit(url)
    query = {k: ",".join(v) for k, v in parse_qs(parts.query).items()}
    sender = query.get("from")
    recipients = [r.strip() for r in query.get("to", "").split(",") if r.strip()]
    if not sender or not recipients or not parts.hostname:
        raise NotifyError("an smtp:// notifier needs a host, ?from=address and &to=address[,address]")
    tls = parts.scheme.lower() == "smtps"
    port = parts.port or (465 if tls else 25)
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, ", ".join(recipients)
    message.set_content(text)
    smtp_class = smtplib.SMTP_SSL if tls else smtplib.SMTP
    kwargs = {"context": ssl.create_default_context()} if tls else {}
    try:
        with smtp_class(parts.hostname, port, timeout=timeout, **kwargs) as smtp:
            if not tls and query.get("starttls", "").lower() in TRUE:
                smtp.starttls(context=ssl.create_default_context())
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyError(f"SMTP {parts.hostname}:{port}: {type(exc).__name__}: {exc}") from None
