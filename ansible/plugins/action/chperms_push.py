# Copyright: the chperms authors. MIT licence (see LICENSE at the collection root).
"""Action plugin ``netserva.chperms.chperms_push``: put a file on a target
that has no Python (ansible.builtin.copy needs it there).

The file goes through the connection's own put_file (sftp, scp or piped,
as the connection is set up) to a temporary name beside DEST, gets its mode,
and is renamed over DEST with ``mv -f`` (atomic within one directory): a
running chperms is never replaced by half a file. Nothing is sent when the
target's ``sha256sum`` (BusyBox has it) of DEST already matches.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import shlex

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "str", "required": True},
    "mode": {"type": "str", "default": "0644"},
}


class ActionModule(ActionBase):
    """Copies one controller file to the target with raw shell only."""

    # Our own temporary name beside DEST: no ~/.ansible/tmp directory to make and clean.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        src, dest, mode = args["src"], args["dest"], args["mode"]
        if not mode.isdigit() or len(mode) > 4 or any(c > "7" for c in mode):
            result.update(failed=True, msg="mode must be octal digits, like 0755 (got %r)" % mode)
            return result
        with open(src, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        q = shlex.quote(dest)
        res = self._sh("if [ -f %s ]; then sha256sum %s | cut -c1-64; stat -c %%a %s 2>/dev/null || echo; fi"
                       % (q, q, q))
        lines = res.get("stdout", "").split()
        have = lines[0] if lines else ""
        have_mode = lines[1] if len(lines) > 1 else ""
        same_mode = have_mode.lstrip("0") == mode.lstrip("0")
        result.update(dest=dest, checksum=want)
        if have == want and (same_mode or not have_mode):
            result["changed"] = False
            return result
        result["changed"] = True
        if self._task.check_mode:
            return result
        tmp = posixpath.join(posixpath.dirname(dest) or ".",
                             ".%s.ansible-%d" % (posixpath.basename(dest), os.getpid()))
        qt = shlex.quote(tmp)
        mk = self._sh("mkdir -p %s && rm -f %s" % (shlex.quote(posixpath.dirname(dest) or "."), qt))
        if mk["rc"] != 0:
            result.update(failed=True, msg="cannot prepare %s: %s" % (dest, mk.get("stderr", "").strip()))
            return result
        self._connection.put_file(src, tmp)
        fin = self._sh('chmod %s %s && [ "$(sha256sum %s | cut -c1-64)" = %s ] && mv -f %s %s || { rm -f %s; exit 1; }'
                       % (mode, qt, qt, want, qt, q, qt))
        if fin["rc"] != 0:
            result.update(failed=True, msg="installing %s failed (copy did not arrive whole, or no space): %s"
                          % (dest, (fin.get("stderr", "") + fin.get("stdout", "")).strip()))
        return result

    def _sh(self, cmd):
        # Without become, not "sudoable": the ssh connection then asks for no
        # tty, and stdout and stderr stay apart.
        return self._low_level_execute_command(cmd, sudoable=bool(self._play_context.become))
