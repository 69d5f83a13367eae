//! Policy files (SPEC §4): parsed once with serde-json-core into fixed-capacity
//! structures, validated whole before anything changes, then compiled for one
//! target into a [`Policy`] the walker evaluates per entry.
//!
//! Map: [`load_file`] reads a file within [`POLICY_MAX_BYTES`];
//! [`parse`] checks syntax and field names; [`compile`] resolves names and
//! templates and validates each rule; [`Policy::expect`] decides what one
//! entry should be; [`print`] writes a policy back as JSON.
//!
//! Precedence: rules are read in order and every rule whose path and type
//! match an entry contributes the fields it sets; a later rule overrides an
//! earlier one field by field. The index of the rule that decided each field
//! is reported with the finding (`"rule": N`, 0-based).

use crate::budget::{MAX_NAME, MAX_POLICY_STR, MAX_PROCESS_RULES, MAX_RULES, POLICY_MAX_BYTES};
use crate::glob::{Pattern, State};
use crate::sys::Kind;
use crate::users::{self, User};
use serde::Deserialize;
use std::fmt::Write as _;

/// A short policy string.
pub type PStr = heapless::String<MAX_POLICY_STR>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy<'a> {
    #[serde(borrow)]
    base: &'a str,
    /// Free text for the reader; accepted and ignored.
    #[serde(borrow, default)]
    #[allow(dead_code)]
    description: Option<&'a str>,
    #[serde(borrow, default)]
    rules: heapless::Vec<RawRule<'a>, MAX_RULES>,
    #[serde(borrow, default)]
    processes: heapless::Vec<RawProcess<'a>, MAX_PROCESS_RULES>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule<'a> {
    #[serde(borrow)]
    path: &'a str,
    #[serde(borrow, default, rename = "type")]
    kind: Option<&'a str>,
    #[serde(borrow, default)]
    owner: Option<&'a str>,
    #[serde(borrow, default)]
    group: Option<&'a str>,
    #[serde(borrow, default)]
    mode: Option<&'a str>,
    #[serde(default)]
    create: Option<bool>,
    #[serde(borrow, default)]
    when: Option<&'a str>,
    /// Free text for the reader; accepted and ignored.
    #[serde(borrow, default)]
    #[allow(dead_code)]
    comment: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcess<'a> {
    #[serde(borrow)]
    name: &'a str,
    #[serde(borrow)]
    user: &'a str,
}

/// Which entries a rule's `type` selects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Select {
    Dir,
    File,
    Socket,
    /// Directories, regular files, sockets and FIFOs (never symlinks or devices).
    Any,
}

impl Select {
    fn parse(s: &str) -> Option<Select> {
        match s {
            "dir" => Some(Select::Dir),
            "file" => Some(Select::File),
            "socket" => Some(Select::Socket),
            "any" => Some(Select::Any),
            _ => None,
        }
    }
    /// The policy-file word.
    pub fn word(self) -> &'static str {
        match self {
            Select::Dir => "dir",
            Select::File => "file",
            Select::Socket => "socket",
            Select::Any => "any",
        }
    }
    /// True when an entry of `kind` is selected.
    pub fn selects(self, kind: Kind) -> bool {
        match self {
            Select::Dir => kind == Kind::Dir,
            Select::File => kind == Kind::File,
            Select::Socket => kind == Kind::Socket,
            Select::Any => matches!(kind, Kind::Dir | Kind::File | Kind::Socket | Kind::Fifo),
        }
    }
}

/// An owner or group: the id, and the text to print for it.
#[derive(Clone, Debug)]
pub struct Id {
    pub id: u32,
    pub name: heapless::String<MAX_NAME>,
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Index in the policy file (reported with findings).
    pub index: usize,
    pub pattern: Pattern,
    pub select: Select,
    pub owner: Option<Id>,
    pub group: Option<Id>,
    /// Permission bits (`07777` range; setuid never, setgid only on dirs).
    pub mode: Option<u32>,
    pub create: bool,
    /// The rule's `when` condition, as written (kept for `policy show`).
    pub when: Option<When>,
}

/// A rule condition (`"when"`), used by the built-in model's variants.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum When {
    /// `--chroot` was given and the user's uid is above 1000.
    Chroot,
    /// The vhost user has uid 1000 (the `sysadm` mail/admin vhost).
    Sysadm,
}

