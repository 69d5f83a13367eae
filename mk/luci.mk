# mk/luci.mk — luci-app-chperms: its package and its browser test.
#
#   make luci-ipk    dist/luci-app-chperms_<version>_all.ipk (no SDK, no build);
#                    `make ipk` makes it too
#   make luci-apk    dist/apk/noarch/luci-app-chperms-<version>.apk (apk v3, for
#                    OpenWrt 25.12+; builds apk-tools from ../shared/vendor once)
#   make luci-test   the LuCI stack from ../shared/vendor in a BusyBox root,
#                    chperms and luci-app-chperms installed with opkg, Debian's
#                    Chromium driven through the page (tests/system/luci/test.sh);
#                    part of `make test` (system-test). Screenshots:
#                    target/system/luci/screenshots/.

.PHONY: luci-ipk luci-apk luci-test

luci-ipk:
	sh openwrt-package/luci-app-chperms/package.sh ipk dist

luci-apk:
	sh openwrt-package/luci-app-chperms/package.sh apk dist/apk/noarch

# `make ipk` / `make apk` pack the LuCI app beside chperms (arch all: no
# cross build).
ipk: luci-ipk
apk: luci-apk

# The test installs the x86_64 chperms .ipk, as a router would.
luci-test: ipk
	sh tests/system/luci/test.sh

system-test: luci-test
