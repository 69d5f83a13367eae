# mk/fleet.mk — the fleet suite of issue 14 (Prometheus metrics, the Ansible
# collection in ansible/). Included by the top-level Makefile.
#
#   make fleet-test   promtool + prometheus_client on --metrics output;
#                     ansible-playbook against localhost and, over SSH
#                     (dropbear), an OpenWrt-like BusyBox root without
#                     Python; ansible-lint. Tools go to target/fleet
#                     (tests/fleet/setup.sh); prints its wall time.
#
# Needs the release binary, the test users, and dist/ (static binaries and
# .ipk packages the install role puts on the root): in `make test` the
# package suite has built them already.

.PHONY: fleet-test

fleet-test: build users ipk
	sh tests/fleet/run.sh

system-test: fleet-test
