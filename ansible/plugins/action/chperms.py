# Copyright: the chperms authors. MIT licence (see LICENSE at the collection root).
"""Action plugin ``netserva.chperms.chperms``: runs chperms on the target.

It runs on the controller and sends ONE shell command over the connection
(``_low_level_execute_command``: what ``raw`` does), so the target needs a
POSIX shell and chperms, not Python: OpenWrt routers qualify. No module is
transferred, no temporary directory is made.

Every value from the task is shell-quoted (``shlex.quote``) and VHOST names
come after ``--``, so no vhost name, path or user can become an option or
shell syntax on the target.
"""
from __future__ import annotations

import json
import shlex

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "vhosts": {"type": "list", "elements": "str", "default": []},
    "all": {"type": "bool", "default": False},
    "policy": {"type": "str"},
    "root": {"type": "str"},
    "user": {"type": "str"},
    "web_group": {"type": "str"},
    "chroot": {"type": "bool", "default": False},
    "cross_mounts": {"type": "bool", "default": False},
    "metrics": {"type": "str"},
    "state": {"type": "str", "default": "apply", "choices": ["apply", "check"]},
    "binary": {"type": "str", "default": "chperms"},
}


def command_line(args, check_mode):
    """The argv for chperms from the validated task arguments."""
    argv = [args["binary"], "check" if args["state"] == "check" else "apply"]
    if args["state"] == "apply" and check_mode:
        argv.append("--dry-run")
    if args["all"]:
        argv.append("--all")
    for name, flag in (
        ("policy", "--policy"),
        ("root", "--root"),
        ("user", "--user"),
        ("web_group", "--web-group"),
        ("metrics", "--metrics"),
    ):
        if args[name] is not None:
            argv += [flag, args[name]]
    if args["chroot"]:
        argv.append("--chroot")
    if args["cross_mounts"]:
        argv.append("--cross-mounts")
    argv += ["--format", "json"]
    if args["vhosts"]:
        argv += ["--"] + list(args["vhosts"])
    return argv


def parse_output(stdout):
    """(findings, summary, stray lines) from chperms' JSON Lines."""
    findings, summary, stray = [], None, []
    for line in stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            stray.append(line)
            continue
        if isinstance(obj, dict) and "summary" in obj:
            summary = obj["summary"]
        elif isinstance(obj, dict):
            findings.append(obj)
        else:
            stray.append(line)
    return findings, summary, stray


def path_diffs(findings):
    """One diff per path, before -> after, in chperms' order (diff mode)."""
    by_path = {}
    for f in findings:
        if f.get("action") not in ("fixed", "would-fix", "created", "reported"):
            continue
        kind = f.get("kind")
        if kind not in ("owner", "group", "mode", "missing", "process"):
            continue
        d = by_path.setdefault(f["path"], {"before": "", "after": ""})
        if kind == "missing":
            d["before"] += "(missing)\n"
            d["after"] += "%s\n" % f.get("expected", "")
        else:
            label = "user" if kind == "process" else kind
            d["before"] += "%s: %s\n" % (label, f.get("actual", ""))
            d["after"] += "%s: %s\n" % (label, f.get("expected", ""))
    return [
        {"before_header": p, "after_header": p, "before": d["before"], "after": d["after"]}
        for p, d in by_path.items()
    ]


def failure_message(rc, stderr, findings, binary, stray=()):
    """What the operator reads when the task fails: chperms' own words
    (from stdout when a tty, e.g. for sudo, merged stderr into it)."""
    if rc in (126, 127):
        return (
            "%s: not found or not executable on the target (rc %d): install chperms "
            "with the netserva.chperms.chperms role, or set binary: to its path. %s"
            % (binary, rc, stderr.strip())
        ).strip()
    text = stderr.strip() or "\n".join(stray).strip()
    bad = [
        "%s: %s" % (f.get("path", ""), f.get("message") or f.get("kind", ""))
        for f in findings
        if f.get("action") in ("refused", "error")
    ]
    if bad:
        shown = "; ".join(bad[:10])
        if len(bad) > 10:
            shown += "; … and %d more" % (len(bad) - 10)
        text = (text + "\n" if text else "") + shown
    return text or "chperms exited with status %d" % rc


class ActionModule(ActionBase):
    """Runs chperms apply/check with raw shell and reports its JSON summary."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if self._task.environment and any(self._task.environment):
            self._display.warning("netserva.chperms.chperms does not support the environment keyword")
        _, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            mutually_exclusive=[("vhosts", "all")],
        )
        argv = command_line(args, self._task.check_mode)
        cmd = " ".join(shlex.quote(a) for a in argv)
        # Without become, no "sudoable" command: the ssh connection then asks
        # for no tty (-tt), so chperms' stderr stays apart from its stdout.
        res = self._low_level_execute_command(cmd, sudoable=bool(self._play_context.become))
        rc, stdout, stderr = res["rc"], res.get("stdout", ""), res.get("stderr", "")
        findings, summary, stray = parse_output(stdout)
        result.update(cmd=cmd, rc=rc, stderr=stderr, findings=findings, summary=summary or {})
        if stray:
            result["stdout_other"] = stray
        if rc == 1 or rc not in (0, 2) or summary is None:
            result["failed"] = True
            result["changed"] = bool(summary and summary.get("changed"))
            result["msg"] = failure_message(rc, stderr, findings, args["binary"], stray)
            return result
        # Said explicitly: Ansible fails any result whose rc is not 0, and
        # rc 2 (drift found) is a success for an audit or a preview.
        result["failed"] = False
        drift = summary.get("drift", 0)
        result["drift"] = drift
        result["in_policy"] = rc == 0
        if args["state"] == "apply" and not self._task.check_mode:
            result["changed"] = summary.get("changed", 0) > 0
        elif args["state"] == "apply":
            result["changed"] = drift > 0  # check mode: what apply would change
        else:
            result["changed"] = False  # an audit changes nothing
        result["msg"] = "%d checked, %d changed, %d to change, %d refused, %d errors" % (
            summary.get("checked", 0),
            summary.get("changed", 0),
            drift,
            summary.get("refused", 0),
            summary.get("errors", 0),
        )
        if self._task.diff:
            result["diff"] = path_diffs(findings)
        return result
