//! `/etc/passwd` and `/etc/group` (`src/users.rs`) against a reference model
//! written here: the files are split into lines all at once (no buffer),
//! and every lookup is a plain search of those lines.
//!
//! `users::scan_lines` is fed through a reader that returns the bytes in
//! chunks of fuzzer-chosen sizes (and `Interrupted` now and then), so the
//! streaming buffer's edges are exercised: lines across reads, lines of
//! exactly the buffer size, no newline at the end.
//!
//! Input: `PASSWD \0 GROUP \0 QUERY \0 CHUNK-SIZES`.

#![no_main]

use chperms::budget::{MAX_DB_LINE, MAX_GROUPS, MAX_NAME};
use chperms::users::{self, Db};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

/// Reads `data` in chunks whose sizes cycle through `sizes` (0 means an
/// `Interrupted` error instead of bytes).
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    turn: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = match self.sizes {
            [] => usize::MAX,
            s => {
                self.turn += 1;
                match s[self.turn % s.len()] {
                    0 if !self.turn.is_multiple_of(7) => {
                        return Err(std::io::ErrorKind::Interrupted.into())
                    }
                    0 => 1,
                    n if n > 200 => (n as usize - 200) * 100,
                    n => n as usize,
                }
            }
        };
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The fields of every line the model reads: lines shorter than the line
/// budget, not empty, not `#` comments; at most 7 fields, the last keeping
/// its colons.
fn lines(data: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut out = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        if line.len() >= MAX_DB_LINE || line.is_empty() || line[0] == b'#' {
            continue;
        }
        let mut fields = Vec::new();
        let mut rest = line;
        while fields.len() < 6 {
            match rest.iter().position(|&b| b == b':') {
                Some(i) => {
                    fields.push(&rest[..i]);
                    rest = &rest[i + 1..];
                }
                None => break,
            }
        }
        fields.push(rest);
        out.push(fields);
    }
    out
}

/// A decimal id: 1 to 10 ASCII digits whose value fits 32 bits.
fn id(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b)
        .ok()?
        .parse::<u64>()
        .ok()?
        .try_into()
        .ok()
}

fn name(b: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(b).ok()?;
    (s.len() <= MAX_NAME).then(|| s.to_string())
}

/// (name, uid, gid) of a passwd line, if it has them.
fn user(f: &[&[u8]]) -> Option<(String, u32, u32)> {
    if f.len() < 4 {
        return None;
    }
    Some((name(f[0])?, id(f[2])?, id(f[3])?))
}

fn group(f: &[&[u8]]) -> Option<(String, u32)> {
    if f.len() < 3 {
        return None;
    }
    Some((name(f[0])?, id(f[2])?))
}

fn trim(mut b: &[u8]) -> &[u8] {
    while b.len() > 1 && b.ends_with(b"/") {
        b = &b[..b.len() - 1];
    }
    b
}

fn got_user(u: Option<users::User>) -> Option<(String, u32, u32)> {
    u.map(|u| (u.name.to_string(), u.uid, u.gid))
}

fn got_group(g: Option<users::Group>) -> Option<(String, u32)> {
    g.map(|g| (g.name.to_string(), g.gid))
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == 0);
    let passwd = parts.next().unwrap_or_default();
    let groupf = parts.next().unwrap_or_default();
    let query = parts.next().unwrap_or_default();
    let sizes = parts.next().unwrap_or_default();

    // The streaming parser sees the lines the model sees.
    for file in [passwd, groupf] {
        let mut seen: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut rd = Chunked {
            data: file,
            sizes,
            turn: 0,
        };
        users::scan_lines(&mut rd, &mut |f| {
            seen.push(f.iter().map(|x| x.to_vec()).collect());
            false
        });
        let want: Vec<Vec<Vec<u8>>> = lines(file)
            .iter()
            .map(|f| f.iter().map(|x| x.to_vec()).collect())
            .collect();
        assert_eq!(seen, want);
    }

    let db = Db::from_bytes(passwd, groupf);
    let pw = lines(passwd);
    let gr = lines(groupf);
    let q = String::from_utf8_lossy(query);
    let by_name = |n: &str| {
        pw.iter()
            .filter(|f| f[0] == n.as_bytes())
            .find_map(|f| user(f))
    };
    let by_uid = |u: u32| pw.iter().filter_map(|f| user(f)).find(|x| x.1 == u);
    assert_eq!(got_user(db.user_by_name(&q)), by_name(&q));
    let by_home = pw
        .iter()
        .filter(|f| f.len() >= 6 && trim(f[5]) == trim(query))
        .find_map(|f| user(f));
    assert_eq!(got_user(db.user_by_home(query)), by_home);
    let gr_by_name = gr
        .iter()
        .filter(|f| f[0] == q.as_bytes())
        .find_map(|f| group(f));
    assert_eq!(got_group(db.group_by_name(&q)), gr_by_name);

    // Every id and name the files mention, and the query as a number.
    let mut ids: Vec<u32> = pw
        .iter()
        .chain(gr.iter())
        .filter_map(|f| f.get(2).and_then(|b| id(b)))
        .collect();
    ids.extend(id(query));
    ids.truncate(16);
    for &u in &ids {
        assert_eq!(got_user(db.user_by_uid(u)), by_uid(u));
        let g = gr.iter().filter_map(|f| group(f)).find(|x| x.1 == u);
        assert_eq!(got_group(db.group_by_gid(u)), g);
    }
    let want_user = by_name(&q).map(|u| (u.1, Some(u.2))).or_else(|| {
        let n = id(query)?;
        Some((n, by_uid(n).map(|u| u.2)))
    });
    assert_eq!(db.resolve_user(&q), want_user);
    let want_group = gr_by_name.map(|g| g.1).or_else(|| id(query));
    assert_eq!(db.resolve_group(&q), want_group);

    for u in pw.iter().filter_map(|f| user(f)).take(16) {
        // The first entry of that name is the one looked up.
        let found = db.user_by_name(&u.0).expect("listed user");
        let mut want = vec![found.gid];
        for f in gr.iter().filter(|f| f.len() >= 4) {
            if f[3].split(|&b| b == b',').any(|m| m == u.0.as_bytes()) {
                if let Some(g) = id(f[2]) {
                    if !want.contains(&g) && want.len() < MAX_GROUPS {
                        want.push(g);
                    }
                }
            }
        }
        assert_eq!(
            db.groups_of(&found).as_slice(),
            want.as_slice(),
            "groups of {}",
            u.0
        );
    }
});
