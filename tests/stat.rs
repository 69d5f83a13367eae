//! `chperms stat` against GNU stat: drives tests/cases/stat.cases through
//! tests/cases/run-cases.sh (the same table a router runs), plus the
//! multi-call symlink and a few behaviours the table cannot express.

mod common;

#[test]
fn differential_cases_match_gnu_stat() {
    common::run_case_table("stat");
}

#[test]
fn symlink_named_stat_runs_the_applet() {
    let td = common::TempDir::new("mc-stat");
    std::fs::write(td.join("file"), b"abc").expect("write");
    let o = common::run_as_symlink("stat", td.path(), &MC_ARGS);
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
