"""Running the k6 binary: a clean environment, the summary captured, exit codes classified.

k6 runs with ``--no-usage-report`` (no traffic but the test's), ``--address ""`` (no REST API
port, so runs never collide), ``--quiet --no-color`` and trend stats including p(99). Its
environment is built, not inherited: ``BASE_URL``, ``K6_SUMMARY_PATH``, the profile's variables
(``K6_DURATION``, ``K6_VUS``, any ``--env``) and a few system variables (PATH, HOME, proxies,
CA bundle) — a stray ``K6_*`` variable of the caller never changes a baseline run.

k6's exit codes (go.k6.io/k6/errext/exitcodes) and what the job makes of them:

====  =======================  ==========================================================
0     ok                       judged against the baseline
99    thresholds failed        recorded with verdict ``failed``, never accepted (exit 1)
110   marked failed            (``exec.test.fail()``) same as 99
104   invalid config           bad input (exit 2): fix the scenario or its options
107   script exception         bad input (exit 2)
108   script aborted           bad input (exit 2)
other engine, timeout, abort   dependency/run failure (exit 3): may be retried
====  =======================  ==========================================================
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

from kindops.errors import ConfigError, DependencyError

log = logging.getLogger("kindops.k6")

THRESHOLDS_FAILED = 99
MARKED_FAILED = 110
#: Codes after which the summary is judged (the run happened; it broke its limits).
JUDGED_CODES = frozenset({0, THRESHOLDS_FAILED, MARKED_FAILED})
BAD_INPUT_CODES = {104: "invalid configuration", 107: "script exception", 108: "script aborted"}
OTHER_CODES = {
    97: "cloud test failed",
    98: "cloud progress unavailable",
    100: "setup() timed out",
    101: "teardown() timed out",
    102: "timed out",
    103: "engine error",
    105: "aborted from outside (signal)",
    106: "cannot start the REST API",
    109: "Go panic",
}
TREND_STATS = "avg,min,med,max,p(90),p(95),p(99)"
PASS_THROUGH = (
    "PATH",
    "HOME",
    "TMPDIR",
    "TZ",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
SUMMARY_NAME = "summary.json"
#: k6's console output is kept as evidence, capped (a failing stress run warns per request).
OUTPUT_KEEP_LINES = 500


def cap_output(text: str, keep: int = OUTPUT_KEEP_LINES) -> str:
    """The first and last ``keep`` lines of ``text``, with a marker for what was left out."""
    lines = text.splitlines()
    if len(lines) <= 2 * keep:
        return text
    cut = len(lines) - 2 * keep
    return "\n".join([*lines[:keep], f"... {cut} lines left out ...", *lines[-keep:]]) + "\n"


@dataclass
class K6Run:
    command: list[str]
    exit_code: int
    output: str
    summary: bytes | None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def last_line(self) -> str:
        lines = [line for line in self.output.splitlines() if line.strip()]
        return lines[-1].strip() if lines else "(no output)"


def profile(env: Mapping[str, str]) -> str:
    """A name for how a run was shaped; runs of different profiles are never compared."""
    parts = [f"{k}={v}" for k, v in sorted(env.items()) if v != ""]
    return ",".join(parts) if parts else "default"


def version(binary: str) -> str:
    try:
        done = subprocess.run(
            [binary, "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError as exc:
        raise ConfigError(f"cannot run k6 at {binary}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise DependencyError(f"k6 at {binary} did not answer `k6 version` in 30 s") from None
    words = done.stdout.split()
    return words[1] if len(words) > 1 and words[0] == "k6" else done.stdout.strip()[:80]


def probe(base_url: str, timeout: float = 10.0) -> None:
    """Fail fast (exit 3) when the app does not answer at all; any HTTP status counts as up."""
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"base URL {base_url!r} is not an http(s) URL")
    try:
        requests.get(base_url, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise DependencyError(f"the app at {base_url} is unreachable: {exc}") from None


def run(
    binary: str,
    script: Path,
    base_url: str,
    shape: Mapping[str, str],
    workdir: Path,
    timeout: float | None = None,
) -> K6Run:
    """Run ``script`` once; the summary is whatever ``handleSummary`` wrote, if anything."""
    summary_path = workdir / SUMMARY_NAME
    env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
    env.setdefault("HOME", str(workdir))
    env.update({k: v for k, v in shape.items() if v != ""})
    env.update({"BASE_URL": base_url, "K6_SUMMARY_PATH": str(summary_path)})
    command = [
        binary,
        "run",
        "--quiet",
        "--no-color",
        "--no-usage-report",
        "--address",
        "",
        f"--summary-trend-stats={TREND_STATS}",
        str(script),
    ]
    log.info("k6 starting", extra={"script": str(script), "base_url": base_url, **shape})
    try:
        done = subprocess.run(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except OSError as exc:
        raise ConfigError(f"cannot run k6 at {binary}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise DependencyError(f"k6 did not finish {script.name} within {timeout} s") from None
    summary = summary_path.read_bytes() if summary_path.is_file() else None
    result = K6Run(command, done.returncode, cap_output(done.stdout), summary, env)
    log.info("k6 finished", extra={"exit_code": done.returncode, "last": result.last_line})
    return result


def check_exit(result: K6Run, where: str) -> None:
    """Raise the job error for an exit code after which there is nothing to judge."""
    code = result.exit_code
    if code in JUDGED_CODES:
        return
    if code in BAD_INPUT_CODES:
        raise ConfigError(f"k6 {where}: {BAD_INPUT_CODES[code]} (exit {code}): {result.last_line}")
    what = OTHER_CODES.get(code, "killed by a signal" if code < 0 else "failed")
    raise DependencyError(f"k6 {where}: {what} (exit {code}): {result.last_line}")
