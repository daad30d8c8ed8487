# shellcheck shell=bash
# Sourced by scripts/audit.sh and scripts/test.sh (not run on its own).
#
# Python packages go only into virtual environments made here, outside any audited
# tree: ${XDG_CACHE_HOME:-~/.cache}/pytest-readiness/NAME-pyVERSION-HASH, one per
# checkout, python and NAME. Never pip outside a venv, never --break-system-packages
# (PEP 668). PYTHON names the python that makes them (default: python3 on PATH).
# What the machine lacks for that (python3, Debian's python3.X-venv) is installed
# with apt-get, as root or through sudo.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pytest-readiness"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
APT_UPDATED=""

say() { echo "pytest-readiness: $*" >&2; }

# apt_install PACKAGE...: Debian packages, after one apt-get update per run.
apt_install() {
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
        say "installing $* needs root or sudo"
        exit 1
    fi
    if [ -z "$APT_UPDATED" ]; then
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ensure_python: sets PYTHON to a python that can make a venv with pip in it.
ensure_python() {
    PYTHON=${PYTHON:-python3}
    if ! command -v "$PYTHON" >/dev/null; then
        if [ "$PYTHON" != python3 ]; then
            say "PYTHON=$PYTHON: no such command"
            exit 1
        fi
        say "installing python3 (apt-get)"
        apt_install python3
    fi
    if "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        return
    fi
    case "$(command -v "$PYTHON")" in
        /usr/bin/* | /bin/*)  # Debian ships ensurepip apart, in python3.X-venv
            local version
            version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
            say "installing python$version-venv (apt-get)"
            apt_install "python$version-venv" ;;
        *)
            say "$PYTHON cannot make a virtual environment (no ensurepip module)"
            exit 1 ;;
    esac
}

# make_venv NAME PIP-ARGS...: sets VENV to NAME's venv, made and pip-installed
# only when missing or when pyproject.toml or PIP-ARGS changed since.
make_venv() {
    local name=$1 exe version stamp
    shift
    exe=$("$PYTHON" -c 'import sys; print(sys.executable)')
    version=$("$PYTHON" -c 'import platform; print(platform.python_version())')
    VENV="$CACHE/$name-py$version-$(printf '%s\n' "$ROOT" "$exe" | sha256sum | cut -c1-10)"
    stamp=$( (cat "$ROOT/pyproject.toml"; echo "$*") | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$VENV/.installed" 2>/dev/null)" = "$stamp" ] && "$VENV/bin/python" -c '' 2>/dev/null
    then
        return
    fi
    say "$name venv: $VENV ($exe)"
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$PYTHON" -m venv --clear "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@"
    echo "$stamp" >"$VENV/.installed"
}
