#!/bin/sh
# The Ansible collection as an operator uses it: built with ansible-galaxy,
# installed into target/fleet/collections, playbooks run with
# ansible-playbook against a host; the trees are read back from the host
# side with GNU stat.
#
# Usage: sh tests/fleet/ansible.sh local
#        (the ssh target is driven by tests/fleet/ssh.sh, which sources this)
set -u
. tests/fleet/lib.sh

export ANSIBLE_HOME="$TOOLS/ansible-home"
export ANSIBLE_COLLECTIONS_PATH="$TOOLS/collections"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_CONFIG="$TOOLS/ansible.cfg" ANSIBLE_DEPRECATION_WARNINGS=False
mkdir -p "$TOOLS" && printf '[defaults]\n' > "$ANSIBLE_CONFIG" # nothing from ~ or /etc
PLAYBOOKS=tests/fleet/playbooks
VHOST=fleet.example

install_collection() {
    rm -rf "$TOOLS/collections" "$TOOLS"/netserva-chperms-*.tar.gz
    "$VENV/bin/ansible-galaxy" collection build ansible --output-path "$TOOLS" --force >/dev/null &&
    "$VENV/bin/ansible-galaxy" collection install "$TOOLS"/netserva-chperms-*.tar.gz \
        -p "$TOOLS/collections" --force >/dev/null
}

# make_tree DIR: a vhost in drift (root-owned, loose modes, missing dirs).
make_tree() {
    rm -rf "$1/srv"
    mkdir -p "$1/srv/$VHOST/web/app/public" "$1/srv/$VHOST/.ssh"
    echo '<?php' > "$1/srv/$VHOST/web/app/public/index.php"
    echo key > "$1/srv/$VHOST/.ssh/authorized_keys"
    chmod 777 "$1/srv/$VHOST/web/app/public/index.php"
    chmod 755 "$1/srv/$VHOST/.ssh"
}

snapshot() { (cd "$1" && find . -printf '%p %u %g %m\n' | sort); }

# ugm PATH: "owner:group mode" as GNU stat reads them (numeric ids, so that
# a root's own /etc/passwd cannot make the host's names disagree).
ugm() { stat -c '%u:%g %a' "$1"; }

# play NAME PLAYBOOK [ARGS]: ansible-playbook, output in $W/NAME.out
play() {
    name=$1 book=$2; shift 2
    "$VENV/bin/ansible-playbook" -i "$W/inventory" "$PLAYBOOKS/$book" "$@" > "$W/$name.out" 2>&1
}
recap() { grep -E '^[^ ].* : ok=' "$W/$1.out" | head -1; }
# recap_is NAME CHANGED-REGEX: the play reached its host, nothing failed, and
# the changed count matches (0, 1, [1-9][0-9]*).
recap_is() { recap "$1" | grep -Eq " changed=($2) +unreachable=0 +failed=0 "; }

# suite LABEL HOSTROOT TARGETROOT UID GID: the checks, with the tree at
# HOSTROOT/srv as the host sees it and TARGETROOT/srv as the target does.
suite() {
    label=$1 host=$2 troot=$3 uid=$4 gid=$5
    make_tree "$host"
    before=$(snapshot "$host/srv")
    file=$troot/srv/$VHOST/web/app/public/index.php

    if play check apply.yml --check --diff; then
        pass "$label: check mode runs"
    else
        fail "$label: check mode" "$(tail -30 "$W/check.out")"
    fi
    recap_is check 1 && pass "$label: check mode reports changed (drift)" ||
        fail "$label: check mode changed" "$(recap check)"
    grep -q "^--- before: $file\$" "$W/check.out" && grep -q "^-mode: 0777" "$W/check.out" &&
        grep -q "^+mode: 0640" "$W/check.out" &&
        pass "$label: --diff shows each path, before -> after" ||
        fail "$label: diff" "$(grep -A6 "before:" "$W/check.out" | head -40)"
    recap_is check 1 && [ "$(snapshot "$host/srv")" = "$before" ] && pass "$label: check mode changed nothing on disk" ||
        fail "$label: check mode touched the tree" "$(snapshot "$host/srv")"

    play apply1 apply.yml || fail "$label: first apply" "$(tail -30 "$W/apply1.out")"
    recap_is apply1 1 && pass "$label: first run changed" || fail "$label: first run" "$(recap apply1)"
    v=$host/srv/$VHOST
    got="$(ugm "$v") $(ugm "$v/web") $(ugm "$v/web/app/public/index.php") $(ugm "$v/.ssh") $(ugm "$v/.ssh/authorized_keys") $(ugm "$v/web/log")"
    want="$uid:$gid 2750 $uid:$gid 755 $uid:$gid 640 $uid:$uid 700 $uid:$uid 600 $uid:$gid 2770"
    [ "$got" = "$want" ] && pass "$label: the tree is in policy (exact owner, group, mode)" ||
        fail "$label: tree after apply" "got  $got
want $want"

    play apply2 apply.yml || fail "$label: second apply" "$(tail -30 "$W/apply2.out")"
    recap_is apply2 0 && pass "$label: second run changed=0 (idempotent)" ||
        fail "$label: second run" "$(recap apply2)"

    if play results results.yml; then
        pass "$label: failures carry chperms' message, audits change nothing, findings drive later tasks"
    else
        fail "$label: results.yml" "$(grep -B2 -A12 -E 'FAILED|fatal|Assertion' "$W/results.out" | head -60)"
    fi
    [ "$(ugm "$host/srv/$VHOST/web/app/public/index.php")" = "$uid:$gid 640" ] &&
        pass "$label: the file drifted in results.yml was fixed again" ||
        fail "$label: refix" "$(ugm "$host/srv/$VHOST/web/app/public/index.php")"
}

local_suite() {
    workdir ansible-local
    check "ansible-galaxy builds and installs the collection" install_collection
    uid=$(id -u chpv1) gid=$(getent group www-data | cut -d: -f3)
    cat > "$W/inventory" <<INV
[fleet]
localhost ansible_connection=local ansible_python_interpreter=$VENV/bin/python

[fleet:vars]
test_root=$W/srv
test_vhost=$VHOST
test_user=chpv1
test_binary=$BIN
INV
    suite localhost "$W" "$W" "$uid" "$gid"
    finish "ansible localhost"
}

case ${1:-} in
local) local_suite ;;
"") ;; # sourced
*) echo "usage: $0 local" >&2; exit 1 ;;
esac
