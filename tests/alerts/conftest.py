"""Alert fixtures: a real webhook receiver and a real SMTP server on 127.0.0.1, and a warehouse
whose marts and ops tables hold hand-made rows."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Warehouse
from tests.hand_made import full_rows
from tests.warehouse.backends import BACKENDS, fresh_url


class Receiver:
    """Scripted HTTP statuses (then 200); every request's JSON body is kept."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.bodies: list[dict] = []
        self.requests = 0


@pytest.fixture
def webhook():
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            receiver.requests += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            if status == 200:
                receiver.bodies.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []


@pytest.fixture
def smtp_server():
    """A minimal SMTP server (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT): what smtplib speaks."""
    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            msg = {"rcpt": [], "auth": None}

            def say(line: str) -> None:
                self.wfile.write((line + "\r\n").encode())

            say("220 test ESMTP")
            while True:
                line = self.rfile.readline().decode().rstrip("\r\n")
                if not line:
                    return
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    say("250-test")
                    say("250 AUTH PLAIN")
                elif verb == "AUTH":
                    _, user, password = base64.b64decode(line.split()[2]).decode().split("\0")
                    msg["auth"] = (user, password)
                    say("235 ok")
                elif verb == "MAIL":
                    msg["from"] = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
                    say("250 ok")
                elif verb == "RCPT":
                    msg["rcpt"].append(line.split(":", 1)[1].strip().strip("<>"))
                    say("250 ok")
                elif verb == "DATA":
                    say("354 go")
                    data = []
                    while (chunk := self.rfile.readline().decode()) not in (".\r\n", ""):
                        data.append(chunk)
                    msg["data"] = "".join(data)
                    box.messages.append(dict(msg))
                    say("250 queued")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    box.port = server.server_address[1]
    yield box
    server.shutdown()
    server.server_close()


def insert_rows(wh: Warehouse, decl: TableDecl, rows: list[dict]) -> None:
    """Rows of the table: the given values, the other columns filled (tests/hand_made.full_rows)."""
    with wh.transaction() as tx:
        tx.insert(decl, full_rows(decl, rows))


@pytest.fixture(params=BACKENDS)
def alert_wh(request, tmp_path):
    """A created, empty warehouse on DuckDB and on PostgreSQL."""
    with fresh_url(request.param, tmp_path) as url:
        wh = Warehouse(url)
        create_schema(wh)
        yield wh
        wh.dispose()
