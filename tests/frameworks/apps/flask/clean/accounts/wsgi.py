"""WSGI entry point: ``gunicorn accounts.wsgi:app``; ``python -m accounts.wsgi`` locally."""

from __future__ import annotations

from accounts import settings
from accounts.app import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host=settings.HOST, port=settings.PORT, debug=settings.DEBUG)