impl When {
    fn parse(s: &str) -> Option<When> {
        match s {
            "chroot" => Some(When::Chroot),
            "sysadm" => Some(When::Sysadm),
            _ => None,
        }
    }
    fn word(self) -> &'static str {
        match self {
            When::Chroot => "chroot",
            When::Sysadm => "sysadm",
        }
    }
}

/// A process that must run as a given user (SPEC §4 `processes`).
#[derive(Clone, Debug)]
pub struct ProcessRule {
    pub name: PStr,
    pub user: heapless::String<MAX_NAME>,
    pub uid: u32,
}

/// Where a policy applies.
#[allow(clippy::large_enum_variant)] // one per target; boxing buys nothing
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// An absolute directory.
    Absolute(PStr),
    /// `{root}/{vhost}`: one tree per vhost under `--root`.
    Vhost,
}

/// A compiled, validated policy for one target.
#[derive(Clone, Debug)]
pub struct Policy {
    pub base: Base,
    /// Only the rules whose `when` holds for this target, in file order.
    pub rules: heapless::Vec<Rule, MAX_RULES>,
    pub processes: heapless::Vec<ProcessRule, MAX_PROCESS_RULES>,
}

/// What the policy wants for one entry: each field with the rule that set it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    pub uid: Option<(u32, usize)>,
    pub gid: Option<(u32, usize)>,
    pub mode: Option<(u32, usize)>,
}

impl Expect {
    /// True when no rule sets anything for the entry.
    pub fn is_empty(&self) -> bool {
        self.uid.is_none() && self.gid.is_none() && self.mode.is_none()
    }
}

/// The values templates resolve to for one target.
pub struct Context<'a> {
    /// The vhost (or `--user`) user: `{user}` and `{group}`.
    pub user: Option<&'a User>,
    /// The web server's group: `{web}`.
    pub web: Option<&'a users::Group>,
    /// `--chroot` was given.
    pub chroot: bool,
    /// Validate only: unresolvable templates are accepted (`policy check`
    /// without a vhost).
    pub lenient: bool,
}

/// Reads a policy file, refusing one larger than [`POLICY_MAX_BYTES`].
pub fn load_file(path: &str) -> Result<Vec<u8>, String> {
    match crate::sys::read_file_max(path, POLICY_MAX_BYTES) {
        Ok(Some(buf)) => Ok(buf),
        Ok(None) => Err(format!(
            "policy {path}: larger than {POLICY_MAX_BYTES} bytes: refused (nothing changed)"
        )),
        Err(e) => Err(format!("policy {path}: {}", crate::sys::errno_text(e))),
    }
}

/// A parsed (not yet compiled) policy, borrowing the file's text.
pub struct Parsed<'a> {
    raw: RawPolicy<'a>,
    source: &'a str,
}

/// Parses policy JSON; errors name the file and, where possible, the rule.
pub fn parse<'a>(text: &'a [u8], source: &'a str) -> Result<Parsed<'a>, String> {
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(format!(
            "policy {source}: not a JSON object (a policy file starts with '{{', see 'chperms policy show')"
        ));
    }
    match serde_json_core::from_slice::<RawPolicy<'a>>(text) {
        Ok((raw, _)) => Ok(Parsed { raw, source }),
        Err(e) => Err(locate_error(text, source, &e)),
    }
}

