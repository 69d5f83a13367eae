//! `chperms [apply]` and `chperms check` — bring trees into policy, or audit.
//!
//! ```text
//! chperms [apply] [VHOST...] [--all] [--dry-run] [OPTIONS]
//! chperms check   [VHOST...] [--all] [--fix]     [OPTIONS]
//! ```
//! Targets are resolved and validated whole (vhost directories, users,
//! groups, the policy) before anything changes. `check` is `apply
//! --dry-run`; `check --fix` is `apply`. Exit: 0 in policy, 1 error or
//! refusal, 2 drift (check / --dry-run).
//!
//! This file also holds what `watch` and `policy` share with it:
//! [`TreeOpts`], [`Target`], [`resolve`], [`sweep`], [`open_report`].

use crate::budget::MAX_VHOSTS;
use crate::fmt_quote::err_line;
use crate::metrics::Metrics;
use crate::model::NETSERVA_JSON;
use crate::output::{Format, Level, Report};
use crate::policy::{self, Base, Context, Policy};
use crate::resolve;
use crate::sys::{self, DirStream, Errno, Kind};
use crate::users::{self, NameCache};
use crate::walk::{walk, WalkOpts};
use argh::FromArgs;
use rustix::fd::OwnedFd;
use std::ffi::CString;

#[derive(FromArgs)]
/// Bring trees into policy (apply), or audit them (check). Without --policy,
/// the built-in NetServa vhost model is applied to ROOT/VHOST.
#[argh(
    example = "Preview, then fix one vhost under /srv:\n  $ {command_name} goldcoast.org --dry-run\n  $ {command_name} goldcoast.org",
    example = "Audit every vhost from cron, JSON Lines for tooling:\n  $ chperms check --all --format json",
    example = "Apply an application's policy file:\n  $ chperms apply --policy /etc/chperms/app.json",
    example = "Audit for Prometheus (node_exporter's textfile collector):\n  $ chperms check --all --metrics /var/lib/prometheus/node-exporter/chperms.prom",
    note = "Exit status: 0 everything in policy, 1 an error or an entry refused as unsafe, 2 drift found (check, --dry-run). Run 'chperms policy show' to see the built-in model."
)]
struct Args {
    /// vhost directories under --root (e.g. goldcoast.org)
    #[argh(positional)]
    vhosts: Vec<String>,
    /// every directory under --root whose name contains a dot and does not start with one
    #[argh(switch)]
    all: bool,
    /// show what would change; change nothing (exit 2 when anything would)
    #[argh(switch)]
    dry_run: bool,
    /// with check: fix what differs (same as apply)
    #[argh(switch)]
    fix: bool,
    /// the directory holding vhosts (default /srv)
    #[argh(option, default = "String::from(\"/srv\")")]
    root: String,
    /// a policy file (JSON) instead of the built-in NetServa model
    #[argh(option)]
    policy: Option<String>,
    /// the vhost user (default: the /etc/passwd entry whose home is ROOT/VHOST, else the owner of ROOT/VHOST if its uid >= 1000)
    #[argh(option)]
    user: Option<String>,
    /// the web server's group (default www-data)
    #[argh(option, default = "String::from(\"www-data\")")]
    web_group: String,
    /// vhosts with uid > 1000 get a root:root 0755 top level (legacy chroot model)
    #[argh(switch)]
    chroot: bool,
    /// text (default) or json (JSON Lines)
    #[argh(option, default = "Format::Text")]
    format: Format,
    /// print only errors and the summary
    #[argh(switch)]
    quiet: bool,
    /// also append each finding to FILE
    #[argh(option)]
    log: Option<String>,
    /// also send each finding to syslog (/dev/log, ident chperms)
    #[argh(switch)]
    syslog: bool,
    /// enter and change other filesystems mounted inside a tree
    #[argh(switch)]
    cross_mounts: bool,
    /// write Prometheus metrics to FILE (node_exporter's textfile directory, *.prom), replaced atomically
    #[argh(option)]
    metrics: Option<String>,
}

/// Options shared by apply, check and watch.
#[derive(Clone, Debug, Default)]
pub struct TreeOpts {
    pub vhosts: Vec<String>,
    pub all: bool,
    pub root: String,
    pub policy: Option<String>,
    pub user: Option<String>,
    pub web_group: String,
    pub chroot: bool,
    pub cross_mounts: bool,
    pub format: Format,
    pub quiet: bool,
    pub log: Option<String>,
    pub syslog: bool,
    /// `--metrics FILE` (see [`crate::metrics`]).
    pub metrics: Option<String>,
}

