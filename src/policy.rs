//! Policy files (SPEC §4): read once with serde-json-core into
//! fixed-capacity structures (derived `Deserialize` on borrowed structs,
//! unknown fields refused, heapless vectors for the rules), validated whole
//! before anything changes, then compiled for one target into a [`Policy`]
//! the walker evaluates per entry.
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

/// A policy as written, borrowing the file's text. Strings are kept as
/// written, escapes included (serde-json-core without an unescape buffer),
/// so a backslash reaches the checks below and is refused there.
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

/// The keys of a policy object (named by the error locator).
const TOP_KEYS: [&str; 4] = ["base", "description", "rules", "processes"];

/// One rule as written.
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

/// The keys of a rule object (named by the error locator).
const RULE_KEYS: [&str; 8] = [
    "path", "type", "owner", "group", "mode", "create", "when", "comment",
];

/// One process rule as written.
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

/// `policy SOURCE: ` and then `parts`: how every policy error starts.
/// Messages are built from pieces rather than with `format!` (smaller).
fn err(src: &str, parts: &[&str]) -> String {
    let mut s = String::with_capacity(96);
    for p in ["policy ", src, ": "].iter().chain(parts) {
        s.push_str(p);
    }
    s
}

/// Appends `n` in decimal.
fn push_dec(s: &mut String, n: usize) {
    if n >= 10 {
        push_dec(s, n / 10);
    }
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// `policy SOURCE: rule I (path QPATHQ): ` and then `why`, where `q` is
/// `"` (compile errors quote the path) or empty (parse errors).
fn rule_err(src: &str, i: usize, path: &str, q: &str, why: &[&str]) -> String {
    let mut s = err(src, &["rule "]);
    push_dec(&mut s, i);
    for p in [" (path ", q, path, q, "): "].iter().chain(why) {
        s.push_str(p);
    }
    s
}

/// Why a rule field is refused: a message in up to three pieces (typically
/// text, the offending value, text), so that no `String` is built until the
/// whole error is.
pub type Why<'a> = [&'a str; 3];

/// Reads a policy file, refusing one larger than [`POLICY_MAX_BYTES`].
pub fn load_file(path: &str) -> Result<Vec<u8>, String> {
    match crate::sys::read_file_max(path, POLICY_MAX_BYTES) {
        Ok(Some(buf)) => Ok(buf),
        Ok(None) => Err(err(
            path,
            &["larger than 65536 bytes: refused (nothing changed)"],
        )),
        Err(e) => Err(err(path, &[crate::sys::errno_text(e)])),
    }
}
const _: () = assert!(POLICY_MAX_BYTES == 65536); // the message above says so

/// A parsed (not yet compiled) policy, borrowing the file's text.
pub struct Parsed<'a> {
    raw: RawPolicy<'a>,
    source: &'a str,
}

/// Parses policy JSON; errors name the file and, where possible, the rule.
pub fn parse<'a>(text: &'a [u8], source: &'a str) -> Result<Parsed<'a>, String> {
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(err(
            source,
            &["not a JSON object (a policy file starts with '{', see 'chperms policy show')"],
        ));
    }
    match serde_json_core::from_slice::<RawPolicy<'a>>(text) {
        Ok((raw, _)) => Ok(Parsed { raw, source }),
        Err(e) => Err(locate_error(text, source, &e)),
    }
}

