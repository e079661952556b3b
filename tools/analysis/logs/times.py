"""Log timestamps -> whole epoch seconds (the 1-second buckets), cached per distinct second.

Formats: ISO 8601 (MySQL 5.7+: `2024-01-15T10:23:45.123456Z`, or with an offset under
log_timestamps=SYSTEM), `YYMMDD H:MM:SS` (MariaDB, MySQL <= 5.6; server local time, no zone),
and `SET timestamp=<epoch>` in slow logs. Times without a zone are taken as they are written
(`local` is set so the window says so).
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime

MAX_CACHE = 100_000


class Clock:
    def __init__(self) -> None:
        self._cache: dict[str, int | None] = {}
        self.local = False  # some timestamp had no zone

    def parse(self, raw: str) -> int | None:
        """Epoch seconds of a log timestamp, None when `raw` is not one."""
        hit = self._cache.get(raw, -1)
        if hit != -1:
            return hit
        if len(raw) > 19 and raw[4] == "-" and raw[10] in "T ":
            key = raw[:19] + ("Z" if raw[-1] == "Z" else _zone(raw))  # fractions do not matter
            hit = self._cache.get(key, -1)
            if hit != -1:
                return hit
        else:
            key = raw
        value = self._parse(key)
        if len(self._cache) >= MAX_CACHE:
            self._cache.clear()
        self._cache[key] = value
        return value

    def _parse(self, key: str) -> int | None:
        try:
            if len(key) >= 19 and key[4] == "-":
                zone = key[19:]
                dt = datetime.fromisoformat(key[:10] + "T" + key[11:19] + ("+00:00" if zone == "Z" else zone))
                if dt.tzinfo is None:
                    self.local = True
                    return calendar.timegm(dt.timetuple())
                return int(dt.timestamp())
            if len(key) >= 13 and key[:6].isdigit() and key[6] == " ":
                t = time.strptime(" ".join(key.split()), "%y%m%d %H:%M:%S")
                self.local = True
                return calendar.timegm(t)
        except ValueError:
            return None
        return None


def _zone(raw: str) -> str:
    rest = raw[19:]
    if rest.startswith("."):
        i = 1
        while i < len(rest) and rest[i].isdigit():
            i += 1
        rest = rest[i:]
    return rest.strip()
