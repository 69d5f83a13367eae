//! TEMPORARY (issue 9, the switch to serde-json-core): the hand-written
//! policy reader that serde-json-core replaces (fuzz/old/policy_reader.rs,
//! src/policy.rs as it was) and the new one must give the same verdict on
//! every input: the same error message, or the same compiled policy.

#![no_main]

#[allow(dead_code)]
#[path = "../old/policy_reader.rs"]
mod old;

use chperms::policy as new;
use libfuzzer_sys::fuzz_target;

macro_rules! verdict {
    ($m:ident, $data:expr) => {{
        match $m::parse($data, "t.json") {
            Err(e) => format!("parse: {e}"),
            Ok(p) => {
                let root = chperms::users::user_by_name("root");
                let mut out = String::new();
                for (user, lenient) in [(None, true), (root.as_ref(), false)] {
                    let ctx = $m::Context {
                        user,
                        web: None,
                        chroot: true,
                        lenient,
                    };
                    match $m::compile(&p, &ctx) {
                        Err(e) => out += &format!("compile: {e}\n"),
                        Ok(pol) => $m::print(&pol, &mut out),
                    }
                }
                out
            }
        }
    }};
}

fuzz_target!(|data: &[u8]| {
    assert_eq!(verdict!(old, data), verdict!(new, data));
});