/// What a serde-json-core error means to an operator.
fn describe(e: &serde_json_core::de::Error) -> &'static str {
    use serde_json_core::de::Error as E;
    match e {
        E::EofWhileParsingList
        | E::EofWhileParsingObject
        | E::EofWhileParsingString
        | E::EofWhileParsingNumber
        | E::EofWhileParsingValue => "malformed JSON: the file ends too early (truncated?)",
        E::ExpectedColon => "malformed JSON: expected ':'",
        E::ExpectedListCommaOrEnd => "malformed JSON: expected ',' or ']'",
        E::ExpectedObjectCommaOrEnd => "malformed JSON: expected ',' or '}'",
        E::TrailingComma => "malformed JSON: trailing comma",
        E::TrailingCharacters => "malformed JSON: text after the closing '}'",
        E::KeyMustBeAString => "malformed JSON: object key is not a string",
        E::InvalidType => "a value has the wrong type (strings in quotes, create true/false)",
        // serde's own messages (unknown, duplicate or missing field, a 65th
        // rule) are dropped without the "custom-error-messages" feature,
        // which is off: it panicked on serde's long "unknown field"
        // message. The locator names unknown fields itself.
        E::CustomError => "a field is unknown, missing or of the wrong type",
        // Named by hand: release builds use -Zfmt-debug=none, which prints
        // Debug output as nothing.
        E::ExpectedSomeIdent => "malformed policy (ExpectedSomeIdent)",
        E::InvalidUnicodeCodePoint => "malformed policy (InvalidUnicodeCodePoint)",
        E::ExpectedSomeValue => "malformed policy (ExpectedSomeValue)",
        E::InvalidNumber => "malformed policy (InvalidNumber)",
        _ => "malformed policy",
    }
}

/// Explains a parse error: re-reads each rule alone to name the offending
/// one, and looks for unknown keys by name.
fn locate_error(text: &[u8], source: &str, e: &serde_json_core::de::Error) -> String {
    let whole = || err(source, &[describe(e), " (nothing changed)"]);
    let Some(obj) = json::value_start(text, 0).and_then(|i| json::object_range(text, i)) else {
        return whole();
    };
    if let Some(key) = json::unknown_key(text, obj, &TOP_KEYS) {
        return err(
            source,
            &[
                "unknown field \"",
                &String::from_utf8_lossy(key),
                "\" (known: base, rules, processes, description)",
            ],
        );
    }
    let mut rule = |i: usize, r: (usize, usize)| {
        let why = serde_json_core::from_slice::<RawRule<'_>>(&text[r.0..r.1]).err()?;
        let o = json::object_range(text, r.0);
        let path = o
            .and_then(|o| json::member(text, o, b"path"))
            .map(|p| String::from_utf8_lossy(&text[p.0..p.1]))
            .unwrap_or("?".into());
        Some(
            match o.and_then(|o| json::unknown_key(text, o, &RULE_KEYS)) {
                Some(key) => rule_err(
                    source,
                    i,
                    &path,
                    "",
                    &[
                        "unknown field \"",
                        &String::from_utf8_lossy(key),
                        "\" (known: path, type, owner, group, mode, create, when, comment)",
                    ],
                ),
                None => rule_err(source, i, &path, "", &[describe(&why)]),
            },
        )
    };
    json::member(text, obj, b"rules")
        .and_then(|arr| json::first_element(text, arr, &mut rule))
        .unwrap_or_else(whole)
}

/// Compiles a parsed policy for one target: resolves users, groups and
/// templates, validates every rule, keeps the rules whose `when` holds.
pub fn compile(p: &Parsed<'_>, ctx: &Context<'_>) -> Result<Box<Policy>, String> {
    let src = p.source;
    let base = if p.raw.base == "{root}/{vhost}" {
        Base::Vhost
    } else if p.raw.base.starts_with('/')
        // A byte window, not `str::contains` (its substring searcher is big).
        && !p.raw.base.as_bytes().windows(4).any(|w| w == b"/../")
        && !p.raw.base.ends_with("/..")
    {
        Base::Absolute(PStr::try_from(p.raw.base).map_err(|_| err(src, &["base is too long"]))?)
    } else {
        return Err(err(
            src,
            &[
                "base \"",
                p.raw.base,
                "\" must be an absolute directory or \"{root}/{vhost}\"",
            ],
        ));
    };
    let mut pol = Box::new(Policy {
        base,
        rules: heapless::Vec::new(),
        processes: heapless::Vec::new(),
    });
    for (i, r) in p.raw.rules.iter().enumerate() {
        let rule = compile_rule(r, i, ctx).map_err(|why| rule_err(src, i, r.path, "\"", &why))?;
        if let Some(rule) = rule {
            if pol.rules.push(rule).is_err() {
                return Err(err(src, &["more than 64 rules"]));
            }
        }
    }
    for (i, pr) in p.raw.processes.iter().enumerate() {
        let fail = |why: &[&str]| {
            let mut s = err(src, &["process rule "]);
            push_dec(&mut s, i);
            for p in why {
                s.push_str(p);
            }
            s
        };
        let u = users::user_by_name(pr.user)
            .ok_or_else(|| fail(&[" (", pr.name, "): unknown user \"", pr.user, "\""]))?;
        let name = PStr::try_from(pr.name).map_err(|_| fail(&[": name too long"]))?;
        if name.is_empty() {
            return Err(fail(&[": empty name"]));
        }
        let _ = pol.processes.push(ProcessRule {
            name,
            user: u.name.clone(),
            uid: u.uid,
        });
    }
    Ok(pol)
}
const _: () = assert!(MAX_RULES == 64); // "more than 64 rules" above

