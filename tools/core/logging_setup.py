"""Logs go to stderr only: stdout of the stdio server carries JSON-RPC and nothing else."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mysql2ddb", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._mysql2ddb = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "aiomysql"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
