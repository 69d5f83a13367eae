//! `chperms find` against GNU find: drives tests/cases/find.cases through
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
fn differential_cases_match_gnu_find() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let o = Command::new("sh")
        .arg(dir.join("run-cases.sh"))
        .arg(dir.join("find.cases"))
        .env("CHPERMS", chperms_cmd())
        .env("VERBOSE", "1")
        .output()
        .expect("run sh harness");
    let text = String::from_utf8_lossy(&o.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.status.success(),
        "differential find cases failed:\n{text}"
    );
}

#[test]
fn symlink_named_find_runs_the_applet() {
    let td = common::TempDir::new("mc-find");
    let link = td.join("find");
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
    let o = common::run(["find", "--help"]);
    assert_eq!(common::code(&o), 0);
    let s = common::stdout(&o);
    assert!(
        s.contains("Deviations from GNU") && s.contains("Example"),
        "{s}"
    );
}

const MC_ARGS: [&str; 4] = [".", "-name", "file", "-print"];
const MC_WANT: &str = "./file\n";

#[test]
fn tree_deeper_than_the_budget_is_an_error_not_a_crash() {
    let td = common::TempDir::new("deep");
    let mut p = td.path().to_path_buf();
    for _ in 0..140 {
        p.push("d");
    }
    std::fs::create_dir_all(&p).expect("mkdir deep");
    let root = td.path().to_string_lossy().into_owned();
    let o = common::run(["find", &root, "-name", "nothing"]);
    assert_eq!(common::code(&o), 1);
    assert!(
        common::stderr(&o).contains("deeper than 128 levels"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn exec_plus_batches_every_entry_exactly_once() {
    let td = common::TempDir::new("batch");
    for i in 0..3000 {
        std::fs::write(td.join(&format!("file-with-a-long-name-{i:05}")), b"").expect("write");
    }
    let root = td.path().to_string_lossy().into_owned();
    let o = common::run(["find", &root, "-type", "f", "-exec", "echo", "{}", "+"]);
    assert_eq!(common::code(&o), 0);
    let n: usize = common::stdout(&o).split_whitespace().count();
    assert_eq!(n, 3000);
}
