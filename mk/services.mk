# mk/services.mk — chperms under the init systems of Alpine and Debian (issue
# 11). Included by the top-level Makefile; joins `make test` via system-test.
#
#   make deb            dist/chperms_<version>_<arch>.deb (dpkg-deb): binary,
#                       systemd units, /etc/default/chperms, license
#   make systemd-test   the .deb under a real systemd (Debian bookworm from
#                       debootstrap in systemd-nspawn; cached in target/system/systemd)
#   make openrc-test    the APKBUILD's package under OpenRC 0.45.2 (Debian's)
#                       and 0.62.10 (built from ../shared/vendor), in chroots
#                       with BusyBox and syslogd (cached in target/system/openrc)
#   make alpine         abuild's validate and the Alpine files (tests/pkg/test-alpine.sh)
#   make services-test  all three; each prints its wall time

.PHONY: deb systemd-test openrc-test services-test alpine-checksums

deb: build
	sh debian/build-deb.sh target/release/chperms dist

systemd-test: build
	@start=$$(date +%s); \
	sh tests/system/systemd/run.sh "$$(sh debian/build-deb.sh target/release/chperms dist)"; rc=$$?; \
	echo "systemd-test: wall time $$(( $$(date +%s) - start )) s"; exit $$rc

openrc-test: build
	@start=$$(date +%s); \
	sh tests/system/openrc/run.sh target/release/chperms; rc=$$?; \
	echo "openrc-test: wall time $$(( $$(date +%s) - start )) s"; exit $$rc

services-test: alpine openrc-test systemd-test

system-test: services-test

# After editing alpine/chperms.* or alpine/README.md: their sha512sums lines.
alpine-checksums:
	sh tests/pkg/test-alpine.sh --update-checksums
