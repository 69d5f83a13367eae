# Copyright: the chperms authors. MIT licence (see LICENSE at the collection root).
# The work is done by the action plugin of the same name (plugins/action/chperms.py),
# on the controller: this file only documents it (ansible-doc netserva.chperms.chperms).
from __future__ import annotations

DOCUMENTATION = r"""
---
module: chperms
short_description: Bring vhost trees into their ownership/mode policy with chperms, without Python on the target
version_added: "0.1.0"
description:
  - Runs C(chperms apply) or C(chperms check) on the target with one shell command over the
    connection (as M(ansible.builtin.raw) does). The target needs a POSIX shell and chperms,
    not Python, so OpenWrt routers can be managed like any other host.
  - The result comes from chperms' JSON Lines output. V(changed) comes from its summary.
  - Check mode runs C(chperms apply --dry-run) and reports what would change (V(changed) is true
    when anything would). Diff mode shows each path's owner, group and mode before and after.
  - chperms' exit status 1 (an error, or an entry refused as unsafe) fails the task with
    chperms' own message. Exit 2 (drift found by C(state=check) or in check mode) does not fail.
  - Every value is shell-quoted, and O(vhosts) are passed after C(--), so no name can become an
    option or shell syntax on the target.
options:
  vhosts:
    description: Vhost directories under O(root) (for example V(goldcoast.org)).
    type: list
    elements: str
    default: []
  all:
    description: Every directory under O(root) whose name contains a dot and does not start with one.
    type: bool
    default: false
  policy:
    description: A policy file (JSON) on the target, instead of the built-in NetServa vhost model.
    type: str
  root:
    description: The directory holding the vhosts (chperms' default is C(/srv)).
    type: str
  user:
    description: The vhost user, overriding discovery (C(/etc/passwd) home, else the directory's owner).
    type: str
  web_group:
    description: The web server's group (chperms' default is C(www-data)).
    type: str
  chroot:
    description: Vhosts with uid > 1000 get a C(root:root 0755) top level (the legacy chroot model).
    type: bool
    default: false
  cross_mounts:
    description: Enter and change other filesystems mounted inside a tree.
    type: bool
    default: false
  metrics:
    description: Also write Prometheus metrics to this C(*.prom) file on the target (node_exporter's textfile directory).
    type: str
  state:
    description:
      - V(apply) brings the trees into policy (C(chperms apply)); in check mode it runs C(--dry-run).
      - V(check) only audits (C(chperms check)); V(changed) is always false, the drift is in RV(drift) and RV(findings).
    type: str
    choices: [apply, check]
    default: apply
  binary:
    description: The chperms program on the target.
    type: str
    default: chperms
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Runs through the connection's shell; become (sudo, su, doas) works as for M(ansible.builtin.raw).
  - The environment keyword is not supported.
  - Install chperms first with the P(netserva.chperms.chperms#role) role.
seealso:
  - module: ansible.builtin.raw
author:
  - chperms authors
"""

EXAMPLES = r"""
- name: Bring every vhost into the NetServa model
  netserva.chperms.chperms:
    all: true

- name: Apply an application's policy file, show what changes
  netserva.chperms.chperms:
    policy: /etc/chperms/app.json
  diff: true

- name: Audit two vhosts and fail the play on drift
  netserva.chperms.chperms:
    vhosts: [goldcoast.org, example.net]
    state: check
  register: audit
  failed_when: audit.failed or audit.drift > 0

- name: List what a check-mode run would change
  netserva.chperms.chperms:
    all: true
  check_mode: true
  register: preview
- name: Show the paths
  ansible.builtin.debug:
    msg: "{{ preview.findings | map(attribute='path') | unique | list }}"
"""

RETURN = r"""
summary:
  description: chperms' JSON summary line.
  returned: when chperms ran
  type: dict
  sample: {"checked": 28, "changed": 27, "drift": 0, "refused": 0, "errors": 0}
findings:
  description: One object per finding, as chperms' C(--format json) prints them.
  returned: when chperms ran
  type: list
  elements: dict
  sample: [{"path": "/srv/goldcoast.org", "kind": "mode", "expected": "02750", "actual": "0755", "action": "fixed", "rule": 0}]
drift:
  description: Entries that differ from the policy and were left as they are (state=check, or check mode).
  returned: success
  type: int
in_policy:
  description: True when chperms exited 0 (nothing to change, or everything changed).
  returned: success
  type: bool
cmd:
  description: The shell command run on the target.
  returned: always
  type: str
rc:
  description: chperms' exit status (0 in policy, 1 error or refused, 2 drift).
  returned: always
  type: int
stderr:
  description: chperms' standard error.
  returned: always
  type: str
"""
