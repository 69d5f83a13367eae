//! `chperms access` must agree with the kernel: randomized trees are checked
//! against a real read and a real write attempted as each user, and the
//! NetServa ACME chain is checked with its verdicts (run as root, after
//! tests/setup-users.sh).

mod common;

use common::{code, gid_of, set, stderr, stdout, uid_of, TempDir};
use std::path::Path;
use std::process::Command;

/// xorshift64*: a seeded PRNG, so a failing tree can be rebuilt.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// A mode whose bits are each set with `p` percent chance, plus occasional
/// setgid / sticky on directories.
fn random_mode(r: &mut Rng, p: u64, dir: bool) -> u32 {
    let mut m = 0;
    for bit in 0..9 {
        if r.chance(p) {
            m |= 1 << bit;
        }
    }
    if dir && r.chance(25) {
        m |= 0o2000;
    }
    if dir && r.chance(10) {
        m |= 0o1000;
    }
    m
}

/// The kernel's verdict: (can read, can write) `path` as `user`. The write
/// attempt opens without O_CREAT or O_TRUNC and writes nothing, so the tree
/// is unchanged whatever the answer.
fn kernel(user: &str, path: &str) -> (bool, bool) {
    let o = Command::new("setpriv")
        .args([
            "--reuid",
            user,
            "--regid",
            user,
            "--init-groups",
            "--",
            "sh",
            "-c",
        ])
        .arg(
            "cat \"$1\" >/dev/null 2>&1; r=$?; \
             dd if=/dev/null of=\"$1\" conv=notrunc,nocreat status=none 2>/dev/null; \
             echo \"$r $?\"",
        )
        .args(["sh", path])
        .output()
        .expect("setpriv");
    let s = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut it = s.split_whitespace();
    (it.next() == Some("0"), it.next() == Some("0"))
}

/// chperms' verdict: true allowed (0), false denied (2); anything else fails.
fn ours(user: &str, path: &str, write: bool, seed: u64) -> bool {
    let mut args = vec!["access", "--user", user];
    if write {
        args.push("--write");
    }
    args.push(path);
    let o = common::run(&args);
    match code(&o) {
        0 => true,
        2 => false,
        c => panic!(
            "seed {seed:#x}: exit {c} for {args:?}\n{}{}",
            stdout(&o),
            stderr(&o)
        ),
    }
}

const USERS: [&str; 5] = ["root", "chpv1", "chpv2", "chpout", "www-data"];

/// Builds one random chain `base/d0/…/dN-1/f` (sometimes reached through a
/// symlink, sometimes with `.`/`..` in the path) and returns the path to ask
/// about.
fn random_tree(r: &mut Rng, base: &Path) -> String {
    let ids = [
        0,
        uid_of("chpv1"),
        uid_of("chpv2"),
        uid_of("chpout"),
        uid_of("www-data"),
    ];
    let gids = [
        0,
        gid_of("chpv1"),
        gid_of("chpv2"),
        gid_of("chpout"),
        gid_of("www-data"),
    ];
    let depth = 1 + r.below(5) as usize;
    let link_at = if r.chance(30) {
        Some(r.below(depth as u64 + 1) as usize)
    } else {
        None
    };
    let mut real = base.to_path_buf();
    let mut asked = base.to_string_lossy().into_owned();
    for i in 0..=depth {
        let name = if i == depth {
            "f".to_string()
        } else {
            format!("d{i}")
        };
        let p = real.join(&name);
        if i == depth {
            std::fs::write(&p, b"data").expect("write f");
            set(&p, r.pick(&ids), r.pick(&gids), random_mode(r, 60, false));
        } else {
            std::fs::create_dir(&p).expect("mkdir");
        }
        let mut component = name.clone();
        if link_at == Some(i) {
            let l = real.join("l");
            let target = if r.chance(50) {
                name.clone()
            } else {
                p.to_string_lossy().into_owned()
            };
            std::os::unix::fs::symlink(&target, &l).expect("symlink");
            let o = r.pick(&ids);
            std::os::unix::fs::lchown(&l, Some(o), Some(o)).expect("lchown");
            component = "l".into();
        }
        asked.push('/');
        asked.push_str(&component);
        if i < depth && r.chance(10) {
            asked.push_str(if r.chance(50) { "/." } else { "/../" });
            if asked.ends_with('/') {
                asked.push_str(&component);
            }
        }
        real = p;
    }
    // Modes last (parents first would lock root out of nothing, but keep
    // the order obvious): every directory of the chain.
    let mut d = base.to_path_buf();
    for i in 0..depth {
        d = d.join(format!("d{i}"));
        set(&d, r.pick(&ids), r.pick(&gids), random_mode(r, 75, true));
    }
    asked
}

