"""A real Redis server for the index tests: $WIRETRACE_REDIS_URL, else one on 127.0.0.1:6390.

When nothing answers there and `redis-server` is installed, the tests start one for the session.
Without a server the Redis tests skip, saying how to enable them; with CI=true they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_URL = "redis://127.0.0.1:6390/0"
HOW_TO_ENABLE = (
    "Redis tests need a Redis server: `apt-get install -y redis-server`, then either let the "
    "tests start one on 127.0.0.1:6390 or run `redis-server --port 6390 --daemonize yes` (or set "
    "WIRETRACE_REDIS_URL=redis://host:port/db), and `pip install 'wiretrace[redis]'`"
)


def _answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _unavailable(reason: str) -> None:
    message = f"{reason}. {HOW_TO_ENABLE}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and no Redis: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a running Redis server (started here when needed)."""
    try:
        import redis  # noqa: F401
    except ImportError:
        _unavailable("the redis Python package is not installed")
    url = os.environ.get("WIRETRACE_REDIS_URL", DEFAULT_URL)
    process = None
    if not _answers(url):
        binary = shutil.which("redis-server")
        if binary is None or "WIRETRACE_REDIS_URL" in os.environ:
            _unavailable(f"no Redis server answers at {url}")
        port = url.rsplit(":", 1)[1].split("/")[0]
        process = subprocess.Popen(
            [binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                _unavailable(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield url
    if process is not None:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_index(redis_url: str) -> Iterator[str]:
    """A Redis index location under a fresh prefix, deleted after the test."""
    from wiretrace.index.redis import RedisStore

    location = f"{redis_url}?prefix=wttest-{uuid.uuid4().hex[:12]}"
    yield location
    store = RedisStore(location, create=True)
    store.clear()
    store.close()
