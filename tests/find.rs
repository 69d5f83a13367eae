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

// --- issue 9, crashes 1, 3 and 4: what broke, and what GNU does instead ---

/// Spawns chperms with `args`, counts its stdout without keeping it, and
/// returns (bytes, first 64 bytes, last 64 bytes, stderr, exit code).
fn count_output(args: &[&str]) -> (u64, Vec<u8>, Vec<u8>, String, i32) {
    use std::io::Read;
    let mut child = common::chperms()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 16];
    let (mut n, mut head, mut tail) = (0u64, Vec::new(), Vec::new());
    loop {
        let k = out.read(&mut buf).expect("read");
        if k == 0 {
            break;
        }
        if head.len() < 64 {
            head.extend_from_slice(&buf[..k.min(64 - head.len())]);
        }
        tail.extend_from_slice(&buf[..k]);
        let excess = tail.len().saturating_sub(64);
        tail.drain(..excess);
        n += k as u64;
    }
    let o = child.wait_with_output().expect("wait");
    (n, head, tail, common::stderr(&o), common::code(&o))
}

/// Peak resident memory of the children waited for so far, in KiB.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss as i64
}

#[test]
fn printf_width_beyond_int_max_is_refused_like_gnu_not_an_abort() {
    let td = common::TempDir::new("printf-huge");
    let d = td.path().to_string_lossy().into_owned();
    // The fuzzer's inputs: "capacity overflow" and an allocation failure
    // (exit 134) before; GNU prints nothing for the directive and reports
    // EOVERFLOW on standard output, exit 1.
    for width in ["99999999999999999999", "9999999999", "2147483648"] {
        let fmt = format!("a%{width}pb|\n");
        let o = common::chperms()
            .args(["find", &d, "-maxdepth", "0", "-printf", &fmt])
            .env("LC_ALL", "C")
            .output()
            .expect("spawn");
        assert_eq!(common::stdout(&o), "ab|\n", "width {width}");
        assert_eq!(
            common::stderr(&o),
            "find: 'standard output': Value too large for defined data type\n"
        );
        assert_eq!(common::code(&o), 1);
    }
}

#[test]
fn printf_width_of_300_million_streams_in_bounded_memory() {
    let td = common::TempDir::new("printf-wide");
    let d = td.path().to_string_lossy().into_owned();
    // Before: the padding was built in memory (twice the width: 600 MB).
    let (n, head, tail, err, code) =
        count_output(&["find", &d, "-maxdepth", "0", "-printf", "%300000000p|"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(n, 300_000_001);
    assert!(head.iter().all(|&b| b == b' '));
    assert!(tail.ends_with(format!("{d}|").as_bytes()));
    let peak = children_peak_rss_kib();
    assert!(peak < 96 * 1024, "peak RSS {peak} KiB for a 300 MB width");
}

/// `n` copies of `word`.
fn many(word: &str, n: usize) -> Vec<String> {
    vec![word.to_string(); n]
}

#[test]
fn deep_nesting_is_refused_with_the_limit_named_not_a_stack_overflow() {
    const _: () = assert!(chperms::budget::MAX_EXPR_NESTING == 256);
    let td = common::TempDir::new("nest");
    let d = td.path().to_string_lossy().into_owned();
    // ~9,500 nested ( ) and a long run of ! overflowed the stack (134).
    for (open, close) in [("(", ")"), ("!", "")] {
        for depth in [257, 9_500] {
            let mut args = vec![
                "find".to_string(),
                d.clone(),
                "-maxdepth".into(),
                "0".into(),
            ];
            args.extend(many(open, depth));
            args.push("-true".into());
            if !close.is_empty() {
                args.extend(many(close, depth));
            }
            let o = common::run(&args);
            assert_eq!(common::code(&o), 1, "{open} x{depth}");
            assert_eq!(
                common::stderr(&o),
                "find: the expression nests `(' and `!' deeper than 256 levels (chperms' limit); simplify it\n"
            );
            assert_eq!(common::stdout(&o), "");
        }
    }
    // 256 levels is within the limit and works as GNU's find does.
    let mut args = vec![
        "find".to_string(),
        d.clone(),
        "-maxdepth".into(),
        "0".into(),
    ];
    args.extend(many("(", 256));
    args.push("-print".into());
    args.extend(many(")", 256));
    let o = common::run(&args);
    assert_eq!(
        (common::code(&o), common::stdout(&o)),
        (0, format!("{d}\n"))
    );
}

#[test]
fn long_operator_chains_evaluate_without_recursion() {
    let td = common::TempDir::new("chain");
    let d = td.path().to_string_lossy().into_owned();
    // ~28,000 -true built a left-deep tree that eval recursed down (134).
    for (word, join) in [
        ("-true", None),
        ("-false", Some("-o")),
        ("-true", Some(",")),
    ] {
        let mut args = vec![
            "find".to_string(),
            d.clone(),
            "-maxdepth".into(),
            "0".into(),
        ];
        for k in 0..30_000 {
            if k > 0 {
                if let Some(j) = join {
                    args.push(j.into());
                }
            }
            args.push(word.into());
        }
        if word == "-false" {
            args.push("-o".into());
        }
        args.push("-print".into());
        let o = common::run(&args);
        assert_eq!(
            common::code(&o),
            0,
            "{word} {join:?}: {}",
            common::stderr(&o)
        );
        assert_eq!(common::stdout(&o), format!("{d}\n"));
    }
}

#[test]
fn version_and_help_answer_as_gnu_find_does() {
    for a in ["--version", "-version"] {
        let o = common::run(["find", a]);
        assert_eq!(common::code(&o), 0);
        assert!(
            common::stdout(&o).starts_with("find (chperms) "),
            "{}",
            common::stdout(&o)
        );
        assert!(common::stdout(&o).contains("GNU findutils 4.9"));
    }
    let o = common::run(["find", ".", "--help"]);
    assert_eq!(common::code(&o), 0);
    assert!(common::stdout(&o).contains("-okdir COMMAND ;"));
}

#[test]
fn back_references_are_refused_with_gnu_wording() {
    let o = common::run(["find", ".", "-maxdepth", "0", "-regex", "\\(a\\)\\1"]);
    assert_eq!(common::code(&o), 1);
    assert_eq!(
        common::stderr(&o),
        "find: failed to compile regular expression '\\(a\\)\\1': Invalid back reference\n"
    );
}
