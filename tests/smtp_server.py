"""A real SMTP server in this process (aiosmtpd), for the notification tests: it speaks SMTP over a
loopback socket exactly as a mail relay would, and keeps what it was given so a test can count and
read the messages. Not a mock: core/notify.py talks to it through smtplib.

Handlers can refuse (an SMTP reply code per recipient), hold a message mid-DATA until released
(a worker killed mid-send), or wait until several connections are sending at once (two workers
that really overlap).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """The server's handler: what arrived, in order."""

    def __init__(self, *, refuse_rcpt: str | None = None, overlap: int = 0, overlap_timeout: float = 20):
        self.messages: list[EmailMessage] = []
        self.peers: list[str] = []  # which client port each message came from
        self.lock = threading.Lock()
        self.refuse_rcpt = refuse_rcpt  # e.g. "550 5.1.1 No such mailbox"
        self.hold = threading.Event()  # set: DATA is held until `release`
        self.holding = threading.Event()  # set by the server once a message is being held
        self.release = threading.Event()
        self.overlap = overlap  # wait until this many connections are in DATA at once
        self._in_data: set[int] = set()
        self.overlapped = threading.Event()
        self.overlap_timeout = overlap_timeout

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.peers.append(str(session.peer[1]))
        if self.overlap:
            with self.lock:
                self._in_data.add(id(session))
                if len(self._in_data) >= self.overlap:
                    self.overlapped.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.overlapped.wait, self.overlap_timeout)
        if self.hold.is_set():
            self.holding.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def outbox_ids(self) -> list[int]:
        with self.lock:
            return [int(m["X-IOP-Outbox"]) for m in self.messages]


@contextmanager
def smtp_server(inbox: Inbox | None = None, port: int | None = None):
    """Start aiosmtpd on 127.0.0.1; yields (inbox, port)."""
    inbox = inbox or Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.release.set()
        inbox.overlapped.set()
        controller.stop()


def use_smtp(monkeypatch, port: int) -> None:
    """Point the app's settings at the test server (plain SMTP on loopback)."""
    from core import config

    monkeypatch.setenv("IOP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("IOP_SMTP_PORT", str(port))
    monkeypatch.setenv("IOP_SMTP_SECURITY", "none")
    monkeypatch.setenv("IOP_MAIL_FROM", "IOP Companion <alerts@clinic.example.org>")
    monkeypatch.setenv("IOP_PUBLIC_URL", "https://iop.clinic.example.org")
    config.settings.cache_clear()
