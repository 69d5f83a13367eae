#!/bin/sh
# The Ansible collection against an OpenWrt-like root without Python,
# reached over SSH as a router is: dropbear (Debian's dropbear-bin, the
# server OpenWrt ships) inside the BusyBox root of tests/system/lib,
# listening on 127.0.0.1 only, key authentication only.
#
#   router  BusyBox + procd + ubusd + uci + opkg (arch x86_64): the install
#           role puts dist/chperms_*_x86_64.ipk in with opkg and starts the
#           procd service; then the action-plugin checks of ansible.sh run
#           against it (first run changed, second changed=0, check mode,
#           diff, a missing vhost's message).
#   plain   BusyBox only: no package manager, no service manager: the role
#           installs the static binary it picks from uname -m and the byte
#           order read with BusyBox's hexdump from /bin/busybox.
#
# Needs: tests/fleet/setup.sh, the harness's OpenWrt build (cached under
# target/system), dist/ from `make cross ipk`. Run from the repository root.
set -u
. tests/fleet/ansible.sh
SYS_ME=fleet-ssh
. tests/system/lib/common.sh
. tests/system/lib/build.sh
. tests/system/lib/root.sh
. tests/system/lib/ns.sh

if ! sys_need_vendor; then
    echo "fleet ssh: SKIPPED (no upstream sources for the OpenWrt root): NOT TESTED"
    exit 0
fi
for f in dist/x86_64-unknown-linux-musl/chperms dist/mips-unknown-linux-musl/chperms \
    dist/mipsel-unknown-linux-musl/chperms; do
    [ -f "$f" ] || sys_die "$f missing: run 'make cross ipk' first (mk/fleet.mk does)"
done
set -- dist/chperms_*_x86_64.ipk
[ -f "$1" ] || sys_die "dist/chperms_*_x86_64.ipk missing: run 'make ipk' first"

workdir ansible-ssh
trap 'sys_ns_cleanup; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
sys_build_openwrt

# A port nobody listens on (others run tests on this machine too).
free_port() {
    while :; do
        p=$(( $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 20000 + 30000 ))
        hex=$(printf '%04X' "$p")
        grep -qi ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
    done
}

ssh-keygen -q -t ed25519 -N '' -C fleet-test -f "$W/id_ed25519"

# add_dropbear ROOT PORT: dropbear on 127.0.0.1:PORT, root's key only.
add_dropbear() {
    r=$1 port=$2
    sys_root_install "$r" /usr/sbin/dropbear /usr/sbin/dropbear
    mkdir -p "$r/etc/dropbear" "$r/root/.ssh"
    dropbearkey -t ed25519 -f "$r/etc/dropbear/dropbear_ed25519_host_key" >/dev/null 2>&1
    printf '/bin/ash\n/bin/sh\n' > "$r/etc/shells"
    cp "$W/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
    chmod 700 "$r/root" "$r/root/.ssh"
    chmod 600 "$r/root/.ssh/authorized_keys"
    # ptys for ssh -tt (Ansible's raw asks for one): a devpts instance of
    # the root's own (the harness makes /dev/pts but mounts nothing there).
    cat > "$r/etc/sys-init.d/35-devpts" <<'DEVPTS'
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts && ln -sf pts/ptmx /dev/ptmx
DEVPTS
    hex=$(printf '%04X' "$port")
    # -s: no passwords; -E: log to stderr (/tmp/log/dropbear.log); -F: foreground.
    sys_root_daemon "$r" 40-dropbear \
        "dropbear -F -E -s -p 127.0.0.1:$port -r /etc/dropbear/dropbear_ed25519_host_key" \
        "grep -qi '0100007F:$hex 00000000:0000 0A' /proc/net/tcp"
}

# inventory ROOT PORT FILE
inventory() {
    cat > "$3" <<INV
[fleet]
$4 ansible_host=127.0.0.1 ansible_port=$2 ansible_user=root

[fleet:vars]
ansible_ssh_private_key_file=$W/id_ed25519
ansible_ssh_common_args=-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes
ansible_ssh_transfer_method=piped
test_root=/srv
test_vhost=$VHOST
test_user=fleetweb
test_binary=chperms
INV
}

check "ansible-galaxy builds and installs the collection" install_collection

