"""Names shared by the service and its clients (none of these is a credential)."""

from __future__ import annotations

from enum import Enum

LOGIN_METHOD = "/catalog.v1.Auth/Login"
LOGOUT_METHOD = "/catalog.v1.Auth/Logout"
REFRESH_TOKEN = "refresh_token"
GRANT_TYPE_PASSWORD = "password"
TOKEN_TYPE = "Bearer"
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
