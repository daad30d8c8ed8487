"""Contracts: protos compiled and compared as descriptors, stubs, git history, env vars."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import tree
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment.contracts import envvars, proto
from tests.deploy.conftest import write_tree

ORDERS = """
    syntax = "proto3";
    package shop.v1;

    enum Status { STATUS_UNSPECIFIED = 0; PAID = 1; }

    message Order {
      string id = 1;
      int64 total_cents = 2;
      repeated string items = 3;
      map<string, string> labels = 4;
      Status status = 5;
    }

    service Orders {
      rpc Get(Order) returns (Order);
    }
    """


def shape(tmp_path: Path, text: str, rel: str = "orders.proto") -> proto.Shape:
    write_tree(tmp_path, {rel: text})
    return proto.shape_of(proto.compile_proto(tmp_path / rel, rel))


def test_reordered_commented_copy_is_identical(tmp_path: Path) -> None:
    a = shape(tmp_path / "a", ORDERS)
    b = shape(tmp_path / "b", """
        // A copy with other formatting and order: the same contract.
        syntax = "proto3";
        package shop.v1;
        service Orders { rpc Get(Order) returns (Order); }
        message Order {
          Status status = 5;   string id = 1;
          int64 total_cents = 2; repeated string items = 3; map<string, string> labels = 4;
        }
        enum Status { STATUS_UNSPECIFIED = 0; PAID = 1; }
        """)
    assert proto.differences(a, b) == []
    assert a.line("shop.v1.Order#2") == 8


def test_drifted_copy_differences_have_lines(tmp_path: Path) -> None:
    a = shape(tmp_path / "a", ORDERS)
    drifted = ORDERS.replace("int64 total_cents", "int32 total_cents").replace(
        "repeated string items = 3;", "").replace("map<string, string>", "map<string, int32>")
    b = shape(tmp_path / "b", drifted)
    located = proto.locate(proto.differences(a, b), b, "b/orders.proto", "r", a)
    # A missing field is reported at its message in the drifted copy (line 6).
    assert [(f.line, f.message) for f in located] == [
        (8, "field shop.v1.Order = 2 is int32 total_cents here but int64 total_cents in "
            "orders.proto"),
        (6, "field shop.v1.Order.items = 3 is missing (present in orders.proto)"),
        (6, "field shop.v1.Order.LabelsEntry = 2 is int32 value here but string value in "
            "orders.proto"),
    ]


def test_breaking_changes_and_safe_changes(tmp_path: Path) -> None:
    old = shape(tmp_path / "old", ORDERS)
    safe = shape(tmp_path / "safe", ORDERS.replace(
        "repeated string items = 3;", "reserved 3; reserved \"items\"; string note = 6;"))
    assert proto.breaking_changes(old, safe) == []
    broken = shape(tmp_path / "broken", ORDERS.replace("string id = 1;", "string id = 7;")
                   .replace("repeated string items = 3;", "")
                   .replace("Status status = 5;", "int32 status = 5;")
                   .replace("PAID = 1;", "")
                   .replace("rpc Get(Order) returns (Order);", ""))
    messages = [d.message for d in proto.breaking_changes(old, broken)]
    assert messages == [
        "field shop.v1.Order.id was renumbered 1 -> 7",
        "field shop.v1.Order.items = 3 was removed without reserving its number",
        "field shop.v1.Order.status changed type shop.v1.Status status -> int32 status",
        "enum shop.v1.Status lost values [1]",
        "rpc shop.v1.Orders/Get was removed",
    ]


def test_proto_that_does_not_compile_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as info:
        shape(tmp_path, 'syntax = "proto3";\nmessage X {\n  string a = 1\n}\n', "api/x.proto")
    assert (info.value.file, info.value.line) == ("api/x.proto", 4)
    assert info.value.problem == 'does not compile: Expected ";".'


def test_imports_resolve_through_include_dirs(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "common/money.proto": 'syntax = "proto3";\npackage common;\n'
                              'message Money { int64 c = 1; }\n',
        "api/pay.proto": 'syntax = "proto3";\nimport "common/money.proto";\n'
                         'message Pay { common.Money amount = 1; }\n',
    })
    fdp = proto.compile_proto(tmp_path / "api/pay.proto", "api/pay.proto", [tmp_path])
    assert proto.shape_of(fdp).messages["Pay"][1].type == "common.Money"


def test_protoc_of_the_audited_tree_never_runs(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A grpc_tools/ package in the audited tree (the audit's current directory) is not
    the one that compiles its protos."""
    write_tree(tmp_path, {
        "orders.proto": ORDERS, "grpc_tools/__init__.py": "",
        "grpc_tools/protoc.py": "import pathlib\npathlib.Path(__file__).with_name('RAN')"
                                ".write_text('x')\nraise SystemExit(0)\n"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    fdp = proto.compile_proto(tmp_path / "orders.proto", "orders.proto")
    assert not (tmp_path / "grpc_tools" / "RAN").exists()
    assert [m.name for m in fdp.message_type] == ["Order"]


def test_protoc_that_does_not_finish_is_a_parse_error(tmp_path: Path) -> None:
    """A compile past contracts.timeout ends in an error naming the file, never a hang."""
    write_tree(tmp_path, {"orders.proto": ORDERS})
    with pytest.raises(ParseError, match="protoc did not finish within 0.001s"):
        proto.compile_proto(tmp_path / "orders.proto", "orders.proto", timeout=0.001)


def test_python_stub_read_without_import_and_compared(tmp_path: Path) -> None:
    write_tree(tmp_path, {"orders.proto": ORDERS})
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp_path}",
                    f"--python_out={tmp_path}", str(tmp_path / "orders.proto")], check=True,
                   timeout=60)
    stub = (tmp_path / "orders_pb2.py").read_text()
    fdp = proto.python_stub_descriptor(stub, "orders_pb2.py")
    assert fdp is not None and fdp.name == "orders.proto"
    current = shape(tmp_path, ORDERS.replace("int64 total_cents", "double total_cents"))
    assert [d.key for d in proto.differences(current, proto.shape_of(fdp))] == [
        "shop.v1.Order#2"]
    assert proto.python_stub_descriptor("x = 1\n", "empty_pb2.py") is None
    with pytest.raises(ParseError):
        proto.python_stub_descriptor("def (:\n", "bad_pb2.py")


