"""Mask secrets in warehouse URLs and in any text that may carry one: the one place that does it.

A password can sit in the URL's user info (`user:pw@host`) or in its query string
(`?password=pw`, libpq's form). Every message, log line, artifact, table row and
the printed configuration goes through `mask_url` / `scrub`. A leaf module: it
imports nothing from csi.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

MASK = "***"
# query-string keys that carry a secret (libpq, psycopg, generic)
SECRET_KEYS = ("password", "passwd", "pwd", "pass", "secret", "token", "sslpassword", "api_key", "apikey")
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<user>[^:/@?#]*):(?P<pw>[^@/?#]*)@")
_KEYS = "|".join(SECRET_KEYS)
_QUERY = re.compile(rf"(?P<key>(?:^|[?&;])(?:{_KEYS})=)(?P<value>[^&;#\s'\"]*)", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL with the password of its user info and every secret query parameter replaced by ***."""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@" if m["pw"] else m[0], url)
    # a value already masked stays as it is: masking twice must not eat what follows `***`
    return _QUERY.sub(lambda m: f"{m['key']}{MASK}" if m["value"] and not m["value"].startswith(MASK) else m[0],
                      masked)


def secrets_of(url: str) -> list[str]:
    """Every secret value in the URL (user-info password, secret query values), longest first."""
    found = []
    m = _USERINFO.search(url)
    if m and m["pw"]:
        found.append(m["pw"])
    query = url.split("?", 1)[1] if "?" in url else ""
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key.lower() in SECRET_KEYS and value:
            found.append(value)
    for value in list(found):  # the URL-decoded and the raw form may both appear in messages
        found += [unquote(value), quote(value, safe="")]
    return sorted({v for v in found if v}, key=len, reverse=True)


def scrub(text: str | None, url: str | None) -> str | None:
    """The text with the URL masked and every secret of the URL replaced by *** wherever it appears."""
    if text is None or not url:
        return text
    text = text.replace(url, mask_url(url))
    for secret in secrets_of(url):
        text = text.replace(secret, MASK)
    return mask_url(text)


def mask_notify_url(url: str) -> str:
    """The URL as logs, tables and `csi config` may show it: secrets masked, a webhook's path and
    query replaced by /*** (its token may be there)."""
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and (parts.path not in ("", "/") or parts.query):
        host = mask_url(f"{parts.scheme}://{parts.netloc}")
        return f"{host}/***"
    return mask_url(url)