/// Explains a serde-json-core error: re-parses each rule alone to name the
/// offending one, and looks for unknown keys by name.
fn locate_error(text: &[u8], source: &str, e: &serde_json_core::de::Error) -> String {
    const RULE_KEYS: &[&str] = &[
        "path", "type", "owner", "group", "mode", "create", "when", "comment",
    ];
    const TOP_KEYS: &[&str] = &["base", "description", "rules", "processes"];
    let what = describe(e);
    if let Some(obj) = json::value_start(text, 0).and_then(|i| json::object_range(text, i)) {
        for key in json::object_keys(text, obj) {
            if !TOP_KEYS.iter().any(|k| k.as_bytes() == key) {
                return format!(
                    "policy {source}: unknown field \"{}\" (known: base, rules, processes, description)",
                    String::from_utf8_lossy(key)
                );
            }
        }
        if let Some(arr) = json::member(text, obj, b"rules") {
            for (i, r) in json::array_elements(text, arr).enumerate() {
                let slice = &text[r.0..r.1];
                if serde_json_core::from_slice::<RawRule<'_>>(slice).is_ok() {
                    continue;
                }
                let path = json::object_range(text, r.0)
                    .and_then(|o| json::member(text, o, b"path"))
                    .map(|p| String::from_utf8_lossy(&text[p.0..p.1]).into_owned())
                    .unwrap_or_else(|| "?".into());
                if let Some(o) = json::object_range(text, r.0) {
                    for key in json::object_keys(text, o) {
                        if !RULE_KEYS.iter().any(|k| k.as_bytes() == key) {
                            return format!(
                                "policy {source}: rule {i} (path {path}): unknown field \"{}\" (known: {})",
                                String::from_utf8_lossy(key),
                                RULE_KEYS.join(", ")
                            );
                        }
                    }
                }
                let e2 = serde_json_core::from_slice::<RawRule<'_>>(slice).err();
                let why = e2.as_ref().map(describe).unwrap_or(what.clone());
                return format!("policy {source}: rule {i} (path {path}): {why}");
            }
        }
    }
    format!("policy {source}: {what} (nothing changed)")
}

fn describe(e: &serde_json_core::de::Error) -> String {
    use serde_json_core::de::Error as E;
    match e {
        E::EofWhileParsingList
        | E::EofWhileParsingObject
        | E::EofWhileParsingString
        | E::EofWhileParsingNumber
        | E::EofWhileParsingValue => "malformed JSON: the file ends too early (truncated?)".into(),
        E::ExpectedColon => "malformed JSON: expected ':'".into(),
        E::ExpectedListCommaOrEnd => "malformed JSON: expected ',' or ']'".into(),
        E::ExpectedObjectCommaOrEnd => "malformed JSON: expected ',' or '}'".into(),
        E::TrailingComma => "malformed JSON: trailing comma".into(),
        E::TrailingCharacters => "malformed JSON: text after the closing '}'".into(),
        E::KeyMustBeAString => "malformed JSON: object key is not a string".into(),
        E::InvalidType => {
            "a value has the wrong type (strings in quotes, create true/false)".into()
        }
        E::InvalidEscapeSequence | E::EscapedStringIsTooLong => {
            "backslash escapes are not supported in policy strings".into()
        }
        // serde-json-core's "custom-error-messages" feature panicked (an
        // unwrap on a 64-byte string) on serde's long "unknown field"
        // message, so it is off: unknown keys are named by locate_error.
        E::CustomError => "a field is unknown, missing or of the wrong type".into(),
        // Named by hand, as `{e:?}` printed them: release builds use
        // -Zfmt-debug=none, which turns Debug output into nothing.
        E::AnyIsUnsupported => "malformed policy (AnyIsUnsupported)".into(),
        E::BytesIsUnsupported => "malformed policy (BytesIsUnsupported)".into(),
        E::ExpectedSomeIdent => "malformed policy (ExpectedSomeIdent)".into(),
        E::ExpectedSomeValue => "malformed policy (ExpectedSomeValue)".into(),
        E::InvalidNumber => "malformed policy (InvalidNumber)".into(),
        E::InvalidUnicodeCodePoint => "malformed policy (InvalidUnicodeCodePoint)".into(),
        _ => "malformed policy".into(),
    }
}