/// Validates and resolves one rule; `None` when its `when` does not hold
/// (and the context is not lenient).
fn compile_rule<'r>(r: &RawRule<'r>, i: usize, ctx: &Context<'_>) -> Result<Option<Rule>, Why<'r>> {
    let pattern = Pattern::parse(r.path).map_err(|e| [e, "", ""])?;
    let select = match r.kind {
        None => Select::Any,
        Some(k) => Select::parse(k).ok_or(["type \"", k, "\" is not dir, file, socket or any"])?,
    };
    let mode = match r.mode {
        None => None,
        Some(m) => Some(parse_mode(m)?),
    };
    if let Some(m) = mode {
        // `{m:04o}`: the bits checked here make m at least 01000, so its
        // four octal digits are exactly the ones after the leading 0.
        let what = if m & 0o4000 != 0 {
            " grants setuid: refused"
        } else if m & 0o2000 != 0 && select == Select::Any {
            " sets setgid on any type: only \"type\": \"dir\" rules may"
        } else if m & 0o2000 != 0 && select != Select::Dir {
            " sets setgid on a file: only \"type\": \"dir\" rules may"
        } else if m & 0o1000 != 0 && select != Select::Dir {
            " sets the sticky bit on a non-directory"
        } else {
            ""
        };
        if !what.is_empty() {
            // Mode strings are at most five octal digits (parse_mode), so
            // its last four are the `{m:04o}` digits.
            let s = r.mode.unwrap_or("");
            let digits = &s[s.len().saturating_sub(4)..];
            return Err(["mode ", digits, what]);
        }
    }
    let create = r.create.unwrap_or(false);
    if create {
        if !pattern.is_literal() {
            return Err(["\"create\" needs a path without wildcards", "", ""]);
        }
        if !matches!(select, Select::Dir | Select::File | Select::Any) {
            return Err(["\"create\" makes directories and empty files only", "", ""]);
        }
        if pattern.components().next().is_none() {
            return Err(["\"create\" cannot create the base itself", "", ""]);
        }
    }
    let when = match r.when {
        None => None,
        Some(w) => Some(When::parse(w).ok_or(["when \"", w, "\" is not chroot or sysadm"])?),
    };
    let owner = r.owner.map(|o| resolve_owner(o, ctx)).transpose()?;
    let group = r.group.map(|g| resolve_group(g, ctx)).transpose()?;
    let uid = ctx.user.map(|u| u.uid);
    let holds = match when {
        None => true,
        Some(When::Chroot) => ctx.chroot && uid.is_some_and(|u| u > 1000),
        Some(When::Sysadm) => uid == Some(1000),
    };
    if !holds && !ctx.lenient {
        return Ok(None);
    }
    Ok(Some(Rule {
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
    }))
}

