"""The pure parts of the collection's action plugins, checked without a
target: ELF header parsing, the build chosen per machine and byte order,
package file choice, the chperms command line and its quoting.
Run: target/fleet/venv/bin/python tests/fleet/test_plugins.py
"""
import importlib.util
import os
import shlex
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ACTIONS = os.path.join(HERE, "..", "..", "ansible", "plugins", "action")


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ACTIONS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


target = load("chperms_target")
action = load("chperms")
passed = failed = 0


def check(name, got, want):
    global passed, failed
    if got == want:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: got %r, want %r" % (name, got, want))


def elf(bits, order, machine):
    b = bytearray(20)
    b[:4] = b"\x7fELF"
    b[4] = 1 if bits == 32 else 2
    b[5] = 1 if order == "little" else 2
    b[18:20] = machine.to_bytes(2, order)
    return target.parse_elf(b.hex())


# uname -m, ELF header of /bin/busybox -> the static build that runs there.
for machine, header, want in [
    ("mips", elf(32, "big", 8), "mips-unknown-linux-musl"),
    ("mips", elf(32, "little", 8), "mipsel-unknown-linux-musl"),
    ("mips", None, None),  # no header: byte order unknown, no guess
    ("x86_64", elf(64, "little", 0x3E), "x86_64-unknown-linux-musl"),
    ("aarch64", elf(64, "little", 0xB7), "aarch64-unknown-linux-musl"),
    ("aarch64", elf(32, "little", 0x28), "armv7-unknown-linux-musleabihf"),
    ("armv7l", elf(32, "little", 0x28), "armv7-unknown-linux-musleabihf"),
    ("mips64", elf(64, "big", 8), None),
    ("riscv64", elf(64, "little", 243), None),
]:
    check("rust_target(%s, %s)" % (machine, header), target.rust_target(machine, header), want)
check("parse_elf garbage", target.parse_elf("zz"), None)
check("parse_elf not ELF", target.parse_elf("00" * 20), None)
check("parse_elf mips", elf(32, "big", 8), {"bits": 32, "byte_order": "big", "machine": "mips"})

with tempfile.TemporaryDirectory() as d:
    for n in ["chperms_0.1.0-r1_x86_64.ipk", "chperms_0.1.0-r1_mipsel_24kc.ipk", "chperms_0.1.0-1_amd64.deb"]:
        open(os.path.join(d, n), "w").close()
    check("ipk for opkg arches", os.path.basename(target.pick_package(d, "opkg", ["all", "noarch", "mipsel_24kc"]) or ""),
          "chperms_0.1.0-r1_mipsel_24kc.ipk")
    check("no ipk for mips_24kc", target.pick_package(d, "opkg", ["all", "mips_24kc"]), None)
    check("deb for amd64", os.path.basename(target.pick_package(d, "dpkg", ["amd64"]) or ""), "chperms_0.1.0-1_amd64.deb")
    check("no package manager", target.pick_package(d, None, []), None)
    os.makedirs(os.path.join(d, "apk", "x86_64"))
    open(os.path.join(d, "apk", "x86_64", "chperms-0.1.0-r1.apk"), "w").close()
    got = target.pick_package(d, "apk", ["x86_64"]) or ""
    check("apk for apk's arch (cross/apk.sh layout)", got[len(d):], "/apk/x86_64/chperms-0.1.0-r1.apk")
    check("version from apk name", target.package_version(got), "0.1.0-r1")
    check("no apk for aarch64", target.pick_package(d, "apk", ["aarch64"]), None)
check("version from ipk name", target.package_version("/x/chperms_0.1.0-r1_x86_64.ipk"), "0.1.0-r1")
check("version from deb name", target.package_version("chperms_0.1.0-1_amd64.deb"), "0.1.0-1")

base = {k: v.get("default") for k, v in action.ARGUMENT_SPEC.items()}
args = dict(base, vhosts=["--all", "a.org; rm -rf /"], root="/srv/my root", user="$(id)")
argv = action.command_line(args, check_mode=True)
check("argv", argv, ["chperms", "apply", "--dry-run", "--root", "/srv/my root", "--user", "$(id)",
                     "--format", "json", "--", "--all", "a.org; rm -rf /"])
check("quoted round trip", shlex.split(" ".join(shlex.quote(a) for a in argv)), argv)
check("check state", action.command_line(dict(base, all=True, state="check"), False)[:3], ["chperms", "check", "--all"])
findings, summary, stray = action.parse_output(
    '{"path":"/srv/a","kind":"mode","expected":"02750","actual":"0755","action":"fixed"}\n'
    'noise\n{"summary":{"checked":1,"changed":1,"drift":0,"refused":0,"errors":0}}\n')
check("parse findings", len(findings), 1)
check("parse summary", summary["changed"], 1)
check("stray lines kept", stray, ["noise"])
check("diff per path", action.path_diffs(findings),
      [{"before_header": "/srv/a", "after_header": "/srv/a", "before": "mode: 0755\n", "after": "mode: 02750\n"}])

print("fleet plugins: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