/// Compiles a parsed policy for one target: resolves users, groups and
/// templates, validates every rule, keeps the rules whose `when` holds.
pub fn compile(p: &Parsed<'_>, ctx: &Context<'_>) -> Result<Box<Policy>, String> {
    let src = p.source;
    let base = if p.raw.base == "{root}/{vhost}" {
        Base::Vhost
    } else if p.raw.base.starts_with('/')
        && !p.raw.base.contains("/../")
        && !p.raw.base.ends_with("/..")
    {
        Base::Absolute(
            PStr::try_from(p.raw.base).map_err(|_| format!("policy {src}: base is too long"))?,
        )
    } else {
        return Err(format!(
            "policy {src}: base \"{}\" must be an absolute directory or \"{{root}}/{{vhost}}\"",
            p.raw.base
        ));
    };
    let mut pol = Box::new(Policy {
        base,
        rules: heapless::Vec::new(),
        processes: heapless::Vec::new(),
    });
    for (i, r) in p.raw.rules.iter().enumerate() {
        let fail = |why: String| format!("policy {src}: rule {i} (path \"{}\"): {why}", r.path);
        let pattern = Pattern::parse(r.path).map_err(|e| fail(e.into()))?;
        let select = match r.kind {
            None => Select::Any,
            Some(k) => Select::parse(k)
                .ok_or_else(|| fail(format!("type \"{k}\" is not dir, file, socket or any")))?,
        };
        let mode = match r.mode {
            None => None,
            Some(m) => Some(parse_mode(m).map_err(&fail)?),
        };
        if let Some(m) = mode {
            if m & 0o4000 != 0 {
                return Err(fail(format!("mode {m:04o} grants setuid: refused")));
            }
            if m & 0o2000 != 0 && select != Select::Dir {
                return Err(fail(format!(
                    "mode {m:04o} sets setgid on {}: only \"type\": \"dir\" rules may",
                    if select == Select::Any {
                        "any type"
                    } else {
                        "a file"
                    }
                )));
            }
            if m & 0o1000 != 0 && select != Select::Dir {
                return Err(fail(format!(
                    "mode {m:04o} sets the sticky bit on a non-directory"
                )));
            }
        }
        let create = r.create.unwrap_or(false);
        if create {
            if !pattern.is_literal() {
                return Err(fail("\"create\" needs a path without wildcards".into()));
            }
            if !matches!(select, Select::Dir | Select::File | Select::Any) {
                return Err(fail(
                    "\"create\" makes directories and empty files only".into(),
                ));
            }
            if pattern.components().next().is_none() {
                return Err(fail("\"create\" cannot create the base itself".into()));
            }
        }
        let when = match r.when {
            None => None,
            Some(w) => Some(
                When::parse(w)
                    .ok_or_else(|| fail(format!("when \"{w}\" is not chroot or sysadm")))?,
            ),
        };
        let owner = r
            .owner
            .map(|o| resolve_owner(o, ctx))
            .transpose()
            .map_err(&fail)?;
        let group = r
            .group
            .map(|g| resolve_group(g, ctx))
            .transpose()
            .map_err(&fail)?;
        let uid = ctx.user.map(|u| u.uid);
        let holds = match when {
            None => true,
            Some(When::Chroot) => ctx.chroot && uid.is_some_and(|u| u > 1000),
            Some(When::Sysadm) => uid == Some(1000),
        };
        if !holds && !ctx.lenient {
            continue;
        }
        let rule = Rule {
            index: i,
            pattern,
            select: if create && select == Select::Any {
                Select::Dir
            } else {
                select
            },
            owner,
            group,
            mode,
            create,
            when,
        };
        if pol.rules.push(rule).is_err() {
            return Err(format!("policy {src}: more than {MAX_RULES} rules"));
        }
    }
    for (i, pr) in p.raw.processes.iter().enumerate() {
        let u = users::user_by_name(pr.user).ok_or_else(|| {
            format!(
                "policy {src}: process rule {i} ({}): unknown user \"{}\"",
                pr.name, pr.user
            )
        })?;
        let name = PStr::try_from(pr.name)
            .map_err(|_| format!("policy {src}: process rule {i}: name too long"))?;
        if name.is_empty() {
            return Err(format!("policy {src}: process rule {i}: empty name"));
        }
        let _ = pol.processes.push(ProcessRule {
            name,
            user: u.name.clone(),
            uid: u.uid,
        });
    }
    Ok(pol)
}

/// Parses an octal mode string such as `"02750"` or `"640"`.
pub fn parse_mode(s: &str) -> Result<u32, String> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(format!(
            "mode \"{s}\" is not an octal mode like \"0640\" or \"02750\""
        ));
    }
    let v = u32::from_str_radix(s, 8).map_err(|_| format!("mode \"{s}\" is not octal"))?;
    if v > 0o7777 {
        return Err(format!("mode \"{s}\" is larger than 07777"));
    }
    Ok(v)
}

fn resolve_owner(s: &str, ctx: &Context<'_>) -> Result<Id, String> {
    let lenient = || Id {
        id: u32::MAX,
        name: heapless::String::try_from(s).unwrap_or_default(),
    };
    match s {
        "{user}" => match ctx.user {
            Some(u) => Ok(Id {
                id: u.uid,
                name: u.name.clone(),
            }),
            None if ctx.lenient => Ok(lenient()),
            None => Err("owner \"{user}\" needs a vhost user (pass --user)".into()),
        },
        "{group}" | "{web}" => Err(format!("owner \"{s}\" is a group template")),
        _ => match users::resolve_user(s) {
            Some((uid, _)) => Ok(Id {
                id: uid,
                name: users::user_by_uid(uid)
                    .map(|u| u.name)
                    .unwrap_or_else(|| users::number_name(uid)),
            }),
            None => Err(format!("unknown user \"{s}\" (not in /etc/passwd)")),
        },
    }
}

