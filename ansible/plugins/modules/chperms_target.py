# Copyright: the chperms authors. MIT licence (see LICENSE at the collection root).
# Documentation only: the action plugin of the same name does the work.
from __future__ import annotations

DOCUMENTATION = r"""
---
module: chperms_target
short_description: Learn what chperms build or package a target needs, without Python on it
version_added: "0.1.0"
description:
  - Probes the target with one raw shell command - C(uname -m), the ELF header of one of its
    programs (read with BusyBox C(hexdump) or C(od); C(uname -m) says C(mips) for both MIPS byte
    orders, the header's EI_DATA byte tells them apart), the package manager (opkg, apk, dpkg) and
    the architectures it accepts, the init system (procd, OpenRC, systemd) and the installed chperms.
  - Then picks, on the controller, the host's package from O(dist) when one matches, else the
    static binary C(DIST/<rust target>/chperms) for its architecture and byte order.
  - Used by the P(netserva.chperms.chperms#role) role.
options:
  dist:
    description: Controller directory holding package files and C(<rust target>/chperms) binaries.
    type: path
  method:
    description: V(auto) prefers a package, V(package) and V(binary) insist, V(probe) only probes.
    type: str
    choices: [auto, package, binary, probe]
    default: auto
  elf_file:
    description: The target program whose ELF header tells the byte order (default C(/bin/busybox), else C(/bin/sh)).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - chperms authors
"""

EXAMPLES = r"""
- name: What would be installed
  netserva.chperms.chperms_target:
    dist: "{{ playbook_dir }}/dist"
  register: probe
- name: Show it
  ansible.builtin.debug:
    msg: "{{ probe.target.machine }} {{ probe.target.elf.byte_order }}: {{ probe.plan.source }}"
"""

RETURN = r"""
target:
  description: What the probe found.
  returned: always
  type: dict
  sample: {"machine": "mips", "elf": {"bits": 32, "byte_order": "big", "machine": "mips"},
           "rust_target": "mips-unknown-linux-musl", "package_manager": "opkg",
           "package_arches": ["all", "noarch", "mips_24kc"], "init": "procd"}
plan:
  description: What to install (method package or binary, source file on the controller, version, needed).
  returned: success, unless O(method=probe)
  type: dict
"""
