"""Framework name -> the module that serves and exercises its apps."""

from __future__ import annotations

import importlib
from types import ModuleType


class _Adapters(dict[str, ModuleType]):
    def __missing__(self, framework: str) -> ModuleType:
        module = importlib.import_module(f"tests.frameworks.harness.apps_{framework}")
        self[framework] = module
        return module


ADAPTERS: dict[str, ModuleType] = _Adapters()
