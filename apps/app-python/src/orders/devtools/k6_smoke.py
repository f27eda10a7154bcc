"""``python -m orders.devtools.k6_smoke``: the k6 smoke scenario against a local stack.

Starts moto_server, bootstraps queue + DLQ + table, starts the API and the worker, runs
``include/k6/app-python/smoke.js`` with the real k6 binary, stops everything (also on failure or
SIGTERM) and exits with k6's exit code.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path

import typer

from orders.devtools.stack import LocalStack, MotoServer, terminate_on_signals
from orders.devtools.tools import find_k6, k6_dir

log = logging.getLogger(__name__)
app = typer.Typer(add_completion=False)


def run_smoke(
    workdir: Path,
    scenario: Path,
    duration: str,
    vus: int,
    summary: Path,
    pricing_url: str = "",
) -> int:
    moto: MotoServer | None = None
    stack: LocalStack | None = None
    with terminate_on_signals():
        try:
            moto = MotoServer(workdir / "moto_server.log")
            stack = LocalStack(
                workdir, moto.url, name="orders-smoke", env={"PRICING_URL": pricing_url}
            )
            stack.bootstrap()
            stack.start_api()
            stack.start_worker()
            typer.echo(f"stack up: API {stack.base_url}, AWS API {moto.url}, logs in {workdir}")
            env = {
                **os.environ,
                "BASE_URL": stack.base_url,
                "K6_DURATION": duration,
                "K6_VUS": str(vus),
                "K6_SUMMARY_PATH": str(summary),
                "K6_NO_USAGE_REPORT": "true",
            }
            result = subprocess.run(
                [find_k6(), "run", "--quiet", str(scenario)], env=env, check=False, timeout=1800
            )
            if result.returncode != 0:
                for process in stack.processes:
                    typer.echo(f"--- last lines of {process.log_path.name} ---", err=True)
                    typer.echo("\n".join(process.text().splitlines()[-20:]), err=True)
            return result.returncode
        finally:
            if stack is not None:
                stack.stop()
            if moto is not None:
                moto.stop()


@app.command()
def main(
    scenario: Path | None = typer.Option(None, help="k6 script (default: app-python smoke)."),
    duration: str = typer.Option("10s", envvar="K6_DURATION", help="k6 duration."),
    vus: int = typer.Option(1, envvar="K6_VUS", min=1, help="Virtual users."),
    summary: Path = typer.Option(
        Path("k6-smoke-summary.json"), envvar="K6_SUMMARY_PATH", help="JSON summary path."
    ),
    workdir: Path | None = typer.Option(None, help="Where logs go (default: a temp dir)."),
    pricing_url: str = typer.Option("", envvar="PRICING_URL", help="app-java URL, if any."),
) -> None:
    """Run the app-python k6 smoke scenario against a local stack; exit with k6's code."""
    logging.basicConfig(level=logging.WARNING)
    script = scenario or k6_dir() / "app-python" / "smoke.js"
    if not script.exists():
        typer.echo(f"k6-smoke: scenario not found: {script}", err=True)
        raise typer.Exit(2)
    directory = workdir or Path(tempfile.mkdtemp(prefix="orders-k6-smoke-"))
    directory.mkdir(parents=True, exist_ok=True)
    code = run_smoke(directory, script, duration, vus, summary.resolve(), pricing_url)
    typer.echo(f"k6 smoke exit code {code}; summary {summary}")
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
