"""A hostile "MySQL server" on 127.0.0.1: it greets clients with the mysql_clear_password plugin, so
a client that holds a password sends it in clear text, records every byte of the client's reply,
then refuses the login. Tests point a caller-supplied DSN at it to prove the server's configured
password never travels to a host the caller chose."""

from __future__ import annotations

import socket
import struct
import threading


def _packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def _greeting() -> bytes:
    caps = 0x1 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000  # long password, db, 4.1, transactions, secure, plugin
    salt = b"abcdefghijklmnopqrst"
    payload = (b"\x0a" + b"5.7.99-hostile\x00" + struct.pack("<I", 7) + salt[:8] + b"\x00"
               + struct.pack("<H", caps & 0xFFFF) + bytes([33]) + struct.pack("<H", 2)
               + struct.pack("<H", caps >> 16) + bytes([21]) + b"\x00" * 10 + salt[8:] + b"\x00"
               + b"mysql_clear_password\x00")
    return _packet(0, payload)


def _refusal(seq: int) -> bytes:
    return _packet(seq, b"\xff" + struct.pack("<H", 1045) + b"#28000" + b"Access denied (hostile test server)")


class HostileMySql:
    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.received = bytearray()
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.sendall(_greeting())
                    self.received += conn.recv(65536)
                    # ask again for the clear-text plugin: clients that scrambled the first answer send it plain now
                    conn.sendall(_packet(2, b"\xfe" + b"mysql_clear_password\x00"))
                    self.received += conn.recv(65536)
                    conn.sendall(_refusal(4))
                except OSError:
                    pass

    def __enter__(self) -> "HostileMySql":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()
