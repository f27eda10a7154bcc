"""``orders-healthcheck``: the image's HEALTHCHECK, for the API and the worker alike.

- worker: WORKER_HEARTBEAT_FILE exists -> healthy while it was touched in the last
  HEALTHCHECK_MAX_AGE_SECONDS (default 60; the worker touches it at every poll);
- API: GET http://127.0.0.1:${API_PORT}/healthz/live answers 200.
Exit 0 when healthy, 1 with one line on stderr otherwise. Standard library only.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path


def check() -> str | None:
    """None when healthy, else the reason."""
    heartbeat = os.environ.get("WORKER_HEARTBEAT_FILE", "").strip()
    if heartbeat and Path(heartbeat).exists():
        max_age = float(os.environ.get("HEALTHCHECK_MAX_AGE_SECONDS", "60"))
        age = time.time() - Path(heartbeat).stat().st_mtime
        return None if age <= max_age else f"worker heartbeat is {age:.0f}s old"
    port = os.environ.get("API_PORT", "8000")
    url = f"http://127.0.0.1:{port}/healthz/live"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            status = int(response.status)
    except OSError as exc:
        return f"{url}: {exc}"
    return None if status == 200 else f"{url}: HTTP {status}"


def main() -> None:
    reason = check()
    if reason is not None:
        sys.stderr.write(f"unhealthy: {reason}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
