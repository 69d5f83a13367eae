# mk/openwrt.mk — OpenWrt: apk v3 packages, the release tarball, and the
# system test on OpenWrt's real userland. Included by the top-level Makefile.
#
#   make apk                  dist/apk/<arch>/chperms-<version>.apk for five OpenWrt
#                             arches (25.12+), with apk mkpkg built from ../shared/vendor
#   make dist                 dist/chperms-<version>.tar.gz (sources + vendored crates)
#                             and PKG_HASH in openwrt-package/Makefile
#   make openwrt-system-test  opkg and apk v3 lifecycles under procd/ubus/uci
#                             (tests/system/openwrt/test-openwrt.sh; part of make test)
#
# CHPERMS_VENDOR=DIR: the upstream sources (default ../shared/vendor). Without
# them the system test says so in one line and is skipped; .ci/run sets the
# variable, so CI always runs it.

.PHONY: apk dist openwrt-system-test

apk: cross
	$(CROSS_SH) cross/apk.sh

dist:
	$(CROSS_SH) cross/dist.sh

# Needs the .ipk files (and the binaries they hold); builds the .apk files
# itself once it knows the upstream sources are there.
openwrt-system-test: ipk
	bash tests/system/openwrt/test-openwrt.sh

system-test: openwrt-system-test
