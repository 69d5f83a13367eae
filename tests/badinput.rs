//! Bad input (SPEC §2, §3, §4, §5.7): exit 1, one message naming the
//! problem (and the policy file and rule index/path), never a panic, and
//! NOTHING changed — a full owner/group/mode snapshot of the tree is taken
//! before and compared after every case.

mod common;

use common::*;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

const VH: &str = "goldcoast.org";

/// `ROOT/goldcoast.org`, every entry root:root, dirs 0755, files 0644, with
/// the model's create-if-missing directories absent (so a run that went
/// ahead would show up as created entries too).
fn tree(tag: &str) -> (TempDir, PathBuf) {
    let root = TempDir::new(tag);
    let v = root.join(VH);
    std::fs::create_dir_all(v.join("web/app/public")).unwrap();
    std::fs::write(v.join("web/app/public/index.php"), "<?php\n").unwrap();
    for (p, ..) in snapshot(&v) {
        set(&p, 0, 0, if p.is_dir() { 0o755 } else { 0o644 });
    }
    (root, v)
}

/// Runs chperms with `args`; asserts exit 1, no panic, every `needle` in
/// stderr, nothing on stdout but (at most) nothing, and `root` unchanged.
fn refused(root: &Path, args: &[&str], needles: &[&str]) -> String {
    let before = snapshot(root);
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{args:?}: exit {}; stderr: {err}", code(&o));
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}: {err}");
    }
    assert!(stdout(&o).is_empty(), "{args:?}: stdout: {}", stdout(&o));
    assert_eq!(snapshot(root), before, "{args:?} changed something");
    err
}

fn rootarg(root: &TempDir) -> String {
    root.path().to_str().unwrap().to_string()
}

#[test]
fn missing_vhost() {
    let (root, _) = tree("b-missing");
    let r = rootarg(&root);
    refused(
        root.path(),
        &["nosuch.org", "--root", &r, "--user", "chpv1"],
        &["nosuch.org", "no such vhost directory"],
    );
    // One bad name among good ones: the good one is not touched either.
    refused(
        root.path(),
        &[VH, "nosuch.org", "--root", &r, "--user", "chpv1"],
        &["nosuch.org"],
    );
}

#[test]
fn vhost_that_is_a_symlink() {
    let (root, v) = tree("b-symlink");
    symlink(&v, root.join("link.org")).unwrap();
    let r = rootarg(&root);
    refused(
        root.path(),
        &["link.org", "--root", &r, "--user", "chpv1"],
        &["link.org", "not a directory"],
    );
}

#[test]
fn unknown_user() {
    let (root, _) = tree("b-user");
    let r = rootarg(&root);
    refused(
        root.path(),
        &[VH, "--root", &r, "--user", "nobody-chp-x"],
        &["unknown user \"nobody-chp-x\"", "--user"],
    );
}

/// Regression: an unknown --web-group was reported as "{web} needs
/// --web-group", naming neither the group given nor that it is unknown.
#[test]
fn unknown_web_group_is_named() {
    let (root, _) = tree("b-web");
    let r = rootarg(&root);
    refused(
        root.path(),
        &[
            VH,
            "--root",
            &r,
            "--user",
            "chpv1",
            "--web-group",
            "nogroup-chp-x",
        ],
        &["unknown group \"nogroup-chp-x\" (--web-group)"],
    );
}

#[test]
fn vhost_whose_user_cannot_be_determined() {
    let (root, _) = tree("b-nouser");
    let r = rootarg(&root);
    refused(
        root.path(),
        &[VH, "--root", &r],
        &["cannot determine the user of vhost goldcoast.org: pass --user"],
    );
    // `check` and --dry-run refuse the same way.
    refused(root.path(), &["check", VH, "--root", &r], &["pass --user"]);
    refused(
        root.path(),
        &[VH, "--root", &r, "--dry-run"],
        &["pass --user"],
    );
}

