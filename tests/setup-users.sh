#!/bin/sh
# Creates the fixed users and groups the tests run as (idempotent, needs root).
#   chpv1   uid 1101  a vhost user (primary group chpv1)
#   chpv2   uid 1102  a second vhost user
#   chpout  uid 1199  an outsider: in neither a vhost's group nor www-data
#   www-data          the web server (Debian has it; created if missing)
#   uid 1000          the sysadm case: whatever user has uid 1000, or 'sysadm'
set -eu
[ "$(id -u)" = 0 ] || { echo "setup-users: must run as root" >&2; exit 1; }
getent group www-data >/dev/null || groupadd -g 33 www-data
getent passwd www-data >/dev/null || useradd -u 33 -g www-data -M -d /var/www -s /usr/sbin/nologin www-data
mk() { # name uid
    getent group "$1" >/dev/null || groupadd -g "$2" "$1"
    getent passwd "$1" >/dev/null || useradd -u "$2" -g "$1" -M -d /nonexistent -s /bin/sh "$1"
}
mk chpv1 1101
mk chpv2 1102
mk chpout 1199
if ! getent passwd 1000 >/dev/null; then
    getent group sysadm >/dev/null || groupadd -g 1000 sysadm
    useradd -u 1000 -g sysadm -M -d /nonexistent -s /bin/sh sysadm
fi