#[test]
fn verdicts_agree_with_the_kernel_on_random_trees() {
    let seed: u64 = std::env::var("CHPERMS_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee_5eed_0001);
    let trees: usize = std::env::var("CHPERMS_TEST_TREES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut r = Rng(seed | 1);
    let (mut compared, mut allowed, mut denied) = (0, 0, 0);
    for n in 0..trees {
        let t = TempDir::new("access-rand");
        let path = random_tree(&mut r, t.path());
        for user in USERS {
            let (kr, kw) = kernel(user, &path);
            for (write, k) in [(false, kr), (true, kw)] {
                let us = ours(user, &path, write, seed);
                assert_eq!(
                    us,
                    k,
                    "seed {seed:#x} tree {n}: {user} {} {path}: chperms says {}, the kernel {}\n{}",
                    if write { "write" } else { "read" },
                    us,
                    k,
                    stdout(&common::run(["access", "--user", user, &path]))
                );
                compared += 1;
                if k {
                    allowed += 1;
                } else {
                    denied += 1;
                }
            }
        }
    }
    eprintln!("{compared} kernel comparisons ({allowed} allowed, {denied} denied), seed {seed:#x}");
    assert!(compared >= 300 || trees < 30);
    assert!(
        allowed > compared / 10 && denied > compared / 10,
        "{allowed}/{denied}: trees too one-sided"
    );
}

/// A vhost under `<t>/srv` laid out as SPEC §3 wants it, with the ACME file.
fn acme_vhost(t: &TempDir) -> (String, String) {
    let (u, w) = (uid_of("chpv1"), gid_of("www-data"));
    let srv = t.join("srv");
    let top = srv.join("goldcoast.test");
    let chain = [
        ("", 0o2750),
        ("web", 0o755),
        ("web/app", 0o2750),
        ("web/app/public", 0o2750),
        ("web/app/public/.well-known", 0o2750),
        ("web/app/public/.well-known/acme-challenge", 0o2750),
    ];
    std::fs::create_dir_all(top.join(chain[5].0)).expect("mkdir vhost");
    set(&srv, 0, 0, 0o755);
    for (rel, mode) in chain {
        set(&top.join(rel), u, w, mode);
    }
    let f = top.join("web/app/public/.well-known/acme-challenge/token");
    std::fs::write(&f, b"t").expect("token");
    set(&f, u, w, 0o640);
    (
        srv.to_string_lossy().into_owned(),
        f.to_string_lossy().into_owned(),
    )
}

#[test]
fn acme_chain_is_readable_by_www_data_and_closed_to_outsiders() {
    let t = TempDir::new("access-acme");
    let (srv, f) = acme_vhost(&t);
    assert!(common::as_user_ok(
        "www-data",
        &format!("cat {f} >/dev/null")
    ));
    let o = common::run(["access", "--root", &srv, &f]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("drwxr-s--- chpv1:www-data 02750"), "{out}");
    assert!(out.contains("group www-data x: ok"), "{out}");
    assert!(out.contains("allowed: www-data can read"), "{out}");
    // The outsider is stopped at the top level, by design.
    assert!(!common::as_user_ok(
        "chpout",
        &format!("cat {f} >/dev/null")
    ));
    let o = common::run(["access", "--root", &srv, "--user", "chpout", &f]);
    assert_eq!(code(&o), 2);
    let out = stdout(&o);
    let top = format!("`{srv}/goldcoast.test` is chpv1:www-data 02750: chpout is other here");
    assert!(out.contains(&top), "{out}");
    assert!(out.contains("kept out by design"), "{out}");
    // The vhost user may write its own token.
    let o = common::run(["access", "--root", &srv, "--user", "chpv1", "--write", &f]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn root_owned_top_level_is_named_with_the_model_fix() {
    let t = TempDir::new("access-403");
    let (srv, f) = acme_vhost(&t);
    let top = t.join("srv/goldcoast.test");
    set(&top, 0, 0, 0o750);
    let o = common::run(["access", "--root", &srv, &f]);
    assert_eq!(code(&o), 2);
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "`{srv}/goldcoast.test` is root:root 0750: www-data is other here (needs x); the model wants <vhost user>:www-data 02750 — run `chperms --root {srv} goldcoast.test --user USER`"
        )),
        "{out}"
    );
    // A discoverable owner (uid >= 1000) is named, and the fix given.
    set(&top, uid_of("chpv1"), gid_of("chpv1"), 0o750);
    let o = common::run(["access", "--root", &srv, &f]);
    assert_eq!(code(&o), 2);
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "is chpv1:chpv1 0750: www-data is other here (needs x); the model wants chpv1:www-data 02750 — run `chperms --root {srv} goldcoast.test`"
        )),
        "{out}"
    );
    // A token that lost its group read bit.
    set(&top, uid_of("chpv1"), gid_of("www-data"), 0o2750);
    set(Path::new(&f), uid_of("chpv1"), gid_of("www-data"), 0o600);
    let o = common::run(["access", "--root", &srv, &f]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("the model wants chpv1:www-data 0640 — run"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn missing_component_is_an_error_naming_it() {
    let t = TempDir::new("access-missing");
    let p = t.join("nope/file");
    let o = common::run(["access", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let want = format!("{}: No such file or directory", t.join("nope").display());
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
}

#[test]
fn symlink_loops_are_an_error_and_json_is_lines() {
    let t = TempDir::new("access-loop");
    std::os::unix::fs::symlink("b", t.join("a")).unwrap();
    std::os::unix::fs::symlink("a", t.join("b")).unwrap();
    let o = common::run(["access", t.join("a").to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("Too many levels of symbolic links"),
        "{}",
        stderr(&o)
    );
    let o = common::run(["access", "--format", "json", "/"]);
    assert_eq!(code(&o), 0);
    for l in stdout(&o).lines() {
        assert!(l.starts_with('{') && l.ends_with('}'), "{l}");
    }
    assert!(stdout(&o).contains("\"verdict\":\"allowed\""));
}

#[test]
fn acl_is_reported_not_ignored() {
    let t = TempDir::new("access-acl");
    let f = t.join("f");
    std::fs::write(&f, b"x").unwrap();
    set(&f, 0, 0, 0o600);
    // system.posix_acl_access: version 2; user::rw-, user:chpout:r--,
    // group::---, mask::r--, other::---.
    let mut acl: Vec<u8> = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (1u16, 6u16, u32::MAX),
        (2, 4, uid_of("chpout")),
        (4, 0, u32::MAX),
        (0x10, 4, u32::MAX),
        (0x20, 0, u32::MAX),
    ] {
        acl.extend_from_slice(&tag.to_le_bytes());
        acl.extend_from_slice(&perm.to_le_bytes());
        acl.extend_from_slice(&id.to_le_bytes());
    }
    let c = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
    // SAFETY: valid NUL-terminated strings and a buffer of acl.len() bytes.
    let rc = unsafe {
        libc::setxattr(
            c.as_ptr(),
            c"system.posix_acl_access".as_ptr(),
            acl.as_ptr().cast(),
            acl.len(),
            0,
        )
    };
    if rc != 0 {
        eprintln!("filesystem without POSIX ACLs: skipped");
        return;
    }
    let o = common::run(["access", "--user", "chpout", f.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        out.contains("[has an ACL: the kernel's answer may differ]"),
        "{out}"
    );
    assert!(
        out.contains("(a component has an ACL: the kernel's answer may differ)"),
        "{out}"
    );
}

#[test]
fn help_shows_an_example_and_unknown_user_is_an_error() {
    let o = common::run(["access", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("chperms access /srv/goldcoast.org/web/app/public/.well-known"));
    let o = common::run(["access", "--user", "no-such-user-chp", "/"]);
    assert_eq!(code(&o), 1);
    let o = common::run(["access", "--bogus", "/"]);
    assert_eq!(code(&o), 1);
}

#[test]
fn a_user_can_check_itself_without_root() {
    if std::env::var_os("CHPERMS_RUNNER").is_some_and(|r| !r.is_empty()) {
        return;
    }
    let t = TempDir::new("access-self");
    let (srv, f) = acme_vhost(&t);
    let o = Command::new("setpriv")
        .args([
            "--reuid",
            "www-data",
            "--regid",
            "www-data",
            "--init-groups",
            "--",
        ])
        .arg(common::bin())
        .args(["access", "--root", &srv, &f])
        .output()
        .expect("setpriv");
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("allowed: www-data can read"));
}
