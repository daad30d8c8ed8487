"""Production entry point: ``python -m ledger``."""

from __future__ import annotations

from ledger.server import main

if __name__ == "__main__":
    main()
