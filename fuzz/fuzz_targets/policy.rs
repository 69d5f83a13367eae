//! Policy files (`src/policy.rs`): whatever the bytes, parsing and compiling
//! never panic; and a policy that compiles, printed as `chperms policy show`
//! prints it, parses and compiles again to the same policy (same base,
//! rules and processes) and prints the same text.
//!
//! Compiled in three contexts: lenient (`policy check` without a vhost:
//! templates kept), and strict for root and for `nobody` with `--chroot`
//! (templates resolved, `when` rules chosen). Names are resolved from the
//! system's `/etc/passwd` and `/etc/group`, as chperms does.

#![no_main]

use chperms::policy::{self, Context, Policy};
use chperms::users;
use libfuzzer_sys::fuzz_target;

/// What a compiled policy decides, without the rule indexes (a strict
/// context drops rules, so a re-read policy numbers them anew).
fn meaning(p: &Policy) -> String {
    let mut s = format!("{:?}\n", p.base);
    for r in &p.rules {
        s += &format!(
            "{:?} {:?} {:?} {:?} {:?} {} {:?}\n",
            r.pattern.as_str(),
            r.select,
            r.owner.as_ref().map(|o| (o.id, o.name.as_str())),
            r.group.as_ref().map(|g| (g.id, g.name.as_str())),
            r.mode,
            r.create,
            r.when
        );
    }
    for pr in &p.processes {
        s += &format!("{:?} {:?} {}\n", pr.name.as_str(), pr.user.as_str(), pr.uid);
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = policy::parse(data, "fuzz.json") else {
        return;
    };
    let root = users::user_by_name("root");
    let nobody = users::user_by_name("nobody");
    let web = users::group_by_gid(0);
    let contexts = [
        Context {
            user: None,
            web: None,
            chroot: false,
            lenient: true,
        },
        Context {
            user: root.as_ref(),
            web: web.as_ref(),
            chroot: false,
            lenient: false,
        },
        Context {
            user: nobody.as_ref(),
            web: web.as_ref(),
            chroot: true,
            lenient: false,
        },
    ];
    for ctx in &contexts {
        let Ok(first) = policy::compile(&parsed, ctx) else {
            continue;
        };
        let mut text = String::new();
        policy::print(&first, &mut text);
        let again = policy::parse(text.as_bytes(), "printed.json")
            .unwrap_or_else(|e| panic!("printed policy does not parse: {e}\n{text}"));
        let second = policy::compile(&again, ctx)
            .unwrap_or_else(|e| panic!("printed policy does not compile: {e}\n{text}"));
        assert_eq!(meaning(&first), meaning(&second), "printed as\n{text}");
        if ctx.lenient {
            // Nothing dropped: the indexes (printed as comments) agree too.
            let mut text2 = String::new();
            policy::print(&second, &mut text2);
            assert_eq!(text, text2);
        }
    }
});