/// How a target's base directory is opened at each sweep: always through
/// [`resolve::open_dir`], so a symlink a user swapped into the base's path
/// (or into `--root`) is refused, never followed.
#[derive(Clone, Debug)]
enum Opener {
    /// An absolute base from a policy file.
    Path(Vec<u8>),
    /// `ROOT/VHOST`: ROOT opened as above, VHOST one name below it, never
    /// through a symlink.
    Vhost { root: Vec<u8>, name: CString },
}

/// One tree and the policy compiled for it.
#[derive(Clone, Debug)]
pub struct Target {
    /// The display path of the base (absolute as the operator gave it).
    pub base: Vec<u8>,
    /// The policy compiled for this target.
    pub policy: Box<Policy>,
    open: Opener,
}

impl Target {
    /// Opens the base directory afresh; the error is a whole message.
    pub fn open_base(&self) -> Result<OwnedFd, String> {
        let mut names = NameCache::new();
        match &self.open {
            Opener::Path(p) => resolve::open_dir(p).map_err(|r| r.text(&mut names)),
            Opener::Vhost { root, name } => {
                let r = resolve::open_dir(root).map_err(|r| r.text(&mut names))?;
                sys::open_dir_at(rustix::fd::AsFd::as_fd(&r), name).map_err(|e| {
                    [
                        String::from_utf8_lossy(&self.base).as_ref(),
                        ": ",
                        sys::errno_text(e),
                    ]
                    .concat()
                })
            }
        }
    }
}

/// [`TreeOpts`] from an applet's parsed arguments (apply/check and watch
/// declare the same tree options; argh has no way to share a struct).
macro_rules! tree_opts {
    ($a:ident) => {
        $crate::applet::apply::TreeOpts {
            vhosts: $a.vhosts,
            all: $a.all,
            root: $a.root,
            policy: $a.policy,
            user: $a.user,
            web_group: $a.web_group,
            chroot: $a.chroot,
            cross_mounts: $a.cross_mounts,
            format: $a.format,
            quiet: $a.quiet,
            log: $a.log,
            syslog: $a.syslog,
            metrics: $a.metrics,
        }
    };
}
pub(crate) use tree_opts;

/// Runs `chperms apply` (`cmd` = "apply") or `chperms check`.
pub fn main(cmd: &str, args: &[&str]) -> i32 {
    let a = match Args::from_args(&[&["chperms ", cmd].concat()], args) {
        Ok(a) => a,
        Err(e) => return super::argh_exit(cmd, e),
    };
    let fix = if cmd == "check" { a.fix } else { !a.dry_run };
    if cmd == "check" && a.dry_run {
        err_line(
            b"chperms check: --dry-run is implied (check changes nothing without --fix)",
            &[],
        );
    }
    if a.syslog {
        crate::syslog::enable_status();
    }
    let opts = tree_opts!(a);
    let targets = match resolve(&opts) {
        Ok(t) => t,
        Err(msg) => return fatal(&msg),
    };
    let mut report = match open_report(&opts) {
        Ok(r) => r,
        Err(msg) => return fatal(&msg),
    };
    let mut metrics = match Metrics::open(opts.metrics.as_deref(), false) {
        Ok(m) => m,
        Err(msg) => return fatal(&msg),
    };
    metrics.attach(&mut report);
    for t in &targets {
        let run = metrics.begin(&report);
        sweep(t, fix, opts.cross_mounts, &mut report);
        // Process rules are audited (SPEC §4), never "applied": only
        // `check` looks, so apply's exit status keeps its meaning.
        if cmd == "check" {
            crate::procs::check_processes(&t.policy.processes, &mut report);
        }
        metrics.end(&t.base, run, &report);
    }
    report.finish();
    // Monitoring that silently stopped is worse than a failed run: a
    // metrics file that could not be written is an error (exit 1).
    if let Err(msg) = metrics.write(targets.iter().map(|t| t.base.as_slice())) {
        return fatal(&msg);
    }
    report.summary.exit_code()
}

