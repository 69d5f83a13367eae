#!/bin/sh
# bench/seed_cron.sh VHOST USER GROUP LOG — the permission checker of the
# seed's incident (seeds/000: check_permissions.sh, run every 5 minutes by a
# systemd timer): it checks the critical directories, corrects what is
# wrong (chown to the app user and group, chmod) and logs each correction.
# Here the "critical directories" are the whole vhost, files 0640 and the
# owner/group of everything, as the seed's script does for its list; it
# leaves directory modes alone so that the vhost stays in the model for the
# other measurements. Used by bench/monitor.sh for its CPU per run; not a
# tool to use (chperms check --fix is).
set -u
V=$1 U=$2 G=$3 LOG=$4
now() { date '+%Y-%m-%d %H:%M:%S'; }
n=$(find "$V" \( ! -user "$U" -o ! -group "$G" \) -print -exec chown "$U:$G" {} + | wc -l)
[ "$n" -gt 0 ] && echo "$(now) fixed owner of $n entries under $V" >>"$LOG"
n=$(find "$V" -type f ! -perm 0640 ! -name '*.sh' ! -path '*/.ssh/*' ! -path '*/.rc/*' \
	! -path '*/web/log/*' ! -name wp-config.php -print -exec chmod 0640 {} + | wc -l)
[ "$n" -gt 0 ] && echo "$(now) fixed mode of $n files under $V" >>"$LOG"
exit 0
