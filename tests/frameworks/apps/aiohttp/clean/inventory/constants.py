"""Names shared by the API and its clients (none of these is a credential)."""

from __future__ import annotations

from enum import Enum

TOKEN_URL = "/auth/token"
LOGOUT_URL = "/auth/logout"
REFRESH_TOKEN = "refresh_token"
GRANT_TYPE_PASSWORD = "password"
TOKEN_TYPE = "Bearer"
SESSION_COOKIE = "session"
PASSWORD_FIELD = "password"
API_KEY_HEADER = "X-Api-Key"
EXAMPLE_API_KEY = "<your-api-key>"
SECRET_KEY = "SECRET_KEY"


class GrantType(str, Enum):
    PASSWORD = "password"
    REFRESH_TOKEN = "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials"


class Role(str, Enum):
    USER = "user"
    ADMIN = "admin"
