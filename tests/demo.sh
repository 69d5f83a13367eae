#!/bin/sh
# make demo: builds a NetServa vhost tree with wrong permissions (as a bad
# migration leaves it: everything root:root, dirs 0755, files 0644, msg/ and
# web/tmp missing), shows the dry run, applies, re-checks, and proves with a
# real read as www-data that the ACME challenge is served.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ "$(id -u)" = 0 ] || { echo "demo: run as root (chperms changes owners)" >&2; exit 1; }
sh "$(dirname "$0")/setup-users.sh"
ROOT=$(mktemp -d /tmp/chperms-demo.XXXXXX)
chmod 0755 "$ROOT"
V=$ROOT/goldcoast.org
mkdir -p "$V/.ssh" "$V/.gnupg" "$V/.rc/bin" "$V/.rc/www" \
    "$V/web/app/public/.well-known/acme-challenge" "$V/web/app/public/lib/sh" \
    "$V/web/log" "$V/web/run"
echo "ssh-ed25519 AAAA demo" > "$V/.ssh/authorized_keys"
echo '#!/bin/sh' > "$V/.rc/bin/backup.sh"
echo '<?php echo "hi";' > "$V/web/app/public/index.php"
echo '<?php $db="x";' > "$V/web/app/public/wp-config.php"
echo '#!/bin/sh' > "$V/web/app/public/lib/sh/script.sh"
echo 'no listing' > "$V/web/app/public/lib/sh/index.html"
echo 'token-123' > "$V/web/app/public/.well-known/acme-challenge/token"
: > "$V/web/log/access.log"; : > "$V/web/log/error.log"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$V/web/run/fpm.sock" 2>/dev/null || true
chown -R root:root "$V"
find "$V" -type d -exec chmod 0755 {} +
find "$V" -type f -exec chmod 0644 {} +

echo "== 1. dry run: what would change (exit 2 = drift) =="
"$BIN" goldcoast.org --root "$ROOT" --user chpv1 --dry-run || echo "(exit $?)"
echo
echo "== 2. apply =="
"$BIN" goldcoast.org --root "$ROOT" --user chpv1 --quiet && echo "(exit 0)"
echo
echo "== 3. check again: nothing to change =="
"$BIN" check goldcoast.org --root "$ROOT" --user chpv1 && echo "(exit 0)"
echo
echo "== 4. the tree now =="
"$BIN" find "$V" -printf '%M %u:%g %p\n' 2>/dev/null || ls -laR "$V"
echo
echo "== 5. www-data reads the ACME challenge; an outsider reads nothing =="
setpriv --reuid www-data --regid www-data --init-groups cat "$V/web/app/public/.well-known/acme-challenge/token" \
    && echo "www-data: allowed"
if setpriv --reuid chpout --regid chpout --init-groups ls "$V" >/dev/null 2>&1; then
    echo "outsider: ALLOWED (wrong!)"; exit 1
else
    echo "outsider chpout: denied at $V"
fi
rm -rf "$ROOT"
