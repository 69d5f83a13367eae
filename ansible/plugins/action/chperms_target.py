# Copyright: the chperms authors. MIT licence (see LICENSE at the collection root).
"""Action plugin ``netserva.chperms.chperms_target``: what to install where.

Probes the target with one raw shell command (no Python there): ``uname -m``,
the ELF header of one of its own programs (BusyBox's ``hexdump`` or ``od``
read it: ``uname -m`` says ``mips`` for both MIPS byte orders, the header's
EI_DATA byte tells them apart), the package manager and the architectures it
accepts, the init system, and the chperms already installed. Then, on the
controller, picks what the install role copies: the host's package from
``dist`` when one matches, else the static binary for its architecture and
byte order.
"""
from __future__ import annotations

import glob
import os
import re
import shlex

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "dist": {"type": "path"},
    "method": {"type": "str", "default": "auto", "choices": ["auto", "package", "binary", "probe"]},
    "elf_file": {"type": "str"},
}

# Run by /bin/sh on the target; BusyBox ash is enough. Prints KEY=VALUE lines.
PROBE = r"""
echo "machine=$(uname -m)"
elf_hex() {
    if command -v hexdump >/dev/null 2>&1; then
        hexdump -v -n 20 -e '20/1 "%02x"' "$1"
    elif command -v od >/dev/null 2>&1; then
        od -An -v -tx1 -N20 "$1" | tr -d ' \n'
    else
        dd if="$1" bs=20 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
    fi
}
for f in ELF_FILES; do
    if [ -f "$f" ] && [ -r "$f" ]; then
        echo "elf_file=$f"
        echo "elf_header=$(elf_hex "$f")"
        break
    fi
done
if command -v opkg >/dev/null 2>&1; then
    echo "pkg=opkg"
    echo "pkg_arches=$(opkg print-architecture 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
    echo "pkg_version=$(opkg status chperms 2>/dev/null | sed -n 's/^Version: //p')"
elif command -v apk >/dev/null 2>&1; then
    echo "pkg=apk"
    echo "pkg_arches=$(apk --print-arch 2>/dev/null)"
    echo "pkg_version=$(apk info -e -v chperms 2>/dev/null | sed -n 's/^chperms-//p')"
elif command -v dpkg >/dev/null 2>&1; then
    echo "pkg=dpkg"
    echo "pkg_arches=$(dpkg --print-architecture 2>/dev/null)"
    echo "pkg_version=$(dpkg-query -W -f='${Status} ${Version}' chperms 2>/dev/null | sed -n 's/^install ok installed //p')"
fi
if [ -d /run/systemd/system ]; then
    echo "init=systemd"
elif [ -x /sbin/procd ] && [ -f /etc/rc.common ]; then
    echo "init=procd"
elif command -v openrc-run >/dev/null 2>&1 || [ -x /sbin/openrc-run ]; then
    echo "init=openrc"
else
    echo "init=none"
fi
p=$(command -v chperms 2>/dev/null)
echo "installed=$p"
[ -n "$p" ] && echo "installed_version=$("$p" --version 2>/dev/null | head -n 1)"
exit 0
"""

# ELF e_machine numbers of the five targets chperms is built for.
E_MACHINE = {0x3E: "x86_64", 0xB7: "aarch64", 0x28: "arm", 0x08: "mips"}


def parse_elf(hexstr):
    """(class bits, byte order, machine) from the first 20 bytes, or None."""
    try:
        b = bytes.fromhex(hexstr)
    except ValueError:
        return None
    if len(b) < 20 or b[:4] != b"\x7fELF" or b[4] not in (1, 2) or b[5] not in (1, 2):
        return None
    order = "little" if b[5] == 1 else "big"
    machine = int.from_bytes(b[18:20], order)
    return {
        "bits": 32 if b[4] == 1 else 64,
        "byte_order": order,
        "machine": E_MACHINE.get(machine, "e_machine %d" % machine),
    }


