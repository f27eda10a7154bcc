"""The local building blocks: a free port, a bounded wait, and the local AWS-API server."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import boto3
import pytest

from kindops.errors import ConfigError, DependencyError
from kindops.localproc import MotoServer, free_port, http_ok, moto_server_exe, wait_until


def test_free_port_can_be_bound_by_the_caller() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # raises if something still holds it


def test_wait_until_gives_up_with_a_dependency_error() -> None:
    with pytest.raises(DependencyError, match=r"timed out after 0s waiting for the moon"):
        wait_until(lambda: False, 0.3, "the moon")
    seen = iter([False, False, True])
    wait_until(lambda: next(seen), 5, "the third try")


@pytest.mark.integration
def test_the_moto_server_answers_the_sqs_api_and_stops_with_its_group() -> None:
    with MotoServer() as aws:
        assert aws.proc is not None
        proc = aws.proc
        sqs = boto3.client("sqs", endpoint_url=aws.url, **_creds(aws.env()))
        url = sqs.create_queue(QueueName="orders")["QueueUrl"]
        assert sqs.list_queues()["QueueUrls"] == [url]
        aws.reset()
        assert "QueueUrls" not in sqs.list_queues()
    assert proc.poll() is not None  # the server is gone with the block
    assert not http_ok(f"{aws.url}/moto-api/")
    aws.stop()  # a second stop is harmless


def test_no_moto_server_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="moto_server not found"):
        moto_server_exe()
    with pytest.raises(ConfigError):
        MotoServer().start()


def _creds(env: dict[str, str]) -> dict[str, str]:
    return {
        "region_name": env["AWS_REGION"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
