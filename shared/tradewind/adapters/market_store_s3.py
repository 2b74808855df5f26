"""The market-data lake in S3 (the `market-lake` bucket on AWS).

A single PutObject is atomic in S3 (readers see the whole old or the whole new
object, with strong read-after-write consistency), which is all MarketStore's
version-then-switch write needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from tradewind.adapters import aws
from tradewind.marketdata.store import MarketStore

_DELETE_BATCH = 1000  # DeleteObjects accepts at most 1,000 keys per call


class S3BlobStore:
    def __init__(self, bucket: str, prefix: str = "", client: Any | None = None) -> None:
        self._bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = client if client is not None else aws.client("s3")

    def get(self, key: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = response["Body"].read()
        return body

    def put(self, key: str, data: bytes) -> None:
        self._client.put_object(Bucket=self._bucket, Key=self._prefix + key, Body=data)

    def delete(self, keys: Iterable[str]) -> None:
        names = [self._prefix + k for k in keys]
        for start in range(0, len(names), _DELETE_BATCH):
            chunk = names[start : start + _DELETE_BATCH]
            self._client.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
            )

    def list(self, prefix: str) -> list[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix + prefix):
            keys.extend(item["Key"][len(self._prefix) :] for item in page.get("Contents", []))
        return sorted(keys)


def s3_market_store(bucket: str, prefix: str = "", client: Any | None = None) -> MarketStore:
    return MarketStore(S3BlobStore(bucket, prefix, client))