fn resolve_group(s: &str, ctx: &Context<'_>) -> Result<Id, String> {
    let lenient = || Id {
        id: u32::MAX,
        name: heapless::String::try_from(s).unwrap_or_default(),
    };
    match s {
        "{group}" => match ctx.user {
            Some(u) => Ok(Id {
                id: u.gid,
                name: users::group_by_gid(u.gid)
                    .map(|g| g.name)
                    .unwrap_or_else(|| users::number_name(u.gid)),
            }),
            None if ctx.lenient => Ok(lenient()),
            None => Err("group \"{group}\" needs a vhost user (pass --user)".into()),
        },
        "{web}" => match ctx.web {
            Some(g) => Ok(Id {
                id: g.gid,
                name: g.name.clone(),
            }),
            None if ctx.lenient => Ok(lenient()),
            None => Err("group \"{web}\" needs --web-group".into()),
        },
        "{user}" => Err("group \"{user}\" is a user template: use \"{group}\"".into()),
        _ => match users::resolve_group(s) {
            Some(gid) => Ok(Id {
                id: gid,
                name: users::group_by_gid(gid)
                    .map(|g| g.name)
                    .unwrap_or_else(|| users::number_name(gid)),
            }),
            None => Err(format!("unknown group \"{s}\" (not in /etc/group)")),
        },
    }
}

impl Policy {
    /// The NFA states of every rule for the base itself.
    pub fn initial_states(&self, states: &mut [State; MAX_RULES]) -> u64 {
        let mut active = 0u64;
        for (i, r) in self.rules.iter().enumerate() {
            states[i] = r.pattern.initial();
            if states[i] != 0 {
                active |= 1 << i;
            }
        }
        active
    }

    /// Steps every active rule's state by one path component `name`,
    /// writing the child's states; returns the child's active set.
    pub fn step(
        &self,
        states: &[State; MAX_RULES],
        active: u64,
        name: &[u8],
        out: &mut [State; MAX_RULES],
    ) -> u64 {
        let mut next = 0u64;
        let mut bits = active;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(r) = self.rules.get(i) {
                let s = r.pattern.step(states[i], name);
                out[i] = s;
                if s != 0 {
                    next |= 1 << i;
                }
            }
        }
        next
    }

    /// What the policy wants for an entry of `kind` whose states are given.
    /// The second value is true when a rule without `**` names this path
    /// (whatever its type): a symlink or device there is then suspicious.
    pub fn expect(&self, states: &[State; MAX_RULES], active: u64, kind: Kind) -> (Expect, bool) {
        let mut e = Expect::default();
        let mut named = false;
        let mut bits = active;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some(r) = self.rules.get(i) else { continue };
            if !r.pattern.accepts(states[i]) {
                continue;
            }
            // A rule without `**` names this path; so does `P/**` at `P`
            // itself (the stem: `.ssh/**` says `.ssh` is a directory).
            if !r.pattern.has_globstar() || states[i] & crate::glob::STEM != 0 {
                named = true;
            }
            if !r.select.selects(kind) {
                continue;
            }
            if let Some(o) = &r.owner {
                e.uid = Some((o.id, r.index));
            }
            if let Some(g) = &r.group {
                e.gid = Some((g.id, r.index));
            }
            if let Some(m) = r.mode {
                e.mode = Some((m, r.index));
            }
        }
        (e, named)
    }

    /// What the policy wants for the relative path `rel` (components split
    /// on `/`, `""` for the base) if it were of `kind`.
    pub fn expect_path(&self, rel: &str, kind: Kind) -> Expect {
        let mut states = [0 as State; MAX_RULES];
        let mut next = [0 as State; MAX_RULES];
        let mut active = self.initial_states(&mut states);
        for c in rel.split('/').filter(|c| !c.is_empty() && *c != ".") {
            active = self.step(&states, active, c.as_bytes(), &mut next);
            states = next;
        }
        self.expect(&states, active, kind).0
    }

    /// The name printed for uid `id` if a rule names it.
    pub fn owner_name(&self, id: u32) -> Option<&str> {
        self.rules
            .iter()
            .filter_map(|r| r.owner.as_ref())
            .find(|o| o.id == id)
            .map(|o| o.name.as_str())
    }

    /// The name printed for gid `id` if a rule names it.
    pub fn group_name(&self, id: u32) -> Option<&str> {
        self.rules
            .iter()
            .filter_map(|r| r.group.as_ref())
            .find(|g| g.id == id)
            .map(|g| g.name.as_str())
    }
}

