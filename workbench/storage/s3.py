"""Recordings and artefacts in an S3-compatible store (AWS S3, SeaweedFS, MinIO, Garage ...).

PERCHE_STORAGE_URL=s3://bucket/prefix names the bucket and a key prefix; the standard AWS variables
configure the client: AWS_ENDPOINT_URL (for a store that is not AWS), AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION. Objects are `prefix/recordings/<key>` and
`prefix/artefacts/<key>`. Reads are ranged GETs, so a recording is never fetched whole to serve a
seek or a clip.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from workbench.storage.backend import Kind, NotStored, StorageUnavailable

# A stream's read buffer: one ranged GET fills it (small reads, like a decoder's, share one request).
READ_BUFFER = 256 * 1024
# Uploads bigger than this go in parts of this size (a failed part upload is aborted, leaving nothing).
MULTIPART = 64 * 1024 * 1024

_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<prefix>[^?#]*))?")


def parse_url(url: str) -> tuple[str, str]:
    """(bucket, prefix without slashes at either end) of an s3:// storage URL; ValueError saying what is wrong."""
    match = _URL.fullmatch(url.strip())
    if not match:
        raise ValueError(f"PERCHE_STORAGE_URL={url!r} is not an S3 location: write s3://bucket/prefix (a bucket name "
                         "of 3-63 lowercase letters, digits, dots or hyphens), or leave it empty to keep files "
                         "under PERCHE_DATA_DIR.")
    return match["bucket"], (match["prefix"] or "").strip("/")


def _client() -> Any:  # noqa: ANN401 - a boto3 S3 client
    import boto3
    from botocore.config import Config

    # boto3 reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION itself.
    # Stores other than AWS are addressed by path (http://host:port/bucket/key), which all of them serve.
    style = "path" if os.environ.get("AWS_ENDPOINT_URL") else "auto"
    config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": style}, max_pool_connections=20)
    return boto3.session.Session().client("s3", config=config)


class S3Store:
    def __init__(self, url: str) -> None:
        self.bucket, self.prefix = parse_url(url)
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"
        self.description = f"s3://{self.bucket}/{self.prefix} at {self.endpoint}"
        self.client = _client()

    def object_key(self, kind: Kind, key: str) -> str:
        if ".." in key.split("/") or key.startswith("/"):
            raise NotStored(f"'{key}' is not a storage key.")
        return f"{self.prefix}/{kind}/{key}" if self.prefix else f"{kind}/{key}"

    @contextmanager
    def _errors(self, kind: Kind | None = None, key: str = "") -> Iterator[None]:
        """botocore's failures as NotStored (absent object) or StorageUnavailable saying what to fix."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound") and kind is not None:
                what = "recording" if kind == "recordings" else "stored file"
                raise NotStored(f"The {what} {key} is no longer in storage (it was deleted).") from None
            if code in ("NoSuchBucket",) or (code in ("404", "NotFound") and kind is None):
                raise StorageUnavailable(f"The bucket '{self.bucket}' does not exist at {self.endpoint}: create it, "
                                         "or correct PERCHE_STORAGE_URL.") from None
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"):
                raise StorageUnavailable(f"The S3 store at {self.endpoint} refused access to bucket '{self.bucket}' "
                                         f"({code}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.") from None
            raise StorageUnavailable(f"The S3 store at {self.endpoint} failed ({code or exc}).") from None
        except NoCredentialsError:
            raise StorageUnavailable("No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                     f"(PERCHE_STORAGE_URL is s3://{self.bucket}/{self.prefix}).") from None
        except EndpointConnectionError:
            raise StorageUnavailable(f"Cannot reach the S3 store at {self.endpoint}: check AWS_ENDPOINT_URL and "
                                     "that the store is running.") from None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"The S3 store at {self.endpoint} cannot be used: {exc}.") from None

    def check(self) -> None:
        with self._errors():
            self.client.head_bucket(Bucket=self.bucket)

    def put_file(self, kind: Kind, key: str, source: Path) -> bool:
        from boto3.s3.transfer import TransferConfig

        try:
            if self.exists(kind, key):
                return False
            with self._errors(kind, key):
                self.client.upload_file(str(source), self.bucket, self.object_key(kind, key),
                                        Config=TransferConfig(multipart_threshold=MULTIPART,
                                                              multipart_chunksize=MULTIPART, max_concurrency=4))
            return True
        finally:
            source.unlink(missing_ok=True)

    def put_bytes(self, kind: Kind, key: str, data: bytes) -> None:
        with self._errors(kind, key):
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(kind, key), Body=data)

    def _head(self, kind: Kind, key: str) -> dict[str, Any]:
        with self._errors(kind, key):
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(kind, key))

    def exists(self, kind: Kind, key: str) -> bool:
        try:
            self._head(kind, key)
        except NotStored:
            return False
        return True

    def size(self, kind: Kind, key: str) -> int:
        return int(self._head(kind, key)["ContentLength"])

    def read_range(self, kind: Kind, key: str, start: int, end: int) -> bytes:
        """Bytes start..end inclusive, one ranged GET."""
        with self._errors(kind, key):
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(kind, key),
                                              Range=f"bytes={start}-{end}")
            return response["Body"].read()

    def open(self, kind: Kind, key: str) -> BinaryIO:
        raw = RangeReader(self, kind, key, self.size(kind, key))
        return io.BufferedReader(raw, buffer_size=READ_BUFFER)  # type: ignore[return-value]

    def read_bytes(self, kind: Kind, key: str) -> bytes:
        with self._errors(kind, key):
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(kind, key))["Body"].read()

    def download(self, kind: Kind, key: str, target: Path) -> None:
        self._head(kind, key)  # NotStored rather than botocore's bare 404
        with self._errors(kind, key):
            self.client.download_file(self.bucket, self.object_key(kind, key), str(target))

    def delete(self, kind: Kind, key: str) -> bool:
        existed = self.exists(kind, key)
        with self._errors(kind, key):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(kind, key))
        return existed

    def local_path(self, kind: Kind, key: str) -> Path | None:
        return None


class RangeReader(io.RawIOBase):
    """A stored object as a seekable raw stream: each read is one ranged GET of what was asked for.

    Wrap it in io.BufferedReader (S3Store.open does) so that small reads share one request.
    """

    def __init__(self, store: S3Store, kind: Kind, key: str, size: int) -> None:
        super().__init__()
        self.store, self.kind, self.key, self.length = store, kind, key, size
        self.position = 0
        self.requests = 0  # ranged GETs made and bytes they fetched, for tests and benchmarks
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: Any) -> int:  # noqa: ANN401 - a writable buffer (memoryview, bytearray)
        view = memoryview(buffer).cast("B")
        if self.position >= self.length or not len(view):
            return 0
        end = min(self.position + len(view), self.length) - 1
        data = self.store.read_range(self.kind, self.key, self.position, end)
        self.requests += 1
        self.fetched += len(data)
        view[:len(data)] = data
        self.position += len(data)
        return len(data)
