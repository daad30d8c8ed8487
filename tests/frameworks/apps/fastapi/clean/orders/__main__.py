"""Production entry point: ``python -m orders`` (TLS ends at the ingress)."""

from __future__ import annotations

import uvicorn

from orders import settings

if __name__ == "__main__":
    uvicorn.run(
        "orders.app:create_app",
        factory=True,
        host=settings.HOST,
        port=settings.PORT,
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        access_log=False,
    )
