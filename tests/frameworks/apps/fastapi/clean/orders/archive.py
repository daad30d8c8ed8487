"""Invoice archive in S3 (boto3 is synchronous: callers run it in a worker thread)."""

from __future__ import annotations

import json
from typing import Any

import boto3


class InvoiceArchive:
    def __init__(self, bucket: str, region: str) -> None:
        self._bucket = bucket
        self._s3 = boto3.client("s3", region_name=region)

    def put(self, order: dict[str, Any]) -> str:
        key = f"invoices/{order['id']}.json"
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=json.dumps(order).encode(),
            ServerSideEncryption="AES256",
        )
        return key
