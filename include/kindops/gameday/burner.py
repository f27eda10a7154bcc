"""A bounded CPU burner: ``python -m kindops.gameday.burner --seconds N``.

The local runner's ``pod-cpu-hog``: one process per core, each spinning until its deadline. It is
bounded twice — by its own deadline and by ``RLIMIT_CPU`` (the kernel kills it a second past its
budget) — so a burner orphaned by a crashed run cannot outlive the fault by more than that.
"""

from __future__ import annotations

import argparse
import resource
import time


def burn(seconds: float) -> int:
    """Spin until ``seconds`` have passed; returns the number of loop iterations."""
    deadline = time.monotonic() + seconds
    spins = 0
    while time.monotonic() < deadline:
        for _ in range(10_000):
            spins += 1
    return spins


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Burn one CPU core for a bounded time.")
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 3600:
        parser.error("--seconds must be in (0, 3600]")
    limit = int(args.seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    burn(args.seconds)


if __name__ == "__main__":
    main()