/// Writes policy `name` with `body` (a list of rules, as JSON) over base
/// `v`; returns its path.
fn policy(root: &TempDir, name: &str, text: &str) -> String {
    let dir = root.join("policies");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn with_rules(v: &Path, rules: &str) -> String {
    format!(r#"{{"base": "{}", "rules": [{rules}]}}"#, v.display())
}

/// A valid first rule, so that the offending one is rule 1, not 0.
const OK_RULE: &str = r#"{"path": "web", "type": "dir", "owner": "chpv1", "mode": "0755"}"#;

/// Every bad policy: (file name, text builder, what stderr must name).
#[test]
fn bad_policy_files_are_refused_with_file_rule_and_reason() {
    let (root, v) = tree("b-policy");
    type Case = (&'static str, String, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "malformed.json",
            format!(r#"{{"base": "{}", "rules": [{OK_RULE},, ]}}"#, v.display()),
            vec!["malformed JSON"],
        ),
        (
            "truncated.json",
            format!(
                r#"{{"base": "{}", "rules": [{OK_RULE}, {{"path": "a", "mode": "07"#,
                v.display()
            ),
            vec!["truncated"],
        ),
        (
            "unknown-field.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/app", "colour": "red"}}"#),
            ),
            vec!["rule 1", "web/app", "unknown field \"colour\""],
        ),
        (
            "unknown-top-field.json",
            format!(r#"{{"base": "{}", "rulez": []}}"#, v.display()),
            vec!["unknown field \"rulez\""],
        ),
        (
            "dotdot.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/../../etc", "mode": "0755"}}"#),
            ),
            vec!["rule 1", "web/../../etc", "'..'"],
        ),
        (
            "absolute.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "/etc/shadow", "mode": "0644"}}"#),
            ),
            vec!["rule 1", "/etc/shadow", "relative"],
        ),
        (
            "setuid.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/app", "mode": "04755"}}"#),
            ),
            vec!["rule 1", "web/app", "setuid"],
        ),
        (
            "setuid-on-file.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "x", "type": "file", "mode": "06755"}}"#),
            ),
            vec!["rule 1", "\"x\"", "setuid"],
        ),
        (
            "setgid-file.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "x.php", "type": "file", "mode": "02644"}}"#),
            ),
            vec!["rule 1", "x.php", "setgid"],
        ),
        (
            "non-octal.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/app", "mode": "0789"}}"#),
            ),
            vec!["rule 1", "web/app", "0789", "octal"],
        ),
        (
            "mode-word.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/app", "mode": "rwxr-x---"}}"#),
            ),
            vec!["rule 1", "octal"],
        ),
        (
            "unknown-user.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/app", "owner": "nouser-chp-x"}}"#),
            ),
            vec!["rule 1", "web/app", "unknown user \"nouser-chp-x\""],
        ),
        (
            "unknown-group.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/app", "group": "nogroup-chp-x"}}"#),
            ),
            vec!["rule 1", "web/app", "unknown group \"nogroup-chp-x\""],
        ),
        (
            "create-wildcard.json",
            with_rules(
                &v,
                &format!(r#"{OK_RULE}, {{"path": "web/*", "type": "dir", "create": true}}"#),
            ),
            vec!["rule 1", "web/*", "create"],
        ),
        (
            "relative-base.json",
            r#"{"base": "srv/x", "rules": []}"#.to_string(),
            vec!["base"],
        ),
        ("empty.json", String::new(), vec!["empty.json"]),
        (
            "not-an-object.json",
            "[1, 2, 3]".to_string(),
            vec!["not-an-object.json"],
        ),
    ];
    for (name, text, needles) in &cases {
        let p = policy(&root, name, text);
        let mut want: Vec<&str> = vec![&p];
        want.extend(needles.iter().copied());
        for cmd in ["apply", "check"] {
            let err = refused(root.path(), &[cmd, "--policy", &p], &want);
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{name}: not one line: {err}"
            );
        }
        // `policy check` validates without touching anything: same verdict.
        refused(root.path(), &["policy", "check", "--policy", &p], &[&p]);
    }
}

#[test]
fn policy_over_the_size_budget_is_refused_not_truncated() {
    let (root, v) = tree("b-big");
    // Valid JSON whose first 64 KiB alone would also parse as a shorter
    // valid-looking prefix is not possible, so make the tail matter: the
    // only rule that would change anything sits past the budget.
    let pad = "x".repeat(70 * 1024);
    let text = format!(
        r#"{{"base": "{}", "description": "{pad}", "rules": [{OK_RULE}]}}"#,
        v.display()
    );
    let p = policy(&root, "big.json", &text);
    refused(
        root.path(),
        &["apply", "--policy", &p],
        &[&p, "larger than 65536 bytes"],
    );
}