/// An error that stops apply/check before any tree is touched: on stderr
/// and, with `--syslog`, once in syslog (a cron job's stderr may go nowhere).
fn fatal(msg: &str) -> i32 {
    err_line(b"chperms: ", &[msg.as_bytes()]);
    crate::syslog::say(Level::Err, msg);
    1
}

/// A report printing in the chosen format, with `--log` opened.
pub fn open_report(opts: &TreeOpts) -> Result<Report, String> {
    let mut r = Report::new(opts.format, opts.quiet);
    if let Some(path) = &opts.log {
        r.open_log(path)
            .map_err(|e| ["--log ", path, ": ", sys::errno_text(e)].concat())?;
    }
    if opts.syslog {
        r.listeners.extend(crate::syslog::listener());
    }
    Ok(r)
}

/// One full pass over a target: applies (`fix`) or audits its policy.
pub fn sweep(t: &Target, fix: bool, cross_mounts: bool, report: &mut Report) {
    match t.open_base() {
        Ok(fd) => walk(
            &t.policy,
            fd,
            &t.base,
            WalkOpts { fix, cross_mounts },
            report,
        ),
        Err(e) => report.error(&t.base, &["cannot open: ", &e].concat()),
    }
}

/// Resolves and validates every target named by `opts`; nothing is changed.
pub fn resolve(opts: &TreeOpts) -> Result<Vec<Target>, String> {
    let text: Vec<u8> = match &opts.policy {
        Some(p) => policy::load_file(p)?,
        None => NETSERVA_JSON.as_bytes().to_vec(),
    };
    let source = opts.policy.as_deref().unwrap_or("built-in");
    let parsed = policy::parse(&text, source)?;
    let web = users::group_by_name(&opts.web_group).or_else(|| {
        users::resolve_group(&opts.web_group).map(|gid| users::Group {
            name: users::number_name(gid),
            gid,
        })
    });
    // An unknown --web-group only matters to a policy that uses {web}; the
    // compile error then says "needs --web-group", which misled operators
    // who had passed one: name the group they gave instead.
    let web_err = |msg: String| -> String {
        if web.is_none() && msg.ends_with("needs --web-group") {
            [
                "unknown group \"",
                &opts.web_group,
                "\" (--web-group): not in /etc/group; ",
                &msg,
            ]
            .concat()
        } else {
            msg
        }
    };
    let forced_user =
        match &opts.user {
            None => None,
            Some(u) => Some(lookup_user(u).ok_or_else(|| {
                ["unknown user \"", u, "\" (--user): not in /etc/passwd"].concat()
            })?),
        };
    // Compile once without a vhost to learn the base and catch errors early.
    let probe = policy::compile(
        &parsed,
        &Context {
            user: forced_user.as_ref(),
            web: web.as_ref(),
            chroot: opts.chroot,
            lenient: true,
        },
    )?;
    let mut out = Vec::new();
    match &probe.base {
        Base::Absolute(b) => {
            if !opts.vhosts.is_empty() || opts.all {
                return Err([
                    "policy ",
                    source,
                    " has the absolute base ",
                    b,
                    ": VHOST arguments and --all do not apply",
                ]
                .concat());
            }
            let ctx = Context {
                user: forced_user.as_ref(),
                web: web.as_ref(),
                chroot: opts.chroot,
                lenient: false,
            };
            let pol = policy::compile(&parsed, &ctx).map_err(web_err)?;
            resolve::open_dir(b.as_bytes()).map_err(|r| {
                [
                    "policy ",
                    source,
                    ": base ",
                    &r.text(&mut NameCache::new()),
                    " (the base must be an existing directory; nothing changed)",
                ]
                .concat()
            })?;
            out.push(Target {
                base: b.as_bytes().to_vec(),
                policy: pol,
                open: Opener::Path(b.as_bytes().to_vec()),
            });
        }
        Base::Vhost => {
            let root = opts.root.trim_end_matches('/');
            let root = if root.is_empty() { "/" } else { root };
            let open_root = || {
                resolve::open_dir(root.as_bytes()).map_err(|r| {
                    let hint = if r.why == resolve::Why::Sys(Errno::NOENT) {
                        " (the directory that holds the vhosts: create it, or set the \
                         root option to where they are)"
                    } else {
                        ""
                    };
                    ["--root ", &r.text(&mut NameCache::new()), hint].concat()
                })
            };
            let root_fd = open_root()?;
            let names = if opts.all {
                if !opts.vhosts.is_empty() {
                    return Err("give VHOST names or --all, not both".into());
                }
                let names = list_vhosts(root_fd, root)?;
                if names.is_empty() {
                    err_line(b"chperms: no vhosts under ", &[root.as_bytes(), b" (--all takes directories whose name contains a dot and does not start with one)"]);
                }
                names
            } else if opts.vhosts.is_empty() {
                return Err("name a VHOST (a directory under --root, e.g. 'chperms goldcoast.org') or pass --all; see 'chperms --help'".into());
            } else {
                opts.vhosts.clone()
            };
            for v in &names {
                if v.is_empty() || v.contains('/') || v == "." || v == ".." {
                    return Err([
                        "\"",
                        v,
                        "\" is not a vhost name (one directory name under ",
                        root,
                        ")",
                    ]
                    .concat());
                }
                let name = CString::new(v.as_str())
                    .map_err(|_| ["bad vhost name \"", v, "\""].concat())?;
                let display = if root == "/" {
                    ["/", v].concat()
                } else {
                    [root, "/", v].concat()
                };
                let rfd = open_root()?;
                let vfd =
                    sys::open_dir_at(rustix::fd::AsFd::as_fd(&rfd), &name).map_err(
                        |e| match e {
                            Errno::NOENT => {
                                [&display, ": no such vhost directory (nothing changed)"].concat()
                            }
                            Errno::NOTDIR | Errno::LOOP => [
                                &display,
                                ": not a directory (a symlink or file): refused, nothing changed",
                            ]
                            .concat(),
                            e => [&display, ": ", sys::errno_text(e)].concat(),
                        },
                    )?;
                let user = match &forced_user {
                    Some(u) => u.clone(),
                    None => discover_user(&display, &vfd).ok_or_else(|| {
                        ["cannot determine the user of vhost ", v, ": pass --user"].concat()
                    })?,
                };
                let ctx = Context {
                    user: Some(&user),
                    web: web.as_ref(),
                    chroot: opts.chroot,
                    lenient: false,
                };
                let pol = policy::compile(&parsed, &ctx).map_err(web_err)?;
                out.push(Target {
                    base: display.into_bytes(),
                    policy: pol,
                    open: Opener::Vhost {
                        root: root.as_bytes().to_vec(),
                        name,
                    },
                });
            }
        }
    }
    Ok(out)
}

