#!/bin/sh
# tests/system/luci/test.sh — chperms' LuCI page in a real browser (make luci-test).
#
# Builds the LuCI stack from ../shared/vendor on top of the OpenWrt userland
# (tests/system/lib: libubox, ubus, uci, procd; luci/build.sh: ucode,
# lucihttp, rpcd, uhttpd, LuCI's core.so/html.so), makes a BusyBox root with
# procd, rpcd and uhttpd serving LuCI on 127.0.0.1, installs chperms and
# luci-app-chperms with opkg from their .ipk files (make ipk), then drives
# Debian's Chromium through the DevTools protocol as the router's owner:
# log in, Services -> chperms, see the drift, Check, Repair (dry run shown,
# then confirmed), the tree fixed on disk, Settings: watcher on, then fix on,
# Save & Apply, the watcher's command line in procd changed.
#
# Screenshots of every page: target/system/luci/screenshots/. The root is
# deleted at the end (SYS_KEEP_ROOT=1 keeps it). Prints its wall time.
set -u
SYS_ME=luci-test
suite_started=$(date +%s)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/build.sh"
. "$here/../lib/root.sh"
. "$here/../lib/ns.sh"
. "$here/build.sh"
. "$here/root.sh"

sys_need_vendor || exit 0
[ "$(id -u)" = 0 ] || sys_die "run as root (the test makes namespaces and chowns files)"

out=$SYS_CACHE/luci
shots=$out/screenshots
rm -rf "$shots" && mkdir -p "$shots" "$out/dist"

finish() {
	sys_ns_cleanup
	echo "luci-test: wall time $(($(date +%s) - suite_started)) s"
}
trap finish EXIT
trap 'exit 1' INT TERM

# -- what the test needs on the host ------------------------------------
# Chromium from Debian (~115 packages the first time), openssl for the
# password hash.
sys_apt_install chromium openssl
python3 -c 'import json, select' 2>/dev/null || sys_die "python3 is needed for the browser driver"

sys_build_luci
t_ok "LuCI stack built from $SYS_VENDOR (ucode, lucihttp, rpcd, uhttpd, LuCI core)"

chperms_ipk=$(ls "$SYS_REPO"/dist/chperms_*_x86_64.ipk 2>/dev/null | head -1)
[ -n "$chperms_ipk" ] || sys_die "no dist/chperms_*_x86_64.ipk: run 'make ipk' first (mk/luci.mk does)"
sh "$SYS_REPO/openwrt-package/luci-app-chperms/package.sh" ipk "$out/dist" >/dev/null ||
	sys_die "packing luci-app-chperms failed"
app_ipk=$(ls "$out"/dist/luci-app-chperms_*_all.ipk | head -1)

# -- the root -----------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password="router-$(date +%s)"
ROOT=$(sys_root_dir luci)
sys_root_new "$ROOT"
sys_root_openwrt "$ROOT"
sys_root_opkg "$ROOT" x86_64
sys_root_luci "$ROOT" "$port" "$password"
sys_root_luci_opkg_image "$ROOT"
# The vhost's user: its home is the vhost, as chperms discovers it.
echo "shop:x:1101:1101:shop:/srv/shop.example:/bin/false" >>"$ROOT/etc/passwd"
echo "shop:x:1101:" >>"$ROOT/etc/group"
echo "shop:*:0:0:99999:7:::" >>"$ROOT/etc/shadow"
mkdir -p "$ROOT/pkgs"
cp "$chperms_ipk" "$app_ipk" "$ROOT/pkgs/"

sys_ns_start "$ROOT" || sys_die "the root did not start (see above)"
t_ok "root up: procd, ubusd, rpcd, uhttpd on 127.0.0.1:$port"

if inst=$(sys_ns_sh "$ROOT" "opkg install /pkgs/${chperms_ipk##*/} /pkgs/${app_ipk##*/}" 2>&1); then
	t_ok "opkg installs chperms and luci-app-chperms"
