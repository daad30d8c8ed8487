"""Pure parts of the host suites: parsers, rules, the command allowlist."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import unitfile
from pytest_readiness.probes.hosts import clock, connect, files, fleet, services
from pytest_readiness.probes.network import dns, ntp

# --- systemd unit syntax -----------------------------------------------------------

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-.@", min_size=1, max_size=12)
_key = st.sampled_from(["After", "Wants", "Requires", "Description", "ExecStart"])


@given(st.dictionaries(_key, st.lists(st.lists(_word, min_size=1, max_size=3), min_size=1,
                                      max_size=3), max_size=5))
def test_unit_round_trip_with_repeats_and_continuations(keys):
    lines = ["# comment", "[Unit]"]
    for key, assignments in keys.items():
        for words in assignments:
            # Split every multi-word value over continuation lines.
            lines.append(f"{key}=" + " \\\n  ".join(words))
    parsed = unitfile.parse_unit("\n".join(lines) + "\n")
    for key, assignments in keys.items():
        assert parsed["Unit"][key] == [" ".join(w) for w in assignments]


@given(st.text(max_size=300))
def test_unit_parser_ends_in_a_unit_or_a_clear_error(text):
    try:
        unitfile.parse_unit(text)
    except unitfile.UnitSyntaxError as exc:
        assert str(exc).startswith("line ")


def test_empty_assignment_resets_and_drop_in_overrides():
    base = unitfile.parse_unit("[Unit]\nAfter=a.service b.service\n[Service]\nRestart=no\n")
    merged = unitfile.parse_unit("[Unit]\nAfter=\nAfter=c.service\n[Service]\nRestart=always\n",
                                base)
    assert merged["Unit"]["After"] == ["c.service"]
    assert unitfile.facts_from_unit("x.service", merged, "x").restart == "always"
    assert base["Unit"]["After"] == ["a.service b.service"]  # the base is not changed


def test_unit_syntax_error_names_the_line():
    with pytest.raises(unitfile.UnitSyntaxError, match="line 2"):
        unitfile.parse_unit("[Unit]\nthis is not an assignment\n")


@pytest.mark.parametrize(("text", "seconds"), [
    ("5", 5.0), ("500ms", 0.5), ("1min 30s", 90.0), ("2h", 7200.0), ("100000us", 0.1),
    ("1min 5s 500ms", 65.5)])
def test_timespan(text, seconds):
    assert unitfile.parse_timespan(text) == pytest.approx(seconds)


def test_timespan_rejects_garbage():
    with pytest.raises(ValueError, match="time"):
        unitfile.parse_timespan("soon")


def test_systemctl_show_facts():
    show = services.parse_show("After=network-online.target db.service\nWants=network-online."
                              "target\nRestart=on-failure\nRestartUSec=5s\nUnitFileState=enabled\n"
                              "ActiveState=active\n")
    facts = services.facts_from_show("app.service", show)
    assert facts.restart_sec == 5.0 and facts.unit_file_state == "enabled"
    assert unitfile.network_online_problems(facts) == []


def test_rules():
    only_after = unitfile.UnitFacts("a.service", "x", after=("network-online.target",))
    assert "without Wants" in unitfile.network_online_problems(only_after)[0]
    only_wants = unitfile.UnitFacts("a.service", "x", wants=("network-online.target",))
    assert "without After" in unitfile.network_online_problems(only_wants)[0]
    unordered = unitfile.UnitFacts("a.service", "x", requires=("db.service",))
    assert unitfile.ordering_problems(unordered) == [
        "depends on db.service but is not ordered after it (add After=db.service)"]
    assert unitfile.restart_problems(unitfile.UnitFacts("a", "x"))[0]
    fast = unitfile.UnitFacts("a", "x", restart="always", restart_sec=0.1)
    assert unitfile.restart_problems(fast)[0] == [] and "tight loop" in unitfile.restart_problems(
        fast)[1][0]
    assert unitfile.restart_problems(unitfile.UnitFacts("a", "x", restart="always",
                                                      restart_sec=5)) == ([], [])
    # A oneshot job started by a timer exits by design: no restart policy needed.
    oneshot = unitfile.parse_unit("[Service]\nType=oneshot\nExecStart=/usr/bin/backup\n")
    facts = unitfile.facts_from_unit("backup.service", oneshot, "backup.service")
    assert facts.service_type == "oneshot" and unitfile.restart_problems(facts) == ([], [])
    assert services.facts_from_show("x", {"Type": "oneshot", "Restart": "no"}).service_type == \
        "oneshot"


def test_dropins_from_listing():
    dirs = ["/lib/systemd/system/a.service.d", "/etc/systemd/system/a.service.d"]
    listing = (f"{dirs[0]}:\n10-x.conf\n20-y.conf\n\n{dirs[1]}:\n10-x.conf\nnotes.txt\n")
    assert services.dropins_from_listing(listing, dirs) == [
        f"{dirs[1]}/10-x.conf", f"{dirs[0]}/20-y.conf"]


# --- clock ---------------------------------------------------------------------------

CHRONYC = ("A29FC87B,162.159.200.123,3,1700000000.123456789,-0.000012345,0.000001234,"
           "0.000010000,-12.345,0.001,0.010,0.012345,0.001234,64.2,Normal\n")


def test_chronyc_tracking_csv():
    tracking = clock.parse_chronyc_tracking(CHRONYC)
    assert tracking.stratum == 3 and tracking.synchronised
    assert tracking.system_offset_s == pytest.approx(-0.000012345)
    unsynced = clock.parse_chronyc_tracking(CHRONYC.replace("Normal", "Not synchronised"))
    assert not unsynced.synchronised


def test_chronyc_garbage_is_a_clear_error():
    with pytest.raises(ValueError, match="expected 14 CSV fields"):
        clock.parse_chronyc_tracking("506 Cannot talk to daemon")


def test_timedatectl_show():
    values = clock.parse_key_values("Timezone=UTC\nNTP=yes\nNTPSynchronized=no\n")
    assert values["NTPSynchronized"] == "no" and values["Timezone"] == "UTC"


@given(st.integers(0, 2**31), st.floats(-1e6, 1e6))
def test_sntp_offset_from_the_four_timestamps(now, offset):
    t1, t4 = float(now), float(now) + 0.02
    sent = ntp._to_ntp(t1)
    reply = bytearray(48)
    reply[0], reply[1] = (4 << 3) | 4, 2
    import struct
    struct.pack_into("!II", reply, 24, *sent)
    struct.pack_into("!II", reply, 32, *ntp._to_ntp(t1 + 0.01 + offset))
    struct.pack_into("!II", reply, 40, *ntp._to_ntp(t1 + 0.01 + offset))
    sample = ntp.parse_reply("s", bytes(reply), sent, t1, t4)
    assert sample.offset_s == pytest.approx(offset, abs=1e-3)
    assert sample.delay_s == pytest.approx(0.02, abs=1e-3)


def test_sntp_reply_not_echoing_our_request_is_refused():
    reply = bytearray(48)
    reply[0], reply[1] = (4 << 3) | 4, 2
    with pytest.raises(ntp.NtpError, match="does not echo"):
        ntp.parse_reply("s", bytes(reply), (1, 2), 0.0, 0.1)
    with pytest.raises(ntp.NtpError, match="not NTP"):
        ntp.parse_reply("s", b"hello", (1, 2), 0.0, 0.1)


# --- DNS, files, fleet -----------------------------------------------------------------

def test_getent_ahosts():
    out = ("10.0.0.5        STREAM api.example\n10.0.0.5        DGRAM\n"
           "10.0.0.6        RAW\n")
    assert dns.parse_getent_ahosts(out) == ["10.0.0.5", "10.0.0.6"]


def test_dns_compare():
    assert dns.compare(("10.0.0.5",), ["10.0.0.5", "10.0.0.6"]).unexpected == []
    wrong = dns.compare(("10.0.0.66",), ["10.0.0.7"])
    assert wrong.unexpected == ["10.0.0.66"] and wrong.missing == ["10.0.0.7"]


def test_parse_stat_and_exposure():
    found = files.parse_stat("600|root|root|/etc/ssl/private/a.key\n"
                                 "640|root|shadow|/etc/shadow\n644|app|app|/srv/x|y.key\n")
    assert [f.path for f in found] == ["/etc/ssl/private/a.key", "/etc/shadow", "/srv/x|y.key"]
    assert [files.exposure(f) for f in found[:2]] == [None, None]
    assert "others can access it" in files.exposure(found[2])
    assert "group app" in files.exposure(files.FileStat("/k", 0o640, "app", "app"))


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.sampled_from("abc"), max_size=9))
def test_outliers_are_a_minority_and_differ(values):
    drift = fleet.find_outliers(values)
    if drift.majority is not None:
        assert all(v != drift.majority for v in drift.outliers.values())
        assert len(values) - len(drift.outliers) > len(values) / 2 or not drift.outliers
        assert set(drift.outliers) <= set(values)
    else:
        assert drift.outliers == values


def test_roles_group_hosts():
    from pytest_readiness.config import Host

    a, b, c = (Host(name=n, roles=r) for n, r in (("a", ["web"]), ("b", ["web"]), ("c", ["db"])))
    assert fleet.roles([a, b, c]) == {"web": [a, b]}  # a role of one host is not compared
    assert fleet.roles([Host(name="x"), Host(name="y")]) == {
        "all": [Host(name="x"), Host(name="y")]}


# --- the allowlist ------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    "stat -L -c '%%a|%%U|%%G|%%n' -- %s", "test -e %s", "systemctl show -p After -- %s",
    "timedatectl show", "chronyc -c tracking", "getent ahostsv4 %s", "date +%s.%N",
    "dpkg-query -W -f '${Version}' %s", "rpm -q --quiet %s 2>&1", "command -v %s",
    "cat /etc/os-release", "uname -r", "sqlite3 -readonly %s 'PRAGMA integrity_check;'"])
def test_read_only_commands_pass(command):
    connect.guard_command(command)


@pytest.mark.parametrize("command", [
    "rm -rf %s", "systemctl restart %s", "timedatectl set-ntp true", "chronyc -c makestep",
    "cat %s; rm -rf /", "stat %s && reboot", "echo $(id)", "uname -r > /etc/motd",
    "/usr/bin/systemctl stop x", "sh -c %s", "date -s %s", "date %s", "systemctl %s x",
    "sqlite3 %s 'DELETE FROM t'"])
def test_writing_or_compound_commands_refused(command):
    with pytest.raises(connect.CommandRefused):
        connect.guard_command(command)


def test_connection_failure_reasons():
    assert connect.connection_failure("ssh: connect to host x port 22: Connection refused") == \
        "connection refused"
    assert "banner" in connect.connection_failure(
        "Connection timed out during banner exchange") or "SSH" in connect.connection_failure(
        "Connection timed out during banner exchange")
    assert "handshake" in connect.connection_failure("")
