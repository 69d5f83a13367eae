//! `chperms stat` against GNU stat: drives tests/cases/stat.cases through
//! tests/cases/run-cases.sh (the same table a router runs), plus the
//! multi-call symlink and a few behaviours the table cannot express.

mod common;

use std::path::Path;
use std::process::Command;

/// The command line the harness uses for chperms (runner prefix included).
fn chperms_cmd() -> String {
    let bin = common::bin();
    match std::env::var("CHPERMS_RUNNER") {
        Ok(r) if !r.is_empty() => format!("{r} {}", bin.display()),
        _ => bin.display().to_string(),
    }
}

#[test]
fn differential_cases_match_gnu_stat() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let o = Command::new("sh")
        .arg(dir.join("run-cases.sh"))
        .arg(dir.join("stat.cases"))
        .env("CHPERMS", chperms_cmd())
        .env("VERBOSE", "1")
        .output()
        .expect("run sh harness");
    let text = String::from_utf8_lossy(&o.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.status.success(),
        "differential stat cases failed:\n{text}"
    );
}

#[test]
fn symlink_named_stat_runs_the_applet() {
    let td = common::TempDir::new("mc-stat");
    let link = td.join("stat");
    std::os::unix::fs::symlink(common::bin(), &link).expect("symlink");
    std::fs::write(td.join("file"), b"abc").expect("write");
    let mut c = match std::env::var_os("CHPERMS_RUNNER").filter(|r| !r.is_empty()) {
        Some(r) => {
            let mut c = Command::new(r);
            c.arg(&link);
            c
        }
        None => Command::new(&link),
    };
    let o = c
        .args(MC_ARGS)
        .current_dir(td.path())
        .output()
        .expect("spawn");
    assert_eq!(
        common::stdout(&o),
        MC_WANT,
        "stderr: {}",
        common::stderr(&o)
    );
    assert_eq!(common::code(&o), 0);
}

#[test]
fn help_lists_deviations_from_gnu() {
    let o = common::run(["stat", "--help"]);
    assert_eq!(common::code(&o), 0);
    let s = common::stdout(&o);
    assert!(
        s.contains("Deviations from GNU") && s.contains("Example"),
        "{s}"
    );
}

const MC_ARGS: [&str; 3] = ["-c", "%s %n", "file"];
const MC_WANT: &str = "3 file\n";

#[test]
fn missing_file_message_and_status_match_gnu() {
    let o = common::run(["stat", "/nonexistent-chperms"]);
    assert_eq!(common::code(&o), 1);
    assert_eq!(
        common::stderr(&o),
        "stat: cannot statx '/nonexistent-chperms': No such file or directory\n"
    );
}