#[test]
fn unknown_option_or_missing_value_is_a_one_line_usage_error() {
    let (root, _) = tree("b-usage");
    let r = rootarg(&root);
    for (args, name) in [
        (vec!["apply", "--bogus"], "--bogus"),
        (vec!["check", "--frobnicate", VH], "--frobnicate"),
        (vec!["--frobnicate"], "--frobnicate"),
        (vec!["apply", VH, "--root"], "--root"),
        (vec!["check", VH, "--root", &r, "--format"], "--format"),
        (vec!["apply", VH, "--root", &r, "--user"], "--user"),
        (vec!["apply", VH, "--root", &r, "--format", "yaml"], "yaml"),
        (vec!["policy", "check", "--policy"], "--policy"),
    ] {
        let err = refused(root.path(), &args, &[name]);
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
    }
}

/// Regression: the apply/check example printed "chperms chperms apply".
#[test]
fn help_prints_usage_with_an_example_and_exits_0() {
    for cmd in ["apply", "check", "policy"] {
        let o = run([cmd, "--help"]);
        let out = stdout(&o);
        assert_eq!(code(&o), 0, "{cmd} --help: {}", stderr(&o));
        assert!(
            out.starts_with(&format!("Usage: chperms {cmd}")),
            "{cmd}: {out}"
        );
        assert!(out.contains("Examples:"), "{cmd}: no example: {out}");
        assert!(out.contains(&format!("$ chperms {cmd} ")), "{cmd}: {out}");
        assert!(!out.contains("chperms chperms"), "{cmd}: {out}");
    }
}

/// Asserts that `what` (bytes chperms wrote for a terminal or a log) is
/// valid UTF-8 with no control character but the line ends.
fn printable(what: &str, bytes: &[u8]) -> String {
    let s = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{what} is not UTF-8 ({e}): {bytes:?}"))
        .to_string();
    let bad: Vec<char> = s.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(
        bad.is_empty(),
        "{what} holds control characters {bad:?}: {s}"
    );
    s
}

// Defect 8: a file name's 8-bit control bytes (0x9b is CSI on a terminal
// that takes 8-bit controls) reached stderr and --log raw; only 7-bit
// controls were escaped.
#[test]
fn names_with_8_bit_controls_reach_the_terminal_and_log_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let (root, v) = tree("b-c1");
    let public = v.join("web/app/public");
    let name = |b: &[u8]| public.join(std::ffi::OsStr::from_bytes(b));
    // Raw C1 bytes (not UTF-8: refused, an error line on stderr).
    std::fs::write(name(b"c1-\x9b\x9c\x9d-\x1b[31m.php"), "x").unwrap();
    // The same controls as UTF-8 characters (U+009B...), DEL, and
    // printable non-ASCII that must stay as it is: changed, a line on stdout.
    std::fs::write(name("u-\u{9b}2J\u{9d}\u{7f}-ā-é.php".as_bytes()), "x").unwrap();
    let log = root.join("chperms.log");
    let r = rootarg(&root);
    let logs = log.to_str().unwrap();
    let o = run([VH, "--root", &r, "--user", "chpv1", "--log", logs]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let err = printable("stderr", &o.stderr);
    let out = printable("stdout", &o.stdout);
    let logged = printable("--log", &std::fs::read(&log).unwrap());
    let p = public.display();
    let raw_c1 = format!("{p}/c1-\\x9b\\x9c\\x9d-\\x1b[31m.php: name is not valid UTF-8");
    let utf8_c1 = format!("{p}/u-\\xc2\\x9b2J\\xc2\\x9d\\x7f-ā-é.php: owner chpv1");
    assert!(err.contains(&raw_c1), "stderr: {err}");
    assert!(out.contains(&utf8_c1), "stdout: {out}");
    assert!(logged.contains(&raw_c1), "--log: {logged}");
    assert!(logged.contains(&utf8_c1), "--log: {logged}");
}
