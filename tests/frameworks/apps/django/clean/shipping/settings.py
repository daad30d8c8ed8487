"""Django settings for the shipping service, from the environment (twelve-factor).

No CsrfViewMiddleware and no sessions: the API authenticates with bearer headers only;
the session cookie the login sets is read by the console's JavaScript, never by Django.
"""

from __future__ import annotations

import os

from shipping.env import database_from_url, env_bool, env_list, env_required, signing_keys

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "shipping.example.com")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "corsheaders",
    "parcels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shipping.metrics.PrometheusMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "shipping.auth.JWTAuthenticationMiddleware",
]

ROOT_URLCONF = "shipping.urls"
WSGI_APPLICATION = "shipping.wsgi.application"
DATABASES = {"default": database_from_url(env_required("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
APPEND_SLASH = False

REDIS_URL = env_required("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shipping",
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# TLS ends at the ingress, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # the orchestrator's probes speak plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "session"
CSRF_COOKIE_SECURE = True

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "https://console.example.com")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shipping.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The service's own settings.
JWT_SIGNING_KEYS = signing_keys(env_required("JWT_SIGNING_KEYS"))
JWT_ACTIVE_KID = os.environ.get("JWT_ACTIVE_KID", next(iter(JWT_SIGNING_KEYS)))
JWT_ISSUER = os.environ.get("JWT_ISSUER", "shipping")
TOKEN_TTL_SECONDS = int(os.environ.get("TOKEN_TTL_SECONDS", "900"))
LOGIN_ATTEMPTS_PER_MINUTE = int(os.environ.get("LOGIN_ATTEMPTS_PER_MINUTE", "5"))
METRICS_TOKEN = env_required("METRICS_TOKEN")
BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "")

PRICING_URL = os.environ.get("PRICING_URL", "https://pricing.internal.example.com")
NOTIFY_URL = os.environ.get("NOTIFY_URL", "https://hooks.internal.example.com/shipping")
UPSTREAM_TIMEOUT_SECONDS = float(os.environ.get("UPSTREAM_TIMEOUT_SECONDS", "3"))
UPSTREAM_RETRY_BACKOFF_SECONDS = float(os.environ.get("UPSTREAM_RETRY_BACKOFF_SECONDS", "0.2"))
TLS_CA_FILE = os.environ.get("TLS_CA_FILE") or None
INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)
