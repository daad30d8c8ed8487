"""``manage.py ensure_admin``: create the first admin from BOOTSTRAP_ADMIN_PASSWORD, if set."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the admin user on an empty database (needs BOOTSTRAP_ADMIN_PASSWORD)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.BOOTSTRAP_ADMIN_PASSWORD:
            self.stdout.write("BOOTSTRAP_ADMIN_PASSWORD is not set: no admin created")
            return
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", password=settings.BOOTSTRAP_ADMIN_PASSWORD)
            self.stdout.write("admin created")