/// Parses an octal mode string such as `"02750"` or `"640"`.
pub fn parse_mode(s: &str) -> Result<u32, Why<'_>> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err([
            "mode \"",
            s,
            "\" is not an octal mode like \"0640\" or \"02750\"",
        ]);
    }
    // At most five octal digits: no overflow.
    let v = s.bytes().fold(0, |v, b| v * 8 + u32::from(b - b'0'));
    if v > 0o7777 {
        return Err(["mode \"", s, "\" is larger than 07777"]);
    }
    Ok(v)
}

/// The `Id` of an owner or group template in a lenient context: the
/// template itself as the name.
fn lenient_id(s: &str) -> Id {
    Id {
        id: u32::MAX,
        name: heapless::String::try_from(s).unwrap_or_default(),
    }
}

/// Gid `gid` with its name (or number) to print.
fn group_id(gid: u32) -> Id {
    Id {
        id: gid,
        name: users::group_by_gid(gid)
            .map(|g| g.name)
            .unwrap_or_else(|| users::number_name(gid)),
    }
}

fn resolve_owner<'s>(s: &'s str, ctx: &Context<'_>) -> Result<Id, Why<'s>> {
    match s {
        "{user}" => match ctx.user {
            Some(u) => Ok(Id {
                id: u.uid,
                name: u.name.clone(),
            }),
            None if ctx.lenient => Ok(lenient_id(s)),
            None => Err(["owner \"{user}\" needs a vhost user (pass --user)", "", ""]),
        },
        "{group}" | "{web}" => Err(["owner \"", s, "\" is a group template"]),
        _ => match users::resolve_user(s) {
            Some((uid, _)) => Ok(Id {
                id: uid,
                name: users::user_by_uid(uid)
                    .map(|u| u.name)
                    .unwrap_or_else(|| users::number_name(uid)),
            }),
            None => Err(["unknown user \"", s, "\" (not in /etc/passwd)"]),
        },
    }
}