# --- router: OpenWrt userland, opkg, procd ------------------------------
R=$(sys_root_dir fleet-router)
sys_root_new "$R"
sys_root_openwrt "$R"
sys_root_opkg "$R" x86_64
echo 'fleetweb:x:1201:1201:fleet test vhost:/srv/fleet.example:/bin/false' >> "$R/etc/passwd"
echo 'fleetweb:x:1201:' >> "$R/etc/group"
make_tree "$R"
mkdir -p "$R/opt/elf"
cp dist/mips-unknown-linux-musl/chperms "$R/opt/elf/mips"
cp dist/mipsel-unknown-linux-musl/chperms "$R/opt/elf/mipsel"
PORT=$(free_port)
add_dropbear "$R" "$PORT"
sys_ns_start "$R" || sys_die "the router root did not start"
inventory "$R" "$PORT" "$W/inventory" router
cp "$W/inventory" "$W/inventory.router"

if sys_ns_sh "$R" 'command -v python3 || command -v python || ls /usr/lib/python* /usr/bin/python*' >/dev/null 2>&1; then
    fail "router: no Python" "python found in the root"
else
    pass "router: no Python in the root"
fi
case $(sys_ns_run "$R" ps -o args 2>/dev/null | grep '^dropbear') in
    *127.0.0.1:$PORT*) pass "router: dropbear listens on 127.0.0.1:$PORT only";;
    *) fail "router: dropbear" "$(sys_ns_run "$R" ps)";;
esac

play role1 install.yml -e "chperms_dist=$REPO/dist" || fail "router: install role" "$(tail -40 "$W/role1.out")"
recap_is role1 '[1-9][0-9]*' && pass "router: the install role ran and changed the host" ||
    fail "router: role" "$(recap role1)"
grep -A2 "Install the package with the host's package manager" "$W/role1.out" | grep -q '^changed: \[router\]' &&
    pass "router: the role chose the host's package (ipk)" || fail "router: package" "$(grep -A3 TASK "$W/role1.out" | head -40)"
v=$(sys_ns_sh "$R" 'opkg status chperms | sed -n "s/^Status: //p"')
[ "$v" = "install user installed" ] && pass "router: opkg has chperms installed" || fail "router: opkg status" "$v"
t_rc=$(sys_ns_sh "$R" '/etc/init.d/chperms enabled && /etc/init.d/chperms running && echo yes')
[ "$t_rc" = yes ] && pass "router: procd runs the chperms service (enabled, running)" ||
    fail "router: service" "$(sys_ns_sh "$R" 'ls -l /etc/rc.d; ubus call service list; logread | tail')"
play role2 install.yml -e "chperms_dist=$REPO/dist" || fail "router: install role again" "$(tail -30 "$W/role2.out")"
recap_is role2 0 && pass "router: the role again: changed=0" ||
    fail "router: role idempotence" "$(recap role2) $(grep -B3 'changed:' "$W/role2.out" | head -30)"

if play elf elf.yml; then
    pass "router: BusyBox's hexdump reads the byte order of mips (big) and mipsel (little) ELF files"
else
    fail "router: ELF byte order" "$(grep -B2 -A12 -E 'FAILED|fatal' "$W/elf.out" | head -40)"
fi

suite router "$R" "" 1201 33

# --- plain: BusyBox only --------------------------------------------------
P=$(sys_root_dir fleet-plain)
sys_root_new "$P"
PORT2=$(free_port)
add_dropbear "$P" "$PORT2"
sys_ns_start "$P" || sys_die "the plain root did not start"
inventory "$P" "$PORT2" "$W/inventory" plain
play plain1 install.yml -e "chperms_dist=$REPO/dist" || fail "plain: install role" "$(tail -40 "$W/plain1.out")"
want=$(sha256sum < dist/x86_64-unknown-linux-musl/chperms)
[ "$(sha256sum < "$P/usr/sbin/chperms" 2>&1)" = "$want" ] &&
    pass "plain: the role installed the static x86_64 build (same sha256 as dist/)" ||
    fail "plain: binary choice" "$(grep -A4 'Copy the binary' "$W/plain1.out")"
grep -q 'no service manager' "$W/plain1.out" &&
    pass "plain: no service manager, said so" || fail "plain: service message" "$(tail -20 "$W/plain1.out")"
out=$(sys_ns_run "$P" /usr/sbin/chperms --version 2>&1)
case $out in "chperms "*) pass "plain: /usr/sbin/chperms runs in the root ($out)";;
    *) fail "plain: installed binary" "$out";; esac
m=$(stat -c '%a %u' "$P/usr/sbin/chperms")
[ "$m" = "755 0" ] && pass "plain: installed root-owned, mode 0755" || fail "plain: mode" "$m"
play plain2 install.yml -e "chperms_dist=$REPO/dist" || fail "plain: install role again" "$(tail -30 "$W/plain2.out")"
recap_is plain2 0 && pass "plain: the role again: changed=0" || fail "plain: role idempotence" "$(recap plain2)"

finish ssh