def _go_stub(data: bytes, as_string: bool) -> str:
    if as_string:
        body = "".join(f"\\x{b:02x}" for b in data)
        half = len(body) // 2 - (len(body) // 2) % 4
        return (f'package v1\n\nconst file_orders_proto_rawDesc = "" +\n\t"{body[:half]}" +\n'
                f'\t"{body[half:]}"\n')
    rows = ",\n\t".join(", ".join(f"0x{b:02x}" for b in data[i:i + 16])
                        for i in range(0, len(data), 16))
    return f"package v1\n\nvar file_orders_proto_rawDesc = []byte{{\n\t{rows},\n}}\n"


@pytest.mark.parametrize("as_string", [False, True])
def test_go_stub_raw_descriptor(tmp_path: Path, as_string: bool) -> None:
    fdp = proto.compile_proto(write_tree(tmp_path, {"orders.proto": ORDERS}) / "orders.proto",
                              "orders.proto")
    plain = type(fdp)()
    plain.CopyFrom(fdp)
    plain.ClearField("source_code_info")
    found = proto.go_stub_descriptor(_go_stub(plain.SerializeToString(), as_string),
                                     "orders.pb.go")
    assert found == plain


@given(st.binary(max_size=64))
def test_go_unquote_inverts_hex_and_octal_escapes(data: bytes) -> None:
    assert proto.go_unquote("".join(f"\\x{b:02x}" for b in data)) == data
    assert proto.go_unquote("".join(f"\\{b:03o}" for b in data)) == data