fn resolve_group<'s>(s: &'s str, ctx: &Context<'_>) -> Result<Id, Why<'s>> {
    match s {
        "{group}" => match ctx.user {
            Some(u) => Ok(group_id(u.gid)),
            None if ctx.lenient => Ok(lenient_id(s)),
            None => Err(["group \"{group}\" needs a vhost user (pass --user)", "", ""]),
        },
        "{web}" => match ctx.web {
            Some(g) => Ok(Id {
                id: g.gid,
                name: g.name.clone(),
            }),
            None if ctx.lenient => Ok(lenient_id(s)),
            None => Err(["group \"{web}\" needs --web-group", "", ""]),
        },
        "{user}" => Err([
            "group \"{user}\" is a user template: use \"{group}\"",
            "",
            "",
        ]),
        _ => match users::resolve_group(s) {
            Some(gid) => Ok(group_id(gid)),
            None => Err(["unknown group \"", s, "\" (not in /etc/group)"]),
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

    /// The first member of the object `obj` whose key (without quotes)
    /// satisfies `want`, as (key range, value range). Scanning stops at the
    /// first member that does not look like `"key": value`.
    #[allow(clippy::type_complexity)]
    fn find(
        t: &[u8],
        obj: (usize, usize),
        want: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Option<((usize, usize), (usize, usize))> {
        let mut i = obj.0 + 1;
        loop {
            let k = value_start(t, i)?;
            if k >= obj.1 || t[k] != b'"' {
                return None;
            }
            let ke = skip(t, k)?;
            let c = ws(t, ke);
            if t.get(c) != Some(&b':') {
                return None;
            }
            let v = value_start(t, c + 1)?;
            let ve = skip(t, v)?;
            if want(&t[k + 1..ke - 1]) {
                return Some(((k + 1, ke - 1), (v, ve)));
            }
            let n = ws(t, ve);
            if t.get(n) != Some(&b',') {
                return None;
            }
            i = n + 1;
        }
    }

    /// The first key of an object that is not in `known`.
    pub fn unknown_key<'t>(t: &'t [u8], obj: (usize, usize), known: &[&str]) -> Option<&'t [u8]> {
        find(t, obj, &mut |k| !known.iter().any(|n| n.as_bytes() == k)).map(|(k, _)| &t[k.0..k.1])
    }

    /// The value range of member `key` (a string's range excludes quotes).
    pub fn member(t: &[u8], obj: (usize, usize), key: &[u8]) -> Option<(usize, usize)> {
        find(t, obj, &mut |k| k == key).map(|(_, v)| {
            if t[v.0] == b'"' && v.1 > v.0 + 1 {
                (v.0 + 1, v.1 - 1)
            } else {
                v
            }
        })
    }

    /// Calls `each(index, range)` for the elements of the array at `arr`
    /// until it returns `Some`, and returns that.
    pub fn first_element(
        t: &[u8],
        arr: (usize, usize),
        each: &mut dyn FnMut(usize, (usize, usize)) -> Option<String>,
    ) -> Option<String> {
        if t.get(arr.0) != Some(&b'[') {
            return None;
        }
        let mut i = arr.0 + 1;
        let mut n = 0;
        loop {
            let v = value_start(t, i)?;
            if v >= arr.1 || t[v] == b']' {
                return None;
            }
            let e = skip(t, v)?;
            if let Some(found) = each(n, (v, e)) {
                return Some(found);
            }
            n += 1;
            let c = ws(t, e);
            if t.get(c) != Some(&b',') {
                return None;
            }
            i = c + 1;
        }
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

    /// serde-json-core's verdicts on odd input, quirks included (a comma
    /// before the first element is accepted): pinned, so that an upgrade
    /// that changes what operators' files mean shows here.
    #[test]
    fn serde_json_core_verdicts_are_pinned() {
        let ok = [
            r#"{"base":"/x","description":null,"rules":[{"path":"a","type":null,"create":null}]}"#,
            r#"{"base":"/x","rules":[,{"path":"a"} {"path":"b"}]}"#,
            r#"{"base":"/x","rules":[{"path":"a\"b\\"}]}"#,
        ];
        for text in ok {
            assert!(parse(text.as_bytes(), "t").is_ok(), "{text}");
        }
        let bad = [
            (r#"{"base":"/x","base":"/y"}"#, "a field is unknown"),
            (r#"{"rules":[]}"#, "a field is unknown"),
            (
                r#"{"base":"/x","rules":[{"path":"a"} {"path":"b"}]}"#,
                "expected ',' or ']'",
            ),
            (r#"{"base":"/x","rules":[{"path":"a"},]}"#, "trailing comma"),
            (r#"{"base":"/x",}"#, "trailing comma"),
            (r#"{"base":"/x"} x"#, "text after"),
            (r#"{"base":nul}"#, "wrong type"),
            (r#"{"base":"/x","description":nul}"#, "ExpectedSomeIdent"),
            (
                r#"{"base":"/x","rules":[{"path":"a","create":1}]}"#,
                "rule 0 (path a): a value has the wrong type",
            ),
            (
                r#"{"base":"/x","rules":[{"path":"a","create":tru}]}"#,
                "ExpectedSomeIdent",
            ),
            (r#"{"base" "/x"}"#, "expected ':'"),
            (r#"{,"base":"/x"}"#, "key is not a string"),
        ];
        for (text, want) in bad {
            let e = parse(text.as_bytes(), "t").err().expect(text);
            assert!(e.contains(want), "{text}\n  got: {e}\n  want: {want}");
        }
        let mut many = String::from(r#"{"base":"/x","rules":["#);
        for i in 0..=MAX_RULES {
            many.push_str(if i > 0 {
                r#",{"path":"a"}"#
            } else {
                r#"{"path":"a"}"#
            });
        }
        many.push_str("]}");
        let e = parse(many.as_bytes(), "t").err().expect("too many rules");
        assert_eq!(
            e,
            "policy t: a field is unknown, missing or of the wrong type (nothing changed)"
        );
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
