"""The ``.env`` Compose reads beside a compose file, and Compose's ``${VAR}`` interpolation.

Used to see what a compose file names (``dockerfile: ${AD_DOCKERFILE}``) the way Compose
does, for ``pytest-readiness init`` and the scope model. No pytest.
"""

from __future__ import annotations

import re
from pathlib import Path

from pytest_readiness.plumbing.reader import Reader

_ENV_VAR = re.compile(r"\$(?:\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>\w+))")


def read_env_file(path: Path, reader: Reader | None = None) -> dict[str, str]:
    """``KEY=VALUE`` lines of a Compose ``.env``, values interpolated in order (read through
    ``reader``, default one rooted at the file's directory; nothing if it is not read)."""
    env: dict[str, str] = {}
    try:
        text = (reader or Reader(path.parent)).read(path).text
    except OSError:
        return env
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = substitute(value, env) or ""
    return env


def substitute(text: str, env: dict[str, str]) -> str | None:
    """Compose interpolation with ``env``; None when a variable has no value."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        name = match["name"] or match["bare"]
        value, op, arg = env.get(name), match["op"] or "", match["arg"] or ""
        is_set = bool(value) if op.startswith(":") else value is not None
        if op in (":-", "-"):
            return value if is_set and value is not None else arg
        if op in (":+", "+"):
            return arg if is_set else ""
        if value is None:
            missing = True
            return ""
        return value

    result = _ENV_VAR.sub(one, text.replace("$$", "\0")).replace("\0", "$")
    return None if missing else result
