"""boto3 access for the AWS jobs.

Clients come from one boto3 session, so the standard AWS environment applies unchanged:
credentials, ``AWS_PROFILE``, and ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_<SERVICE>``),
which is how the same code talks to real AWS or to the local AWS-API server in tests and the
demo. botocore errors become the package's errors: unreachable endpoint -> exit 3, missing
credentials or denied access -> exit 2.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.loaders import Loader

from kindops.errors import ConfigError, DependencyError

AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NotFoundException",
        "RepositoryNotFoundException",
        "ImageNotFoundException",
        "NoSuchBucket",
        "NoSuchKey",
        "404",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "TableNotFoundException",
        "BackupNotFoundException",
    }
)
BUDGETS_REGION = "us-east-1"


_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def _error(exc: ClientError) -> tuple[str, str]:
    """(code, message); an error body botocore could not parse (XML where JSON was expected,
    as some endpoints return for denied calls) is read for its <Code> and <Message>."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    found = _XML_CODE.search(message)
    if found:
        code = found.group(1)
        text = _XML_MESSAGE.search(message)
        message = text.group(1).strip() if text else ""
    return code, message or str(exc)


def error_code(exc: ClientError) -> str:
    return _error(exc)[0]


def error_message(exc: ClientError) -> str:
    return _error(exc)[1]


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in NOT_FOUND_CODES


def is_auth(exc: ClientError) -> bool:
    return error_code(exc) in AUTH_CODES


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn botocore failures inside the block into one-line KindopsErrors."""
    try:
        yield
    except (
        EndpointConnectionError,
        ConnectTimeoutError,
        ReadTimeoutError,
        ConnectionClosedError,
    ) as exc:
        raise DependencyError(f"{what}: AWS endpoint unreachable: {exc}") from None
    except (NoCredentialsError, PartialCredentialsError):
        raise ConfigError(
            f"{what}: no AWS credentials found (set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        ) from None
    except NoRegionError:
        raise ConfigError(f"{what}: no AWS region (set AWS_REGION)") from None
    except ClientError as exc:
        code, message = error_code(exc), error_message(exc).splitlines()[0]
        if code in AUTH_CODES:
            raise ConfigError(f"{what}: access denied ({code}): {message}") from None
        raise DependencyError(f"{what}: {code}: {message}") from None
    except BotoCoreError as exc:
        raise DependencyError(f"{what}: {exc}") from None


_LOADER: Loader | None = None


def _session() -> boto3.session.Session:
    """A fresh session (it reads the environment now) sharing one model loader per process:
    loading the service models is most of the cost of creating clients."""
    global _LOADER
    core = botocore.session.Session()
    if _LOADER is None:
        _LOADER = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core)


class Aws:
    """One boto3 session and its clients, cached per (service, region)."""

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self.session = session or _session()
        self.config = Config(
            retries={"mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            user_agent_extra="kindops",
        )
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._account: str | None = None

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region)
        if key not in self._clients:
            with translated(f"{service} client"):
                self._clients[key] = self.session.client(
                    service, region_name=region, config=self.config
                )
        return self._clients[key]

    def default_region(self) -> str | None:
        region = self.session.region_name
        return str(region) if region else None

    def account(self) -> str:
        """The caller's account id, from STS GetCallerIdentity."""
        if self._account is None:
            with translated("sts GetCallerIdentity"):
                sts = self.client("sts", self.default_region() or BUDGETS_REGION)
                self._account = str(sts.get_caller_identity()["Account"])
        return self._account

    @staticmethod
    def endpoint() -> str | None:
        return os.environ.get("AWS_ENDPOINT_URL") or None


def is_loopback_url(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback(aws: Aws, services: list[str], regions: list[str]) -> str:
    """Refuse unless every client the caller will use resolves to a loopback endpoint.

    Checks the resolved endpoint of each client (so ``AWS_ENDPOINT_URL_<SERVICE>`` and profile
    settings are covered), not only the environment variable.
    """
    endpoint = Aws.endpoint()
    if not endpoint or not is_loopback_url(endpoint):
        raise ConfigError(
            f"refusing: AWS_ENDPOINT_URL={endpoint or '(unset)'} is not a loopback address; "
            "this command only runs against a local AWS-API server (e.g. http://127.0.0.1:5000)"
        )
    for service in services:
        for region in regions:
            resolved = str(aws.client(service, region).meta.endpoint_url)
            if not is_loopback_url(resolved):
                raise ConfigError(
                    f"refusing: the {service} client in {region} resolves to "
                    f"{resolved}, not a loopback address"
                )
    return endpoint
