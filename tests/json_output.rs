//! `--format json` exactly per SPEC §6: JSON Lines on stdout, one object per
//! finding with path/kind/expected/actual/action from the allowed sets, the
//! summary object last, and strings that stay valid JSON whatever bytes a
//! file name holds. Every line is checked by a strict parser written here
//! (tests/jsonl) and, independently, by python3's json module.

mod common;
mod jsonl;

use common::*;
use jsonl::Value;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const VH: &str = "goldcoast.org";
const KINDS: &[&str] = &[
    "owner", "group", "mode", "missing", "type", "unsafe", "process", "error",
];
const ACTIONS: &[&str] = &[
    "fixed",
    "would-fix",
    "refused",
    "created",
    "reported",
    "error",
];

/// File names with every kind of odd byte that is still valid UTF-8.
const ODD_NAMES: &[&str] = &[
    "q\"uote.php",
    "back\\slash.php",
    "new\nline.php",
    "tab\there.php",
    "ctl\u{1}\u{1f}\u{7f}.php",
    "cr\rret.php",
    "slash-u \\u0041.php",
    "é ü 漢字 😀.php",
    "{\"path\":\"forged\"}.php",
    "c1 \u{9b}2J\u{85}.php",
];

fn tree(tag: &str) -> (TempDir, PathBuf) {
    let root = TempDir::new(tag);
    let v = root.join(VH);
    std::fs::create_dir_all(v.join("web/app/public/sub dir")).unwrap();
    for n in ODD_NAMES {
        std::fs::write(v.join("web/app/public").join(n), "x").unwrap();
    }
    for (p, ..) in snapshot(&v) {
        set(&p, 0, 0, if p.is_dir() { 0o755 } else { 0o644 });
    }
    (root, v)
}

fn chp(root: &TempDir, pre: &[&str]) -> std::process::Output {
    let mut a: Vec<String> = pre.iter().map(|s| s.to_string()).collect();
    a.extend([
        VH.to_string(),
        "--root".into(),
        root.path().to_str().unwrap().into(),
        "--user".into(),
        "chpv1".into(),
        "--format".into(),
        "json".into(),
    ]);
    run(&a)
}