def test_source_of_prefers_the_nearest_copy() -> None:
    protos = ["proto/orders.proto", "agent/proto/orders.proto", "other/x.proto"]
    assert proto.source_of("orders.proto", protos, "agent/gen/orders_pb2.py") == \
        "agent/proto/orders.proto"
    assert proto.source_of("orders.proto", protos, "app/orders_pb2.py") == "proto/orders.proto"
    assert proto.source_of("shop/v1/orders.proto", protos, "x_pb2.py") == "proto/orders.proto"
    assert proto.source_of("none.proto", protos, "x_pb2.py") is None


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.invalid",
                    "-c", "user.name=t", *args], check=True, capture_output=True, timeout=30)


def test_file_at_ref_reads_history_read_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"api/orders.proto": ORDERS})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "v1")
    _git(tmp_path, "tag", "v1")
    (tmp_path / "api/orders.proto").write_text("changed")
    assert proto.file_at_ref(tmp_path, "api/orders.proto", "v1", 10) == \
        textwrap.dedent(ORDERS).lstrip("\n")
    assert proto.file_at_ref(tmp_path, "api/new.proto", "v1", 10) is None
    with pytest.raises(ParseError, match="git show nope:api/orders.proto failed"):
        proto.file_at_ref(tmp_path, "api/orders.proto", "nope", 10)
    assert (tmp_path / "api/orders.proto").read_text() == "changed"


# --- environment variables ------------------------------------------------------------


def test_code_reads_with_and_without_defaults(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "app/config.py": """
            import os
            from os import environ as env, getenv
            from pydantic_settings import BaseSettings, SettingsConfigDict
            from pydantic import Field

            DB = os.environ["DATABASE_URL"]
            LEVEL = os.getenv("LOG_LEVEL", "info")
            TOKEN = getenv("API_TOKEN")
            NONE_DEFAULT = env.get("REGION", None)
            DEBUG = "DEBUG" in os.environ

            class Settings(BaseSettings):
                model_config = SettingsConfigDict(env_prefix="SHOP_")
                redis_url: str
                workers: int = 2
                secret: str = Field(..., alias="SHOP_SIGNING_KEY")
                _private: int = 0
            """,
    }))
    reads = {(r.name, r.line, r.has_default, r.how) for r in envvars.code_reads(inventory)}
    assert reads == {
        ("DATABASE_URL", 6, False, "os.environ[]"), ("LOG_LEVEL", 7, True, "os.getenv"),
        ("API_TOKEN", 8, False, "os.getenv"), ("REGION", 9, False, "os.environ.get"),
        ("DEBUG", 10, True, "in os.environ"), ("SHOP_REDIS_URL", 14, False, "BaseSettings"),
        ("SHOP_WORKERS", 15, True, "BaseSettings"),
        ("SHOP_SIGNING_KEY", 16, False, "BaseSettings"),
    }


def test_missing_and_unused_against_templates_and_units(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "app.py": 'import os\nA = os.environ["A"]\nB = os.getenv("B")\nC = os.getenv("C", "1")\n',
        ".env.example": "# comment\nA=changeme\nexport UNUSED_T=1\nPATH=/usr/bin\n",
        "deploy/app.service": '[Service]\nEnvironment="B=1" UNUSED_U=2\n',
        "tests/test_app.py": 'import os\nTOKEN = os.environ["CI_ONLY_TOKEN"]\n',
    }))
    provided = envvars.template_sets(inventory) + envvars.unit_sets(inventory)
    reads = envvars.code_reads(inventory)
    assert envvars.missing(reads, provided) == []
    assert [(s.name, s.file, s.line) for s in envvars.unused(reads, provided)] == [
        ("UNUSED_T", ".env.example", 3), ("UNUSED_U", "deploy/app.service", 2)]
    assert [r.name for r in envvars.missing(reads, envvars.template_sets(inventory))] == ["B"]
