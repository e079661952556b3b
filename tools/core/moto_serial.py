"""moto's server app, run one request at a time: `python -m mysql2ddb.tools.core.moto_serial -H 127.0.0.1 -p PORT`.

`python -m moto.server` serves every connection in its own thread, and moto's backends are not
thread-safe: two BatchWriteItem requests in flight that write the same new partition key can both
create that partition's item dict (`Table.items` is a defaultdict keyed by a DynamoType whose
Python `__hash__`/`__eq__` let another thread run between the miss and the insert), and the later
one replaces the earlier one's, losing items that were already answered 200 (tests/test_moto_integrity.py
shows it). Here the threaded server stays (keep-alive connections from the copy engine's many
workers are all served), but the app itself runs under one lock: request bodies are read and
answers written outside the lock, only moto's work is serialized.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import sys
import threading
from typing import Any, Callable, Iterable


class SerialApp:
    """A WSGI app wrapper that lets one request at a time into `app`."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        _buffer_body(environ)  # a slow client must not hold the lock while it sends
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)  # a generator body may still touch the backend: drain it here
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        return [body]


def _buffer_body(environ: dict[str, Any]) -> None:
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        data = environ["wsgi.input"].read(int(length))
    elif environ.get("wsgi.input_terminated"):  # chunked: werkzeug's stream ends at the last chunk
        data = environ["wsgi.input"].read()
    else:
        return
    environ["wsgi.input"] = io.BytesIO(data)


def build_app() -> SerialApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto.server does: errors come back as responses, not dropped connections
    from mysql2ddb.tools.core import moto_reads, moto_scan

    moto_reads.install()  # Scan/Query pages without moto's slow generic serializer (moto_reads.py says why)
    moto_scan.install()  # Scan pages found by binary search, not by walking the table (moto_scan.py)
    return SerialApp(app)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs (SQS queues) from it

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, build_app(), threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
