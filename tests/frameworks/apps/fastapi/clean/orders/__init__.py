"""Orders service: orders, invoices archived to S3, behind a JWT-protected API (FastAPI)."""
