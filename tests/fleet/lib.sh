# Shared by the fleet suite's scripts (sourced): counting, temp dirs.
# Each check prints "PASS name" or "FAIL name: why"; finish() prints
# "fleet NAME: N passed, N failed" and returns non-zero on any failure.

FLEET_PASS=0
FLEET_FAIL=0
REPO=$(pwd)
BIN=${CHPERMS_BIN:-$REPO/target/release/chperms}
TOOLS=$REPO/target/fleet
VENV=$TOOLS/venv

pass() { FLEET_PASS=$((FLEET_PASS + 1)); echo "PASS $1"; }
fail() { FLEET_FAIL=$((FLEET_FAIL + 1)); echo "FAIL $1: $2"; }

# check NAME COMMAND...: PASS when COMMAND exits 0, else FAIL with its output.
check() {
    name=$1; shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

finish() {
    echo "fleet $1: $FLEET_PASS passed, $FLEET_FAIL failed"
    [ "$FLEET_FAIL" -eq 0 ]
}

# A fresh work directory under target/fleet/work, removed at exit unless
# FLEET_KEEP=1 (for looking at a failure).
workdir() {
    mkdir -p "$TOOLS/work"
    W=$(mktemp -d "$TOOLS/work/$1.XXXXXX")
    chmod 755 "$W"
    [ "${FLEET_KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
}