/// Second opinion: python3's json module must accept every line too.
fn python_accepts(out: &[u8]) {
    let py = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let mut c = Command::new(py)
        .args([
            "-c",
            "import json,sys\nfor l in sys.stdin.buffer.read().split(b'\\n')[:-1]:\n    o = json.loads(l.decode('utf-8', 'strict'))\n    assert isinstance(o, dict), l",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    c.stdin.take().unwrap().write_all(out).unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "python3 rejected the JSON: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Parses and checks the shape of every line; returns (findings, summary).
fn checked_lines(out: &[u8]) -> (Vec<Value>, Value) {
    let text = std::str::from_utf8(out).expect("JSON output is not UTF-8");
    // Escaped, not raw: C0, DEL and C1 controls (JSON Lines meet terminals).
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw control characters {raw:?} in {text}");
    python_accepts(out);
    let mut lines = jsonl::lines(out);
    let last = lines.pop().expect("no output at all");
    let summary = last
        .get("summary")
        .cloned()
        .expect("last line is not the summary");
    for k in ["checked", "changed", "refused", "errors"] {
        assert!(summary.n(k).is_some(), "summary.{k} missing: {summary:?}");
    }
    for f in &lines {
        assert!(f.get("summary").is_none(), "summary is not last");
        for k in ["path", "kind", "expected", "actual", "action"] {
            assert!(
                f.get(k).and_then(Value::str).is_some(),
                "finding without string {k}: {f:?}"
            );
        }
        assert!(KINDS.contains(&f.s("kind")), "kind {:?}", f.s("kind"));
        assert!(
            ACTIONS.contains(&f.s("action")),
            "action {:?}",
            f.s("action")
        );
    }
    (lines, summary)
}

#[test]
fn check_json_would_fix_then_apply_fixes_then_clean_with_odd_names() {
    let (root, v) = tree("j-cycle");
    let public = v.join("web/app/public");
    let before = snapshot(root.path());

    // check (dry run): exit 2, would-fix only, nothing changed.
    let o = chp(&root, &["check"]);
    assert_eq!(code(&o), 2, "stderr: {}", stderr(&o));
    assert_eq!(snapshot(root.path()), before, "check changed something");
    let (fs, sum) = checked_lines(&o.stdout);
    assert!(!fs.is_empty());
    for f in &fs {
        assert_eq!(f.s("action"), "would-fix", "{f:?}");
        assert!(
            ["owner", "group", "mode", "missing"].contains(&f.s("kind")),
            "{f:?}"
        );
    }
    assert_eq!(
        (sum.n("changed"), sum.n("refused"), sum.n("errors")),
        (Some(0), Some(0), Some(0))
    );
    // Every odd name comes back byte-exact, with owner, group and mode.
    for n in ODD_NAMES {
        let want = public.join(n);
        let want = want.to_str().unwrap();
        let kinds: Vec<&str> = fs
            .iter()
            .filter(|f| f.s("path") == want)
            .map(|f| f.s("kind"))
            .collect();
        assert_eq!(kinds, ["owner", "group", "mode"], "{n:?}: {kinds:?}");
        let mode = fs
            .iter()
            .find(|f| f.s("path") == want && f.s("kind") == "mode")
            .unwrap();
        assert_eq!((mode.s("expected"), mode.s("actual")), ("0640", "0644"));
    }
    // The forged-looking name stays inside its string.
    assert!(!fs.iter().any(|f| f.s("path") == "forged"));
    // --dry-run is the same as check.
    let o2 = chp(&root, &["apply", "--dry-run"]);
    assert_eq!(code(&o2), 2);
    assert_eq!(o2.stdout, o.stdout);

    // apply: exit 0, fixed/created only.
    let o = chp(&root, &["apply"]);
    assert_eq!(code(&o), 0, "stderr: {}", stderr(&o));
    let (fs, sum) = checked_lines(&o.stdout);
    for f in &fs {
        assert!(["fixed", "created"].contains(&f.s("action")), "{f:?}");
    }
    let mut paths: Vec<&str> = fs.iter().map(|f| f.s("path")).collect();
    paths.dedup();
    assert_eq!(
        sum.n("changed"),
        Some(paths.len() as u64),
        "changed counts entries"
    );
    for n in ODD_NAMES {
        assert_eq!(ugm(&public.join(n)), (1101, 33, 0o640), "{n:?}");
    }

    // check again: clean, only the summary, exit 0; it checked every entry.
    let o = chp(&root, &["check"]);
    assert_eq!(code(&o), 0, "stderr: {}", stderr(&o));
    let (fs, sum) = checked_lines(&o.stdout);
    assert!(fs.is_empty(), "{fs:?}");
    assert_eq!(sum.n("checked"), Some(snapshot(&v).len() as u64));
    assert_eq!(
        (sum.n("changed"), sum.n("refused"), sum.n("errors")),
        (Some(0), Some(0), Some(0))
    );
}

#[test]
fn refusals_errors_and_invalid_utf8_names_stay_valid_json() {
    let (root, v) = tree("j-bad");
    let public = v.join("web/app/public");
    let out = TempDir::new("j-bad-out");
    std::fs::write(out.join("secret"), "s").unwrap();
    set(&out.join("secret"), 0, 0, 0o600);
    std::fs::create_dir_all(v.join("web/log")).unwrap();
    // A symlink where the policy names a file (type/refused), a hard link
    // (unsafe/refused), invalid UTF-8 (error/error) — with odd bytes too.
    symlink(out.join("secret"), v.join("web/log/a\"\n.log")).unwrap();
    std::fs::hard_link(out.join("secret"), public.join("h\\ard\t.php")).unwrap();
    let bad = public.join(std::ffi::OsStr::from_bytes(b"in\xffval\xc3(id\n\"x\".php"));
    std::fs::write(&bad, "x").unwrap();

    let o = chp(&root, &["apply"]);
    assert_eq!(code(&o), 1, "stderr: {}", stderr(&o));
    let (fs, sum) = checked_lines(&o.stdout);
    let find = |p: &str, kind: &str| {
        fs.iter()
            .find(|f| f.s("path") == p && f.s("kind") == kind)
            .unwrap_or_else(|| panic!("no {kind} finding for {p:?} in {fs:?}"))
    };
    let l = find(v.join("web/log/a\"\n.log").to_str().unwrap(), "type");
    assert_eq!((l.s("action"), l.s("actual")), ("refused", "symlink"));
    let h = find(public.join("h\\ard\t.php").to_str().unwrap(), "unsafe");
    assert_eq!(h.s("action"), "refused");
    // Invalid bytes are shown as the text \xNN, valid ones as themselves.
    let shown = format!("{}/in\\xffval\\xc3(id\n\"x\".php", public.display());
    let e = find(&shown, "error");
    assert_eq!(e.s("action"), "error");
    assert_eq!((sum.n("refused"), sum.n("errors")), (Some(2), Some(1)));
    assert_eq!(ugm(&out.join("secret")), (0, 0, 0o600));
}
