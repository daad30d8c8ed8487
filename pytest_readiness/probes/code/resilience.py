"""Outbound resilience: timeouts, retries with backoff, circuit breakers, gRPC keepalive.

Read from the AST of a codebase's modules (see :mod:`pyast`). Each HTTP call
site without an explicit timeout is reported with what the library really does
without one. No pytest here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing import replicas as replica_facts
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.plumbing.tree import context_of
from pytest_readiness.vocabulary import Level

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request",
                   "stream"})
# library -> (its default when no timeout is given, level of a call without one)
DEFAULTS = {
    "requests": ("no timeout: waits forever", Level.ERROR),
    "httpx": ("5 s default (connect, read, write and pool)", Level.WARNING),
    "aiohttp": ("300 s total (ClientTimeout default)", Level.WARNING),
}
CLIENTS = {
    "requests.Session": "requests", "requests.sessions.Session": "requests",
    "httpx.Client": "httpx", "httpx.AsyncClient": "httpx",
    "aiohttp.ClientSession": "aiohttp",
}
RETRY_LIBS = ("tenacity", "backoff", "urllib3.util.retry.Retry", "urllib3.util.Retry",
              "urllib3.Retry", "requests.packages.urllib3.util.retry.Retry", "aiohttp_retry",
              "stamina", "retrying", "httpx_retries", "retry")
BREAKER_LIBS = ("pybreaker", "aiobreaker", "purgatory", "circuitbreaker")
SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep"})


@dataclass(frozen=True)
class HttpCall:
    library: str
    call: str
    file: str
    line: int
    timeout: str  # "explicit", "missing", "none" (timeout=None), "unknown" (**kwargs)


def _library_of(name: str) -> tuple[str, bool] | None:
    """(library, is a client constructor) for HTTP calls; None for anything else."""
    for client, library in CLIENTS.items():
        if name == client:
            # requests.Session() takes no timeout: its calls are judged one by one.
            return None if library == "requests" else (library, True)
        if name.startswith(client + "()."):
            return None  # a call on a client: its constructor's timeout applies
    top = name.split(".")[0]
    if top in ("requests", "httpx") and name.count(".") == 1 and pyast.tail(name) in VERBS:
        return top, False
    if name == "aiohttp.request":
        return "aiohttp", False
    return None


def _timeout_state(call: pyast.CallSite, library: str) -> str:
    value = call.keyword("timeout")
    if value is None and library == "aiohttp":
        value = call.keyword("read_timeout") or call.keyword("conn_timeout")
    if value is None:
        return "unknown" if call.has_star_kwargs else "missing"
    if isinstance(value, ast.Constant) and value.value is None:
        return "none"
    return "explicit"


def requests_session_calls(module: pyast.Module) -> list[HttpCall]:
    """Calls on a requests.Session: it has no default timeout, so each call needs one."""
    out = []
    for call in module.calls:
        for prefix in ("requests.Session().", "requests.sessions.Session()."):
            if call.name.startswith(prefix) and pyast.tail(call.name) in VERBS:
                out.append(HttpCall("requests", call.name, module.rel, call.line,
                                    _timeout_state(call, "requests")))
    return out


def http_calls(modules: Iterable[pyast.Module]) -> list[HttpCall]:
    found: list[HttpCall] = []
    for module in modules:
        for call in module.calls:
            kind = _library_of(call.name)
            if kind:
                found.append(HttpCall(kind[0], call.name, module.rel, call.line,
                                      _timeout_state(call, kind[0])))
        found.extend(requests_session_calls(module))
    return found


def timeout_findings(calls: Iterable[HttpCall], lines_of: object) -> list[Finding]:
    out = []
    for c in calls:
        if c.timeout in ("explicit", "unknown"):
            continue
        default, level = DEFAULTS[c.library]
        said = "timeout=None: waits forever" if c.timeout == "none" else f"no timeout ({default})"
        out.append(Finding("", f"{c.call}() with {said}", c.file,
                               c.line, snippet(_line(lines_of, c.file, c.line)),
                               Level.ERROR if c.timeout == "none" else level))
    return out


def _line(lines_of: object, rel: str, line: int) -> str:
    lines = lines_of(rel)  # type: ignore[operator]
    return lines[line - 1] if 0 < line <= len(lines) else ""


# --- retries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mechanism:
    kind: str
    file: str
    line: int
    detail: str


def retry_mechanisms(modules: Iterable[pyast.Module]) -> list[Mechanism]:
    """Retry libraries in use, HTTPAdapter(max_retries=...), transports with retries, and
    hand-written loops that catch an exception and sleep before the next attempt."""
    found = []
    for module in modules:
        if context_of(module.rel) != "code":
            continue
        for name, line in module.imports:
            if name.startswith(RETRY_LIBS):
                found.append(Mechanism("library", module.rel, line, name))
        for call in module.calls:
            if pyast.tail(call.name) in ("HTTPAdapter", "HTTPTransport", "AsyncHTTPTransport") \
                    and (call.keyword("max_retries") or call.keyword("retries")):
                found.append(Mechanism("transport", module.rel, call.line, call.name))
        assert module.tree is not None
        for node in module.of(ast.For, ast.While, ast.AsyncFor):
            if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) and _sleeps_after_failure(
                    module, node):
                found.append(Mechanism("loop", module.rel, node.lineno, "loop with try/except "
                                                                          "and sleep"))
    return found


def _sleeps_after_failure(module: pyast.Module, loop: ast.AST) -> bool:
    has_try = any(isinstance(n, ast.Try) and n.handlers for n in ast.walk(loop))
    if not has_try:
        return False
    for node in ast.walk(loop):
        if isinstance(node, ast.Call) and module.resolve(node.func) in SLEEPS:
            return True
    return False


# --- circuit breakers ---------------------------------------------------------------


@dataclass
class Breakers:
    defined: list[Mechanism] = field(default_factory=list)
    used: list[Mechanism] = field(default_factory=list)


# A class of these kinds holds data: it is not a breaker whatever it is called.
DATA_DECORATORS = frozenset({"dataclass", "define", "frozen", "attrs", "s"})  # attr.s too
DATA_BASES = frozenset({"NamedTuple", "TypedDict", "Enum", "IntEnum", "StrEnum", "BaseModel",
                        "Protocol", "Exception"})


def is_breaker_class(module: pyast.Module, node: ast.ClassDef) -> bool:
    """A hand-written circuit breaker: named for one, and with behaviour of its own.

    ``@dataclass class Breakers`` (a result record) or an enum of breaker states is
    data, not a breaker: a breaker has methods that do something besides building
    itself (``call``, ``__call__``, ``__enter__``, ``record_failure`` ...).
    """
    if "breaker" not in node.name.lower():
        return False
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if pyast.tail(module.resolve(target)) in DATA_DECORATORS:
            return False
    bases = {pyast.tail(module.resolve(b)) for b in node.bases}
    if bases & DATA_BASES or any(b.endswith(("Error", "Exception")) for b in bases):
        return False
    data_only = {"__init__", "__post_init__", "__repr__", "__str__", "__eq__", "__hash__"}
    return any(isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and
               item.name not in data_only for item in node.body)


def _breaker_classes(modules: list[pyast.Module]) -> set[str]:
    names = set()
    for module in modules:
        assert module.tree is not None
        for node in module.of(ast.ClassDef):
            if isinstance(node, ast.ClassDef) and is_breaker_class(module, node):
                names.add(node.name)
    return names


def circuit_breakers(modules: Iterable[pyast.Module]) -> Breakers:
    """Breakers defined (library objects, hand-written classes) and used outside tests.

    Used means: a breaker object is applied as a decorator, called, has a method
    called (``breaker.call(fn)``) or entered with ``with``, in live code.
    """
    modules = list(modules)
    classes = _breaker_classes(modules)
    result = Breakers()
    instances: dict[str, Mechanism] = {}
    for module in modules:
        for bound, origin in module.bindings.items():
            ctor = origin.removesuffix("()")
            if ctor.startswith(BREAKER_LIBS) or pyast.tail(ctor) in classes:
                mech = Mechanism("breaker", module.rel, 0, f"{bound} = {ctor}()")
                instances[bound.rsplit(".", 1)[-1]] = mech
                result.defined.append(mech)
        for name, line in module.imports:
            if name.startswith(BREAKER_LIBS):
                result.defined.append(Mechanism("library", module.rel, line, name))
        assert module.tree is not None
        result.defined.extend(Mechanism("class", module.rel, node.lineno, node.name)
                              for node in module.of(ast.ClassDef)
                              if isinstance(node, ast.ClassDef) and node.name in classes)
    for module in modules:
        if context_of(module.rel) != "code":
            continue
        assert module.tree is not None
        for node in module.of(ast.FunctionDef, ast.AsyncFunctionDef, ast.Call, ast.With,
                              ast.AsyncWith):
            used = _breaker_use(module, node, instances)
            if used:
                line = getattr(node, "lineno", 0)  # every node _breaker_use accepts has one
                result.used.append(Mechanism("use", module.rel, line, used))
    return result


def _breaker_use(module: pyast.Module, node: ast.AST, instances: dict[str, Mechanism]
                 ) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for deco in node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = module.resolve(target) or ""
            if pyast.tail(name) in instances or name.startswith(BREAKER_LIBS) \
                    or name.split(".")[0] in instances:
                return f"@{name} on {node.name}"
    if isinstance(node, ast.Call):
        name = pyast.dotted(node.func, module.aliases) or ""
        parts = name.split(".")
        if len(parts) >= 2 and parts[-2] in instances:
            return f"{name}()"
        if parts and parts[-1] in instances and len(parts) == 1:
            return f"{name}()"
    if isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            name = pyast.dotted(item.context_expr, module.aliases) or ""
            if pyast.tail(name) in instances:
                return f"with {name}"
    return None


def live_call_sites(calls: Iterable[HttpCall], channels: Iterable[Channel]
                    ) -> list[tuple[str, int, str]]:
    """(file, line, what) of every outbound HTTP call or gRPC channel in live code."""
    sites = [(c.file, c.line, f"{c.call}()") for c in calls]
    sites += [(c.file, c.line, f"{c.call}()") for c in channels]
    return sorted(site for site in sites if context_of(site[0]) == "code")


# --- gRPC keepalive ---------------------------------------------------------------------

CHANNELS = ("grpc.insecure_channel", "grpc.secure_channel", "grpc.aio.insecure_channel",
            "grpc.aio.secure_channel")


@dataclass(frozen=True)
class Channel:
    call: str
    file: str
    line: int
    keepalive: bool | None  # None: options built elsewhere, cannot tell


def grpc_channels(modules: Iterable[pyast.Module]) -> list[Channel]:
    found = []
    for module in modules:
        assignments = _module_constants(module)
        for call in module.calls:
            if call.name not in CHANNELS:
                continue
            index = 1 if "insecure" in call.name else 2
            options = call.arg(index, "options")
            if isinstance(options, ast.Name) and options.id in assignments:
                options = assignments[options.id]
            found.append(Channel(call.name, module.rel, call.line, _has_keepalive(options)))
    return found


def _module_constants(module: pyast.Module) -> dict[str, ast.expr]:
    assert module.tree is not None
    out = {}
    for node in module.of(ast.Assign):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
    return out


def _has_keepalive(options: ast.expr | None) -> bool | None:
    if options is None:
        return False
    if not isinstance(options, (ast.List, ast.Tuple, ast.Dict)):
        return None
    return any(isinstance(n, ast.Constant) and n.value == "grpc.keepalive_time_ms"
               for n in ast.walk(options))


# --- findings the suite concludes on ----------------------------------------------------

CIRCUIT_BREAKER_RULES = ("", "unused")
RETRY_LEVELS = (
    RuleLevel("", Level.WARNING, "live outbound calls and no retry with backoff anywhere in "
                                 "the Python code (other languages are not read: named in "
                                 "the evidence)"),)
CIRCUIT_BREAKER_LEVELS = (
    RuleLevel("", Level.WARNING, "live outbound calls and no circuit breaker in the Python "
                                 "code"),
    RuleLevel("unused", Level.WARNING, "a circuit breaker is defined and never applied"))
KEEPALIVE_LEVELS = (
    RuleLevel("", Level.WARNING, "a gRPC channel without keepalive options, or with options "
                                 "built where the code does not show them"),)
TIMEOUT_LEVELS = (
    RuleLevel("", Level.ERROR, "a call or client that can wait forever (no timeout, or "
                               "timeout=None)"),
    RuleLevel("", Level.WARNING, "a call relying on its library's default timeout"))


def site_findings(sites: Iterable[tuple[str, int, str]], what: str) -> list[Finding]:
    """One finding per live call site, so a deliberate one can carry an explained
    ``# readiness: ignore[...]`` (a probe that must not retry, say). A warning: retries
    and breakers may live where the AST does not look (a service mesh, a gateway, code
    in another language)."""
    return [Finding("", f"{call}: {what}", file, line, level=Level.WARNING)
            for file, line, call in sites]


def unused_breaker_findings(breakers: Breakers) -> list[Finding]:
    """Breakers defined but never applied on a live call path (a warning: one applied
    through indirection the AST does not follow looks the same)."""
    return [Finding("unused", f"{m.detail}: defined, never applied", m.file, m.line or None,
                    level=Level.WARNING) for m in breakers.defined]


# Source files of languages these rules do not read, by suffix: named in the evidence so a
# polyglot tree's pass or warning says what it rests on.
OTHER_LANGUAGES = {".go": "Go", ".java": "Java", ".kt": "Kotlin", ".cs": "C#", ".rs": "Rust",
                   ".ts": "TypeScript", ".js": "JavaScript", ".rb": "Ruby", ".php": "PHP",
                   ".ex": "Elixir", ".cpp": "C++", ".scala": "Scala"}


def other_languages(rels: Iterable[str]) -> dict[str, int]:
    """Files per language the resilience rules do not read (Python is the one they read)."""
    counts: dict[str, int] = {}
    for rel in rels:
        suffix = "." + rel.rsplit(".", 1)[-1] if "." in rel.rsplit("/", 1)[-1] else ""
        language = OTHER_LANGUAGES.get(suffix)
        if language and not rel.endswith((".min.js", ".d.ts")):
            counts[language] = counts.get(language, 0) + 1
    return dict(sorted(counts.items()))


def keepalive_findings(channels: Iterable[Channel]) -> list[Finding]:
    """Channels created without keepalive options, or with options built elsewhere that the
    code does not show (keepalive not verified): warnings, since keepalive may come from
    the environment (``GRPC_ARG_KEEPALIVE_*``, a mesh sidecar); restricted makes them
    errors."""
    return [Finding("", f"{c.call}() " + ("without keepalive options" if c.keepalive is False
                                          else "with options built elsewhere: keepalive not "
                                               "verified"),
                    c.file, c.line, level=Level.WARNING)
            for c in channels if not c.keepalive]


# --- process-local state (scale-out blockers) --------------------------------------------

# Containers a module-level name can hold that a function then changes: state that lives
# in one process. Constructors by resolved name (cachetools' caches are in-process too).
STATE_CONSTRUCTORS = frozenset({
    "dict", "set", "list", "collections.defaultdict", "collections.OrderedDict",
    "collections.Counter", "collections.deque", "queue.Queue", "asyncio.Queue",
    "cachetools.TTLCache", "cachetools.LRUCache", "cachetools.LFUCache",
    "cachetools.TLRUCache", "cachetools.FIFOCache", "cachetools.Cache",
})
MUTATORS = frozenset({"add", "append", "appendleft", "extend", "update", "setdefault", "pop",
                      "popitem", "remove", "discard", "clear", "insert", "put", "put_nowait",
                      "__setitem__", "__delitem__"})
# Names that say the container is state other processes must see (a session store, a
# denylist, a rate limiter), not a per-process memo or registry.
SHARED_WORDS = re.compile(r"session|token|revok|deny|denied|block|ban|attempt|limit|rate|"
                          r"throttl|bucket|quota|nonce|otp|jti|login|lockout|queue|job|"
                          r"cart|user|active|seen|used", re.IGNORECASE)
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
# Decorators that memoise a function's results in the process (issue 15.6): data that must
# be shared (a user's permissions, a session, a token's validity) then goes stale per
# process. Only functions named after such data are reported; a cached client, settings
# object or model class is one per process by design.
CACHE_DECORATORS = frozenset({
    "functools.lru_cache", "functools.cache", "cachetools.cached", "cachetools.func.ttl_cache",
    "cachetools.func.lru_cache", "cachetools.func.lfu_cache", "cachetools.func.fifo_cache",
    "cachetools.func.rr_cache", "async_lru.alru_cache",
})
CACHED_SHARED = re.compile(r"session|token|user|permission|perms?(?:_|$)|role|grant|acl|"
                           r"revok|deny|denied|ban(?:ned)?(?:_|$)|quota|credential|api_?key|"
                           r"account|membership|tenant|entitlement", re.IGNORECASE)
NOT_SHARED_DATA = re.compile(r"(?i)(?:model|class|schema|serializer|form|client|pool|engine|"
                             r"factory|maker|backend|manager|service|repository|settings|"
                             r"config|loader|driver|type|tokenizer|parser|encoder|encoding|"
                             r"(?:db|database|http|sql|aiohttp|"
                             r"requests)_?session)s?$")
PROCESS_STATE_LEVELS = (
    RuleLevel("", Level.ERROR, "state named as shared (sessions, tokens, denylists, rate "
                               "limits, queues) kept in process memory, or Django's "
                               "LocMemCache, in a service the deployment runs in more than "
                               "one process"),
    RuleLevel("", Level.WARNING, "the same where the evidence of several processes cannot be "
                                 "tied to this code (a Kubernetes workload whose image and "
                                 "command name none of its packages)"),
    RuleLevel("", Level.WARNING, "a function named after shared data (user, session, token, "
                                 "permission, role) cached in process memory (@lru_cache, "
                                 "@cache, cachetools) with more than one process: stale per "
                                 "process"),
    RuleLevel("", Level.NOTE, "the same without evidence of more than one process (fine for "
                              "one process; breaks at scale), or another mutated "
                              "module-level container (a cache or a registry looks the same)"))


@dataclass(frozen=True)
class Replicas:
    """Evidence that a service runs the code in more than one process."""

    processes: int
    why: str  # "compose service api: deploy.replicas 3, gunicorn -w 4 (deploy/compose.yaml:3)"
    # False when the deployment file cannot be tied to this code (a Kubernetes workload
    # whose image and command name none of its packages): shared state is then a warning.
    certain: bool = True


def workers(command: str) -> int:
    """Worker processes a gunicorn/uvicorn/hypercorn command line starts (1 if it says
    none): plumbing/replicas.py, which also reads WEB_CONCURRENCY and GUNICORN_CMD_ARGS."""
    return replica_facts.workers(command)[0]


@dataclass(frozen=True)
class StateDef:
    name: str
    file: str
    line: int
    kind: str  # "dict", "collections.defaultdict", ...
    mutated_at: tuple[str, int] | None = None


def _container_kind(module: pyast.Module, value: ast.expr | None) -> str | None:
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, ast.Call):
        name = module.resolve(value.func)
        return name if name in STATE_CONSTRUCTORS else None
    return None


def _module_state(module: pyast.Module) -> dict[str, StateDef]:
    assert module.tree is not None
    found: dict[str, StateDef] = {}
    for stmt in module.tree.body:
        targets: list[ast.expr]
        value: ast.expr | None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        else:
            continue
        kind = _container_kind(module, value)
        for target in targets:
            if kind and isinstance(target, ast.Name) and not target.id.startswith("__"):
                found[target.id] = StateDef(target.id, module.rel, stmt.lineno, kind)
    return found


def _in_function(module: pyast.Module) -> Callable[[int], bool]:
    spans = [(f.lineno, f.end_lineno or f.lineno) for f in module.functions
             if not isinstance(f, ast.Lambda)]
    return lambda line: any(a <= line <= b for a, b in spans)


def _mutations(module: pyast.Module, names: set[str]) -> Iterator[tuple[str, int]]:
    """(name, line) where a function changes a module-level container by its name."""
    inside = _in_function(module)
    for call in module.calls:
        func = call.node.func  # by the node: pyast resolves ``S = set()``'s S.add as set().add
        if call.function is not None and isinstance(func, ast.Attribute) and \
                isinstance(func.value, ast.Name) and func.value.id in names and \
                func.attr in MUTATORS:
            yield func.value.id, call.line
    for node in module.of(ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete):
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                    and target.value.id in names and inside(node.lineno):
                yield target.value.id, node.lineno


def cached_functions(module: pyast.Module) -> list[StateDef]:
    """Functions named after data that must be shared (``user_permissions``,
    ``get_session``, ``token_is_revoked``) whose results an in-process cache keeps
    (``@lru_cache``, ``@cache``, cachetools, async-lru), at the decorator."""
    out = []
    for function in module.functions:
        if isinstance(function, ast.Lambda) or not CACHED_SHARED.search(function.name) or \
                NOT_SHARED_DATA.search(function.name):
            continue
        for decorator in function.decorator_list:
            name = module.resolve(decorator.func if isinstance(decorator, ast.Call)
                                  else decorator)
            if name in CACHE_DECORATORS:
                out.append(StateDef(function.name, module.rel, decorator.lineno, name))
                break
    return out


def process_local_state(modules: Iterable[pyast.Module]) -> list[StateDef]:
    """Module-level dicts, sets, lists, deques, counters, queues and in-process caches
    that a function changes (a module-level constant, or one filled at import time, is
    no state); and Django's ``LocMemCache`` as a cache backend."""
    found: list[StateDef] = []
    for module in modules:
        defs = _module_state(module)
        first: dict[str, int] = {}
        for name, line in _mutations(module, set(defs)):
            first[name] = min(line, first.get(name, line))
        found += [StateDef(d.name, d.file, d.line, d.kind, (d.file, first[d.name]))
                  for d in defs.values() if d.name in first]
        found += [StateDef("CACHES", module.rel, node.lineno, LOCMEM_CACHE)
                  for node in module.of(ast.Constant) if node.value == LOCMEM_CACHE]
        found += cached_functions(module)
    return sorted(found, key=lambda d: (d.file, d.line))


