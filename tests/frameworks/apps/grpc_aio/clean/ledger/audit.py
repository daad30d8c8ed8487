"""Audit trail in MongoDB. pymongo is synchronous: callers run it in a worker thread."""

from __future__ import annotations

import datetime
from typing import Any

from pymongo import MongoClient


class AuditLog:
    def __init__(self, url: str, database: str) -> None:
        # connect=False: no socket until the first write (and none before a fork).
        client: MongoClient[dict[str, Any]] = MongoClient(
            url, connect=False, serverSelectionTimeoutMS=3000
        )
        self._events = client[database].events

    def record(self, action: str, subject: str, **details: Any) -> None:
        self._events.insert_one({
            "at": datetime.datetime.now(datetime.UTC),
            "action": action,
            "subject": subject,
            **details,
        })