/// Writes a compiled policy as policy-file JSON, one rule per line, with
/// names resolved (what `chperms policy show` prints for a target).
pub fn print(p: &Policy, out: &mut String) {
    let base = match &p.base {
        Base::Vhost => "{root}/{vhost}",
        Base::Absolute(b) => b.as_str(),
    };
    let _ = write!(out, "{{\n  \"base\": \"{base}\",\n  \"rules\": [\n");
    for (n, r) in p.rules.iter().enumerate() {
        let _ = write!(
            out,
            "    {{\"path\": \"{}\", \"type\": \"{}\"",
            r.pattern.as_str(),
            r.select.word()
        );
        if let Some(o) = &r.owner {
            let _ = write!(out, ", \"owner\": \"{}\"", o.name);
        }
        if let Some(g) = &r.group {
            let _ = write!(out, ", \"group\": \"{}\"", g.name);
        }
        if let Some(m) = r.mode {
            let _ = write!(out, ", \"mode\": \"{}\"", crate::output::mode_text(m));
        }
        if r.create {
            out.push_str(", \"create\": true");
        }
        if let Some(w) = r.when {
            let _ = write!(out, ", \"when\": \"{}\"", w.word());
        }
        let _ = write!(out, ", \"comment\": \"rule {}\"}}", r.index);
        out.push_str(if n + 1 < p.rules.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ],\n  \"processes\": [");
    for (n, pr) in p.processes.iter().enumerate() {
        let _ = write!(
            out,
            "{}{{\"name\": \"{}\", \"user\": \"{}\"}}",
            if n > 0 { ", " } else { "" },
            pr.name,
            pr.user
        );
    }
    out.push_str("]\n}\n");
}

