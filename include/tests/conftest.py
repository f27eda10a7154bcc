"""Shared fixtures of the jobs package tests: real local servers from tests/support."""

from __future__ import annotations

from tests.support.servers import pushgateway  # noqa: F401 (fixture)
