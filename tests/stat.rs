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

// --- issue 9, crashes 1 and 2 ---

#[test]
fn huge_precision_prints_what_gnu_prints_instead_of_wrapping() {
    use std::io::Read;
    // `1 + prec` wrapped: 'A%.18446744073709551606YZ' printed "A1Z". GNU
    // caps the precision at INT_MAX: seconds, nine digits, 2147483638 zeros.
    let mut child = common::chperms()
        .args(["stat", "-c", "A%.18446744073709551606YZ", "/"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 20];
    let (mut n, mut head, mut tail) = (0u64, Vec::new(), Vec::new());
    loop {
        let k = out.read(&mut buf).expect("read");
        if k == 0 {
            break;
        }
        if head.len() < 40 {
            head.extend_from_slice(&buf[..k.min(40 - head.len())]);
        }
        if k >= 8 {
            tail = buf[k - 8..k].to_vec();
        }
        n += k as u64;
    }
    assert!(child.wait().expect("wait").success());
    let secs = std::fs::metadata("/")
        .map(|m| std::os::unix::fs::MetadataExt::mtime(&m))
        .expect("stat /");
    let prefix = format!("A{secs}.");
    assert!(
        head.starts_with(prefix.as_bytes()),
        "{}",
        String::from_utf8_lossy(&head)
    );
    assert_eq!(n, (prefix.len() + 9 + 2_147_483_638 + 2) as u64);
    assert_eq!(tail, b"000000Z\n");
}

#[test]
fn width_beyond_int_max_prints_nothing_for_the_directive_like_gnu() {
    // "capacity overflow" / allocation failure, exit 134, before.
    let o = common::run(["stat", "-c", "%99999999999999999999s", "/"]);
    assert_eq!(
        (common::code(&o), common::stdout(&o)),
        (0, "\n".to_string())
    );
    let o = common::run(["stat", "-c", "<%77777777777w>%n", "/"]);
    assert_eq!(
        (common::code(&o), common::stdout(&o)),
        (0, "<>/\n".to_string())
    );
}