else
	t_bad "opkg installs chperms and luci-app-chperms" "$inst"
	exit 1
fi
# The package's postinst sent rpcd SIGHUP: rpcd re-executes itself and now
# serves the backend, with the two methods and nothing else.
if sys_wait_until 10 sys_ns_sh "$ROOT" 'ubus -t 1 list luci.chperms'; then
	methods=$(sys_ns_sh "$ROOT" 'ubus -v list luci.chperms' | sed -n 's/^[[:space:]]*"\([a-z_]*\)":.*/\1/p' | sort | tr '\n' ' ')
	t_eq "rpcd serves luci.chperms (check, apply only) after the package's postinst" "apply check " "$methods"
else
	t_bad "rpcd serves luci.chperms after the package's postinst" "$(sys_ns_sh "$ROOT" 'ubus list; cat /tmp/log/rpcd.log')"
fi
# The ACL: an anonymous session may not call it.
anon=$(sys_ns_sh "$ROOT" "wget -q -O - --post-data '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"call\",\"params\":[\"00000000000000000000000000000000\",\"luci.chperms\",\"apply\",{}]}' http://127.0.0.1:$port/ubus" 2>&1)
case $anon in
*'"code":-32002'*) t_ok "the ACL: an anonymous caller is denied luci.chperms apply" ;;
*) t_bad "the ACL: an anonymous caller is denied luci.chperms apply" "$anon" ;;
esac

# The backend takes only the trees of /etc/config/chperms: a made-up tree
# (a path, an option) is refused before any command runs.
bogus=$(sys_ns_sh "$ROOT" "ubus call luci.chperms apply '{\"tree\":\"vhost:../../etc\"}'" 2>&1)
case $bogus in
*'is not a tree of /etc/config/chperms'*) t_ok "the backend refuses a tree that is not configured" ;;
*) t_bad "the backend refuses a tree that is not configured" "$bogus" ;;
esac
# The ACL grants the two methods, procd's service list and UCI chperms: no
# file access, no command execution.
acl=$ROOT/usr/share/rpcd/acl.d/luci-app-chperms.json
if grep -q '"file"\|"exec"\|"\*"' "$acl"; then
	t_bad "the ACL grants no file access, exec or wildcard" "$(cat "$acl")"
else
	t_ok "the ACL grants no file access, exec or wildcard"
fi

# -- the browser ----------------------------------------------------------
in_root=$out/in-root
cat >"$in_root" <<EOF
#!/bin/sh
# Runs \$1 as a shell command inside the luci-test root (written by test.sh).
SYS_ME=luci-test
. "$here/../lib/common.sh"
. "$here/../lib/ns.sh"
sys_ns_sh "$ROOT" "\$1"
EOF
chmod 0755 "$in_root"

# A vhost as its user left it after a deploy: a world-writable uploads
# folder and an index.php written by root, world-writable.
make_drift='set -e
mkdir -p /srv/shop.example/web/app/public
echo "<?php echo 1;" >/srv/shop.example/web/app/public/index.php
chown -R shop:shop /srv/shop.example
chperms apply shop.example --quiet >/dev/null
mkdir /srv/shop.example/web/app/public/uploads
chown shop:shop /srv/shop.example/web/app/public/uploads
chmod 0777 /srv/shop.example/web/app/public/uploads
chown root:root /srv/shop.example/web/app/public/index.php
chmod 0666 /srv/shop.example/web/app/public/index.php'

PYTHONDONTWRITEBYTECODE=1 python3 "$here/browser_test.py" --url "http://127.0.0.1:$port" --password "$password" \
	--root "$ROOT" --in-root "$in_root" --make-drift "$make_drift" \
	--shots "$shots" --counts "$out/browser.counts"
if read -r p f <"$out/browser.counts"; then
	T_PASS=$((T_PASS + p)) T_FAIL=$((T_FAIL + f))
else
	t_bad "the browser test reported its counts"
fi
ls "$shots"/*.png >/dev/null 2>&1 && sys_say "screenshots: $shots"
t_finish
