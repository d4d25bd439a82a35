"""Real services on this machine (PostgreSQL, Redis, MariaDB): skip where absent, unless required."""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_URL = os.environ.get("FFTNAS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FFTNAS_TEST_REDIS", "redis://127.0.0.1:6379/0")
MYSQL_URL = os.environ.get("FFTNAS_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip the test with a reason when the service is down; fail instead under CI's flag."""
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("FFTNAS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and FFTNAS_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)
