"""The call graph (plumbing/callgraph.py): what it resolves, and what it leaves alone."""

from __future__ import annotations

import ast

import pytest

from pytest_readiness.plumbing import callgraph, pyast


def graph(files: dict[str, str]) -> callgraph.CallGraph:
    return callgraph.build([pyast.parse(text, rel) for rel, text in files.items()])


def edges(files: dict[str, str]) -> set[tuple[str, str]]:
    g = graph(files)
    return {(c.caller, c.callee) for calls in g.calls.values() for c in calls if c.callee}


PKG = {"app/__init__.py": "", "app/util/__init__.py": ""}


def test_import_paths_follow_packages() -> None:
    packages = {"src/app", "src/app/util"}
    assert callgraph.import_path("src/app/util/db.py", packages) == "app.util.db"
    assert callgraph.import_path("src/app/__init__.py", packages) == "app"
    assert callgraph.import_path("scripts/run.py", packages) == "run"


def test_calls_across_modules_by_import_alias_and_relative_import() -> None:
    found = edges({**PKG,
        "app/util/db.py": "def fetch():\n    return 1\ndef _helper():\n    return fetch()\n",
        "app/repo.py": "from app.util import db\nfrom app.util.db import fetch as f\n"
                       "from .util.db import _helper\nimport app.util.db as d\n"
                       "def a():\n    db.fetch()\ndef b():\n    f()\ndef c():\n    _helper()\n"
                       "def e():\n    d.fetch()\n"})
    assert found == {("app.util.db._helper", "app.util.db.fetch"),
                     ("app.repo.a", "app.util.db.fetch"), ("app.repo.b", "app.util.db.fetch"),
                     ("app.repo.c", "app.util.db._helper"), ("app.repo.e", "app.util.db.fetch")}


def test_methods_through_self_bases_and_typed_attributes() -> None:
    found = edges({**PKG,
        "app/store.py": "class Base:\n    def ping(self):\n        pass\n"
                        "class Store(Base):\n    def get(self):\n        self.ping()\n",
        "app/svc.py": "from app.store import Store\n"
                      "class Svc:\n    def __init__(self, store: Store, other) -> None:\n"
                      "        self.store = store\n        self.made = Store()\n"
                      "        self.other = other\n"
                      "    def run(self):\n        self.store.get()\n        self.made.get()\n"
                      "        self.other.get()\n"
                      "def typed(s: Store):\n    s.get()\n"
                      "def bound():\n    s = Store()\n    s.get()\n"})
    assert found == {("app.store.Store.get", "app.store.Base.ping"),
                     ("app.svc.Svc.run", "app.store.Store.get"),
                     ("app.svc.typed", "app.store.Store.get"),
                     ("app.svc.bound", "app.store.Store.get")}


def test_app_stores_resolve_only_when_unique() -> None:
    files = {**PKG,
             "app/clients.py": "class Pricing:\n    def quote(self):\n        pass\n"
                               "class Other:\n    def quote(self):\n        pass\n",
             "app/main.py": "from app.clients import Pricing, Other\nPRICING = 'p'\n"
                            "def make(app):\n    app.state.pricing = Pricing()\n"
                            "    app.state.both = Pricing()\n"
                            "    app.state.both = Other()\n",
             "app/svc.py": "async def a(request):\n    state = request.app.state\n"
                           "    await state.pricing.quote()\n"
                           "async def c(request):\n    await request.app.state.both.quote()\n"}
    found = {e for e in edges(files) if e[0].startswith("app.svc")}
    assert found == {("app.svc.a", "app.clients.Pricing.quote")}


@pytest.mark.parametrize("source", [
    "def f():\n    pass\ndef g(obj):\n    getattr(obj, 'f')()\n",
    "import asyncio\ndef f():\n    pass\nasync def g():\n    await asyncio.to_thread(f)\n",
    "def f():\n    pass\ndef g(x):\n    x.f()\n",
    "def g():\n    def f():\n        pass\n    f()\n",
    "class A:\n    def f(self):\n        pass\nAPP = {}\ndef g():\n    APP['a'] = A()\n"
    "    APP['a'].f()\n",
    # a parameter is not the module-level name it shares a name with
    "class A:\n    def f(self):\n        pass\na = A()\ndef g(a):\n    a.f()\n",
    "class A:\n    def __init__(self, x):\n        self.x = x\n    def g(self):\n"
    "        self.x.f()\ndef f():\n    pass\n",
])
def test_what_is_not_resolved_gives_no_edge(source: str) -> None:
    assert edges({"m.py": source}) == set()


def test_library_calls_keep_their_names() -> None:
    g = graph({"m.py": "import boto3\nfrom pymongo import MongoClient\n"
                       "class A:\n    def __init__(self, url):\n"
                       "        self.s3 = boto3.client('s3')\n        client = MongoClient(url)\n"
                       "        self.events = client['db'].events\n"
                       "    def put(self):\n        self.s3.put_object()\n"
                       "        self.events.insert_one({})\n"})
    names = {c.name for c in g.calls["m.A.put"]}
    assert names == {"boto3.client().put_object", "pymongo.MongoClient().insert_one"}


def test_the_graph_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(callgraph, "MAX_FUNCTIONS", 3)
    g = graph({"m.py": "".join(f"def f{i}():\n    f{i + 1}()\n" for i in range(10))})
    assert g.truncated and len(g.functions) == 3
    monkeypatch.setattr(callgraph, "MAX_DEPTH", 2)
    chain = graph({"m.py": "import time\nasync def f0():\n    f1()\n"
                           + "".join(f"def f{i}():\n    f{i + 1}()\n" for i in range(1, 6))
                           + "def f6():\n    time.sleep(1)\n"})
    assert [c.name for _, c in chain.reach("m.f0") if c.name] == []


def test_reach_stops_at_async_callees() -> None:
    g = graph({"m.py": "import time\nasync def a():\n    await b()\n    c()\n"
                       "async def b():\n    time.sleep(1)\ndef c():\n    time.sleep(1)\n"})
    reached = [([p.callee for p in path], call.name) for path, call in g.reach("m.a")]
    assert reached == [(["m.c"], "time.sleep")]


NESTED = '''
import ast

def outer(x):
    def inner(y):
        return [z for z in y if z]
    handler = lambda e: e.args
    return inner(x) or handler(x)

async def other():
    return 1
'''


def test_a_function_walk_is_a_slice_of_the_one_walk_with_the_nodes_ast_walk_finds() -> None:
    module = pyast.parse(NESTED, "m.py")
    assert module.tree is not None
    for fn in module.functions:
        walked = module.walk(fn)
        assert walked[0] is fn
        assert {id(n) for n in walked} == {id(n) for n in ast.walk(fn)}
        assert len(walked) == len(list(ast.walk(fn)))
    # Not a function: walked as ast.walk does.
    assert {id(n) for n in module.walk(module.tree)} == {id(n) for n in ast.walk(module.tree)}


def test_nodes_of_several_types_come_in_source_order_and_the_list_is_the_callers() -> None:
    module = pyast.parse(NESTED, "m.py")
    both = module.of(ast.FunctionDef, ast.Lambda)
    assert [getattr(n, "name", "lambda") for n in both] == ["outer", "inner", "lambda"]
    both.clear()  # a caller's list: the module's stays whole
    assert len(module.of(ast.FunctionDef, ast.Lambda)) == 3
    assert len(module.of(ast.FunctionDef)) == 2
