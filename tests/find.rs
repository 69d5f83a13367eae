//! `chperms find` against GNU find: drives tests/cases/find.cases through
//! tests/cases/run-cases.sh (the same table a router runs), plus the
//! multi-call symlink and a few behaviours the table cannot express.

mod common;

#[test]
fn differential_cases_match_gnu_find() {
    common::run_case_table("find");
}

#[test]
fn symlink_named_find_runs_the_applet() {
    let td = common::TempDir::new("mc-find");
    std::fs::write(td.join("file"), b"abc").expect("write");
    let o = common::run_as_symlink("find", td.path(), &MC_ARGS);
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