def rust_target(machine, elf):
    """The static chperms build that runs on a ``uname -m`` machine whose
    userland has the ELF header ``elf`` (None when there is no such build)."""
    order = elf["byte_order"] if elf else None
    bits = elf["bits"] if elf else None
    if machine == "x86_64" and bits != 32:
        return "x86_64-unknown-linux-musl"
    if machine in ("aarch64", "arm64"):
        # A 64-bit kernel with a 32-bit userland (some Raspberry Pi images).
        return "armv7-unknown-linux-musleabihf" if bits == 32 else "aarch64-unknown-linux-musl"
    if re.match(r"armv(7|8)", machine or ""):
        return "armv7-unknown-linux-musleabihf"
    if machine == "mips" or (machine == "mips64" and bits == 32):
        # uname says "mips" for both byte orders: the ELF header decides.
        if order == "little":
            return "mipsel-unknown-linux-musl"
        if order == "big":
            return "mips-unknown-linux-musl"
    return None


def pick_package(dist, pkg, arches):
    """A package file in ``dist`` that the target's package manager accepts."""
    if not dist or not pkg:
        return None
    for arch in reversed(arches):  # opkg lists arches by rising priority
        if pkg == "opkg":
            pats = ["chperms_*_%s.ipk" % arch]
        elif pkg == "apk":
            # cross/apk.sh's layout (dist/apk/<arch>/), or an Alpine repository's.
            pats = ["apk/%s/chperms-[0-9]*.apk" % arch, "%s/chperms-[0-9]*.apk" % arch]
        else:
            pats = ["chperms_*_%s.deb" % arch]
        for pat in pats:
            found = sorted(glob.glob(os.path.join(glob.escape(dist), pat)))
            if found:
                return found[-1]
    return None


def package_version(path):
    """The version in a package file name (chperms_0.1.0-r1_x86_64.ipk)."""
    name = os.path.basename(path)
    m = re.match(r"chperms[_-]([0-9][^_]*)(?:_.*)?\.(?:ipk|deb|apk)$", name)
    return m.group(1) if m else None


class ActionModule(ActionBase):
    """Probes the target with raw shell; picks the package or binary."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        files = [args["elf_file"]] if args["elf_file"] else ["/bin/busybox", "/bin/sh", "/bin/ls"]
        probe = PROBE.replace("ELF_FILES", " ".join(shlex.quote(f) for f in files))
        res = self._low_level_execute_command(probe, sudoable=bool(self._play_context.become))
        if res["rc"] != 0:
            result.update(failed=True, rc=res["rc"], stderr=res.get("stderr", ""),
                          msg="probing the target failed: %s" % res.get("stderr", "").strip())
            return result
        facts = {}
        for line in res.get("stdout", "").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                facts[key.strip()] = value.strip()
        elf = parse_elf(facts.get("elf_header", ""))
        machine = facts.get("machine", "")
        arches = facts.get("pkg_arches", "").split()
        target = {
            "machine": machine,
            "elf": elf,
            "elf_file": facts.get("elf_file"),
            "rust_target": rust_target(machine, elf),
            "package_manager": facts.get("pkg"),
            "package_arches": arches,
            "package_version": facts.get("pkg_version") or None,
            "init": facts.get("init", "none"),
            "installed": facts.get("installed") or None,
            "installed_version": facts.get("installed_version") or None,
        }
        if args["method"] == "probe":
            result.update(changed=False, target=target, plan=None)
            return result
        dist = args["dist"]
        package = None
        if args["method"] in ("auto", "package"):
            package = pick_package(dist, target["package_manager"], arches)
        if package:
            plan = {"method": "package", "source": package,
                    "format": os.path.splitext(package)[1][1:], "version": package_version(package)}
            plan["needed"] = plan["version"] != target["package_version"]
        elif args["method"] == "package":
            result.update(failed=True, target=target, msg=(
                "no chperms package in %s for this host (package manager %s, arches %s)"
                % (dist, target["package_manager"] or "none", " ".join(arches) or "none")))
            return result
        else:
            binary = os.path.join(dist or "", target["rust_target"] or "", "chperms")
            if not target["rust_target"]:
                result.update(failed=True, target=target, msg=(
                    "no static chperms build for this host: uname -m says %r, %s says %s; "
                    "chperms is built for x86_64, aarch64, armv7, mipsel and mips"
                    % (machine, target["elf_file"], elf or "no ELF header")))
                return result
            if not os.path.isfile(binary):
                result.update(failed=True, target=target, msg=(
                    "%s: missing on the controller (build it with 'make cross', or set dist)" % binary))
                return result
            plan = {"method": "binary", "source": binary, "format": "binary", "version": None, "needed": True}
        result.update(changed=False, target=target, plan=plan)
        return result
