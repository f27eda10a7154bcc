"""``python -m orders.devtools.run_local``: the orders stack on this machine, for the lab demo.

Starts an OTLP sink (stands in for the collector), moto_server (SQS + DynamoDB APIs), bootstraps
the queue, DLQ and table, then the API and the worker; prints the URLs; with ``--demo`` runs the
traced-order demo. Runs until Ctrl-C (or exits after the demo with ``--exit-after-demo``) and
stops every process it started.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import typer

from orders.devtools.demo import render, traced_order
from orders.devtools.otlp_sink import OtlpSink
from orders.devtools.stack import LocalStack, MotoServer, terminate_on_signals

app = typer.Typer(add_completion=False)


@app.command()
def main(
    api_port: int = typer.Option(8000, help="API port on 127.0.0.1."),
    moto_port: int = typer.Option(0, help="AWS-API server port (0: any free port)."),
    pricing_url: str = typer.Option(
        "", envvar="PRICING_URL", help="app-java URL; empty: local prices."
    ),
    admin_token: str = typer.Option("", envvar="ADMIN_TOKEN", help="Enables /admin/faults."),
    demo: bool = typer.Option(True, help="Run the traced-order demo once the stack is up."),
    exit_after_demo: bool = typer.Option(False, help="Stop everything after the demo."),
    workdir: Path | None = typer.Option(None, help="Where logs go (default: a temp dir)."),
) -> None:
    """Start the local orders stack (and the traced-order demo)."""
    logging.basicConfig(level=logging.WARNING)
    directory = workdir or Path(tempfile.mkdtemp(prefix="orders-local-"))
    directory.mkdir(parents=True, exist_ok=True)
    sink = OtlpSink()
    moto: MotoServer | None = None
    stack: LocalStack | None = None
    with terminate_on_signals():
        try:
            sink.start()
            moto = MotoServer(directory / "moto_server.log", port=moto_port or None)
            env = {"PRICING_URL": pricing_url, "ADMIN_TOKEN": admin_token}
            stack = LocalStack(
                directory,
                moto.url,
                name="orders",
                otlp_endpoint=sink.endpoint,
                env=env,
                api_port=api_port,
            )
            typer.echo(stack.bootstrap().strip())
            api = stack.start_api()
            worker = stack.start_worker()
            admin = "on (X-Admin-Token)" if admin_token else "off (set ADMIN_TOKEN)"
            typer.echo(
                "\n".join(
                    [
                        f"orders API     {stack.base_url}  (OpenAPI UI: {stack.base_url}/docs)",
                        f"AWS API server {moto.url}  (AWS_ENDPOINT_URL)",
                        f"OTLP sink      {sink.endpoint}  (OTEL_EXPORTER_OTLP_ENDPOINT)",
                        f"logs           {directory}",
                        f"admin API      {admin}",
                    ]
                )
            )
            if demo:
                typer.echo("\n== traced order ==")
                typer.echo(render(traced_order(stack.base_url, api, worker, sink)))
            if exit_after_demo:
                return
            typer.echo("\nrunning; Ctrl-C stops everything")
            while all(process.alive() for process in stack.processes):
                time.sleep(1)
            typer.echo("a process exited; stopping", err=True)
            raise typer.Exit(1)
        except KeyboardInterrupt:
            typer.echo("stopping")
        finally:
            if stack is not None:
                stack.stop()
            if moto is not None:
                moto.stop()
            sink.stop()


if __name__ == "__main__":
    app()
