#!/bin/sh
# Creates the fixed users and groups the tests run as (idempotent, needs root).
#   chpv1   uid 1101  a vhost user (primary group chpv1)
#   chpv2   uid 1102  a second vhost user
#   chpout  uid 1199  an outsider: in neither a vhost's group nor www-data
#   www-data          the web server (Debian has it; created if missing)
#   uid 1000          the sysadm case: whatever user has uid 1000, or 'sysadm'
# With useradd/groupadd (Debian; Alpine's shadow), else BusyBox's
# adduser/addgroup (Alpine's default), else by appending to /etc/passwd,
# /etc/group and /etc/shadow (a bare BusyBox root).
set -eu
[ "$(id -u)" = 0 ] || { echo "setup-users: must run as root" >&2; exit 1; }
# has passwd|group NAME-OR-ID
has() {
    if command -v getent >/dev/null; then getent "$1" "$2" >/dev/null; return; fi
    awk -F: -v k="$2" '$1 == k || $3 == k { found = 1 } END { exit !found }' "/etc/$1"
}
add_group() { # name gid
    if command -v groupadd >/dev/null; then groupadd -g "$2" "$1"
    elif command -v addgroup >/dev/null; then addgroup -g "$2" "$1"
    else echo "$1:x:$2:" >>/etc/group; fi
}
add_user() { # name uid group home shell
    if command -v useradd >/dev/null; then useradd -u "$2" -g "$3" -M -d "$4" -s "$5" "$1"
    elif command -v adduser >/dev/null; then adduser -D -H -u "$2" -G "$3" -h "$4" -s "$5" "$1"
    else
        gid=$(awk -F: -v g="$3" '$1 == g { print $3 }' /etc/group)
        echo "$1:x:$2:$gid::$4:$5" >>/etc/passwd
        [ -f /etc/shadow ] && echo "$1:!:1::::::" >>/etc/shadow
    fi
}
has group www-data || add_group www-data 33
has passwd www-data || add_user www-data 33 www-data /var/www /usr/sbin/nologin
mk() { # name uid
    has group "$1" || add_group "$1" "$2"
    has passwd "$1" || add_user "$1" "$2" "$1" /nonexistent /bin/sh
}
mk chpv1 1101
mk chpv2 1102
mk chpout 1199
if ! has passwd 1000; then
    has group sysadm || add_group sysadm 1000
    add_user sysadm 1000 sysadm /nonexistent /bin/sh
fi