/// A user by name or number.
fn lookup_user(s: &str) -> Option<users::User> {
    users::user_by_name(s).or_else(|| s.parse::<u32>().ok().and_then(users::user_by_uid))
}

/// SPEC §3: the passwd entry whose home is the vhost, else the vhost's owner
/// when its uid is at least 1000.
fn discover_user(display: &str, vfd: &OwnedFd) -> Option<users::User> {
    if let Some(u) = users::user_by_home(display.as_bytes()) {
        return Some(u);
    }
    let m = sys::fstat(vfd).ok()?;
    if m.uid >= 1000 {
        return users::user_by_uid(m.uid);
    }
    None
}

/// The vhosts under `root` for `--all`: directories whose name contains a
/// dot and does not start with one, sorted. (The monitor lists them again
/// at each interval.)
pub(crate) fn list_vhosts(root_fd: OwnedFd, root: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let probe = rustix::io::dup(&root_fd).map_err(|e| [root, ": ", sys::errno_text(e)].concat())?;
    let mut ds = DirStream::new(root_fd);
    while let Some(e) = ds.next_entry() {
        let e = e.map_err(|e| [root, ": cannot list: ", sys::errno_text(e)].concat())?;
        let Ok(n) = e.name.to_str() else { continue };
        if n.starts_with('.') || !n.contains('.') {
            continue;
        }
        let is_dir = match e.kind {
            Kind::Dir => true,
            Kind::Unknown => sys::stat_at(rustix::fd::AsFd::as_fd(&probe), e.name)
                .map(|m| m.kind() == Kind::Dir)
                .unwrap_or(false),
            _ => false,
        };
        if is_dir {
            if names.len() >= MAX_VHOSTS {
                return Err(format!("{root}: more than {MAX_VHOSTS} vhosts"));
            }
            names.push(n.to_string());
        }
    }
    names.sort_unstable(); // directory names are unique: same order, less code
    Ok(names)
}
