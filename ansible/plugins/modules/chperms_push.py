# Copyright: the chperms authors. MIT licence (see LICENSE at the collection root).
# Documentation only: the action plugin of the same name does the work.
from __future__ import annotations

DOCUMENTATION = r"""
---
module: chperms_push
short_description: Copy one file to a target that has no Python
version_added: "0.1.0"
description:
  - Sends the file with the connection's own transfer (sftp, scp, or C(dd) when
    C(ansible_ssh_transfer_method=piped), which OpenWrt needs as it has no sftp-server) to a
    temporary name beside O(dest), checks its sha256 there, sets O(mode) and renames it over
    O(dest), so a running program is never replaced by half a file.
  - Nothing is sent when O(dest) already has the same content and mode (C(sha256sum) on the target).
  - Used by the P(netserva.chperms.chperms#role) role.
options:
  src:
    description: The file on the controller.
    type: path
    required: true
  dest:
    description: The path on the target.
    type: str
    required: true
  mode:
    description: Octal permission bits for O(dest).
    type: str
    default: "0644"
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
- name: Install a static chperms build
  netserva.chperms.chperms_push:
    src: dist/mipsel-unknown-linux-musl/chperms
    dest: /usr/sbin/chperms
    mode: "0755"
"""

RETURN = r"""
checksum:
  description: sha256 of the file.
  returned: always
  type: str
"""