/// A minimal JSON scanner, only used to point at the rule a serde error
/// came from. Ranges are byte offsets into the text.
mod json {
    fn ws(t: &[u8], mut i: usize) -> usize {
        while i < t.len() && t[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }

    /// Index of the first non-space byte at or after `i`.
    pub fn value_start(t: &[u8], i: usize) -> Option<usize> {
        let i = ws(t, i);
        (i < t.len()).then_some(i)
    }

    /// End (exclusive) of the value starting at `i`.
    fn skip(t: &[u8], i: usize) -> Option<usize> {
        match *t.get(i)? {
            b'"' => {
                let mut j = i + 1;
                while j < t.len() {
                    match t[j] {
                        b'\\' => j += 2,
                        b'"' => return Some(j + 1),
                        _ => j += 1,
                    }
                }
                None
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                while j < t.len() {
                    match t[j] {
                        b'"' => {
                            j = skip(t, j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                let mut j = i;
                while j < t.len()
                    && !matches!(t[j], b',' | b'}' | b']')
                    && !t[j].is_ascii_whitespace()
                {
                    j += 1;
                }
                Some(j)
            }
        }
    }

    /// The range of the object starting at `i`.
    pub fn object_range(t: &[u8], i: usize) -> Option<(usize, usize)> {
        (t.get(i) == Some(&b'{')).then(|| skip(t, i).map(|e| (i, e)))?
    }

    /// (key range without quotes, value range) pairs of an object.
    fn members(t: &[u8], obj: (usize, usize)) -> Vec<((usize, usize), (usize, usize))> {
        let mut out = Vec::new();
        let mut i = obj.0 + 1;
        while let Some(k) = value_start(t, i) {
            if k >= obj.1 || t[k] != b'"' {
                break;
            }
            let Some(ke) = skip(t, k) else { break };
            let c = ws(t, ke);
            if t.get(c) != Some(&b':') {
                break;
            }
            let Some(v) = value_start(t, c + 1) else {
                break;
            };
            let Some(ve) = skip(t, v) else { break };
            out.push(((k + 1, ke - 1), (v, ve)));
            let n = ws(t, ve);
            if t.get(n) != Some(&b',') {
                break;
            }
            i = n + 1;
        }
        out
    }

    /// The keys of an object.
    pub fn object_keys(t: &[u8], obj: (usize, usize)) -> impl Iterator<Item = &[u8]> {
        members(t, obj).into_iter().map(move |(k, _)| &t[k.0..k.1])
    }

    /// The value range of member `key` (a string's range excludes quotes).
    pub fn member(t: &[u8], obj: (usize, usize), key: &[u8]) -> Option<(usize, usize)> {
        members(t, obj)
            .into_iter()
            .find(|(k, _)| &t[k.0..k.1] == key)
            .map(|(_, v)| {
                if t[v.0] == b'"' && v.1 > v.0 + 1 {
                    (v.0 + 1, v.1 - 1)
                } else {
                    v
                }
            })
    }

    /// The element ranges of the array at `arr`.
    pub fn array_elements(t: &[u8], arr: (usize, usize)) -> impl Iterator<Item = (usize, usize)> {
        let mut out = Vec::new();
        if t.get(arr.0) == Some(&b'[') {
            let mut i = arr.0 + 1;
            while let Some(v) = value_start(t, i) {
                if v >= arr.1 || t[v] == b']' {
                    break;
                }
                let Some(e) = skip(t, v) else { break };
                out.push((v, e));
                let n = ws(t, e);
                if t.get(n) != Some(&b',') {
                    break;
                }
                i = n + 1;
            }
        }
        out.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            user: None,
            web: None,
            chroot: false,
            lenient: false,
        }
    }

    fn compile_text(t: &str) -> Result<Box<Policy>, String> {
        let p = parse(t.as_bytes(), "t.json")?;
        compile(&p, &ctx())
    }

    #[test]
    fn modes() {
        assert_eq!(parse_mode("02750"), Ok(0o2750));
        assert_eq!(parse_mode("640"), Ok(0o640));
        assert!(parse_mode("0x7").is_err());
        assert!(parse_mode("0888").is_err());
        assert!(parse_mode("").is_err());
        assert!(parse_mode("077777").is_err());
    }

    #[test]
    fn rejects_with_rule_index_and_path() {
        let cases = [
            (
                r#"{"base":"/x","rules":[{"path":"a"},{"path":"b","modee":"0640"}]}"#,
                "rule 1 (path b): unknown field \"modee\"",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"a","mode":"0788"}]}"#,
                "rule 0 (path \"a\"): mode \"0788\"",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"../etc","mode":"0700"}]}"#,
                "'..'",
            ),
            (r#"{"base":"/x","rules":[{"path":"/etc"}]}"#, "relative"),
            (
                r#"{"base":"/x","rules":[{"path":"a","mode":"04755"}]}"#,
                "setuid",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"a","type":"file","mode":"02640"}]}"#,
                "setgid",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"a","owner":"no-such-user-q"}]}"#,
                "unknown user",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"a","group":"no-such-group-q"}]}"#,
                "unknown group",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"a/*","create":true}]}"#,
                "wildcards",
            ),
            (r#"{"base":"/x","rules":[{"path":"a""#, "truncated"),
            (r#"{"base":"/x","rulez":[]}"#, "unknown field \"rulez\""),
            (r#"{"base":"x","rules":[]}"#, "absolute"),
        ];
        for (text, want) in cases {
            let e = compile_text(text).expect_err(text);
            assert!(e.contains(want), "{text}\n  got: {e}\n  want: {want}");
            assert!(e.contains("t.json"), "{e}");
        }
    }

    #[test]
    fn later_rules_override_field_by_field() {
        let p = compile_text(
            r#"{"base":"/x","rules":[
                {"path":"**","type":"dir","owner":"root","group":"root","mode":"0755"},
                {"path":"logs/**","mode":"0750"},
                {"path":"logs/*.log","type":"file","mode":"0640"}]}"#,
        )
        .expect("valid");
        let e = p.expect_path("logs", Kind::Dir);
        assert_eq!(e.uid, Some((0, 0)));
        assert_eq!(e.mode, Some((0o750, 1)));
        let f = p.expect_path("logs/a.log", Kind::File);
        assert_eq!(f.uid, None);
        assert_eq!(f.mode, Some((0o640, 2)));
    }
}
