#!/bin/sh
# The fleet suite (issue 14): Prometheus metrics and the Ansible collection,
# against the real promtool, prometheus_client, ansible-core, ansible-lint,
# dropbear and OpenWrt userland. Prints each part's "N passed, N failed" and
# the wall time; exits non-zero when any part failed.
# Usage (repository root, as root): sh tests/fleet/run.sh   (or make fleet-test)
set -u
start=$(date +%s)
failed=""
part() {
    name=$1; shift
    echo "=== fleet: $name"
    "$@" || failed="$failed $name"
}
sh tests/fleet/setup.sh || { echo "fleet: setup failed" >&2; exit 1; }
VENV=target/fleet/venv
part plugins "$VENV/bin/python" tests/fleet/test_plugins.py
part metrics sh tests/fleet/metrics.sh
part services sh tests/fleet/services.sh
part ansible-local sh tests/fleet/ansible.sh local
lint() {
    . tests/fleet/ansible.sh
    install_collection || return 1
    (cd ansible && PATH="$VENV/bin:$PATH" ansible-lint --offline --nocolor -q) &&
        PATH="$VENV/bin:$PATH" ansible-lint --offline --nocolor -q tests/fleet/playbooks &&
        echo "fleet lint: 1 passed, 0 failed"
}
part ansible-lint lint
part ansible-ssh sh tests/fleet/ssh.sh
echo "fleet: wall time $(( $(date +%s) - start )) s"
if [ -n "$failed" ]; then
    echo "fleet: FAILED:$failed"
    exit 1
fi
echo "fleet: every part passed"