def process_state_findings(states: Iterable[StateDef], replicas: Replicas | None
                           ) -> list[Finding]:
    """An error for state named as shared (or LocMemCache) when the deployment runs more
    than one process; a note otherwise (with the evidence, or its absence, said)."""
    out = []
    for state in states:
        if state.kind == LOCMEM_CACHE:
            what = "Django's LocMemCache keeps the cache (login limits, revoked tokens, " \
                   "sessions) in each process's memory"
            shared = True
        elif state.kind in CACHE_DECORATORS:
            what = f"{state.name}() keeps its results in process memory (@{state.kind}): " \
                   "each process serves its own copy, stale once another process changes it"
            level = Level.WARNING if replicas is not None else Level.NOTE
            message = f"{what}, and {replicas.why}; cache it in a shared store with " \
                      "invalidation, or not at all" if replicas is not None else \
                      f"{what}: fine for one process (no evidence of more than one replica " \
                      "or worker)"
            out.append(Finding("", message, state.file, state.line, level=level))
            continue
        else:
            where = f" (changed at line {state.mutated_at[1]})" if state.mutated_at else ""
            what = f"{state.name} ({state.kind}) is process-local state{where}"
            shared = bool(SHARED_WORDS.search(state.name))
        if replicas is not None:
            message = f"{what}, and {replicas.why}: each process sees its own copy; keep " \
                      "it in a shared store (Redis, the database)"
            level = (Level.ERROR if replicas.certain else Level.WARNING) if shared \
                else Level.NOTE
        else:
            message = f"{what}: fine for one process; breaks at scale (no evidence of " \
                      "more than one replica or worker)"
            level = Level.NOTE
        out.append(Finding("", message, state.file, state.line, level=level))
    return out
