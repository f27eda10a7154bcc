"""Shared fixtures: a real AWS-API server (moto_server), an OTLP sink, a pricing stub, the real
app-java, and the orders stacks (API and worker as real processes)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_java import AppJava, AppJavaUnavailable, ensure_jar
from orders.devtools.otlp_sink import OtlpSink
from orders.devtools.stack import LOCAL_AWS_ENV, MotoServer
from orders.devtools.tcp_proxy import TcpProxy
from pricing_stub import PricingStub
from stacks import RunningStack, make_stack

# The test process talks to the local AWS-API server too (adapters under test, assertions).
os.environ.update(LOCAL_AWS_ENV)
for _name in [n for n in os.environ if n.startswith(("OTEL_", "FAULT_"))]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def moto(workdir: Path) -> Iterator[MotoServer]:
    server = MotoServer(workdir / "moto_server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def pricing_stub() -> Iterator[PricingStub]:
    stub = PricingStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def app_java(workdir: Path, sink: OtlpSink) -> Iterator[AppJava]:
    """The real app-java from its jar (built first if missing or stale), traces to the sink;
    started once per session."""
    try:
        app = AppJava(ensure_jar(), workdir / "app-java.log", sink.endpoint)
        app.start()
    except AppJavaUnavailable as exc:
        pytest.fail(f"app-java: {exc}", pytrace=False)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def main_stack(workdir: Path, moto: MotoServer, sink: OtlpSink) -> Iterator[RunningStack]:
    """API + worker with telemetry to the sink, local (fallback) pricing, admin API off.

    The API and the worker reach SQS through a TCP proxy (``sqs_proxy``) that a test can cut;
    DynamoDB is reached directly.
    """
    proxy = TcpProxy(moto.port)  # SQS goes through it: tests can cut the queue
    proxy.start()
    running = make_stack(workdir, moto, sink=sink, AWS_ENDPOINT_URL_SQS=proxy.url)
    running.sqs_proxy = proxy
    yield running
    running.client.close()
    running.stack.stop()
    proxy.stop()
