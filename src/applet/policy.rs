//! `chperms policy show|check` — print or validate the effective policy.
//!
//! ```text
//! chperms policy show                       the built-in NetServa model, as a policy file
//! chperms policy show goldcoast.org         the model compiled for that vhost (names resolved)
//! chperms policy show --policy app.json     a policy file as chperms reads it
//! chperms policy check --policy app.json    validate; exit 0 valid, 1 invalid; changes nothing
//! ```
//! In the compiled view every rule carries `"comment": "rule N"`: N is the
//! index reported as `"rule"` in `check --format json` findings.

use super::apply::{resolve, TreeOpts};
use crate::fmt_quote::err_line;
use crate::model::NETSERVA_JSON;
use crate::policy;
use argh::FromArgs;
use std::fmt::Write;

#[derive(FromArgs)]
/// Print (show) or validate (check) the effective policy. Rules are read in
/// order; a later rule overrides an earlier one field by field.
#[argh(
    example = "Copy the built-in model to adapt it:\n  $ chperms policy show > /etc/chperms/vhost.json",
    example = "What the model means for one vhost, names resolved:\n  $ chperms policy show goldcoast.org",
    example = "Validate a policy file before deploying it:\n  $ chperms policy check --policy /etc/chperms/app.json",
    note = "Exit status: 0 valid, 1 invalid (the message names the file and the rule)."
)]
struct Args {
    /// show or check
    #[argh(positional)]
    action: String,
    /// optional vhosts under --root to compile the policy for
    #[argh(positional)]
    vhosts: Vec<String>,
    /// a policy file (JSON) instead of the built-in NetServa model
    #[argh(option)]
    policy: Option<String>,
    /// the directory holding vhosts (default /srv)
    // Defaults applied in main, not by argh: smaller parser, same --help.
    #[argh(option)]
    root: Option<String>,
    /// the vhost user, overriding discovery
    #[argh(option)]
    user: Option<String>,
    /// the web server's group (default www-data)
    // Default applied in main, as for --root.
    #[argh(option)]
    web_group: Option<String>,
    /// the legacy chroot variant
    #[argh(switch)]
    chroot: bool,
}

/// Runs `chperms policy`.
pub fn main(args: &[&str]) -> i32 {
    let a = match Args::from_args(&["chperms policy"], args) {
        Ok(a) => a,
        Err(e) => return super::argh_exit("policy", e),
    };
    let show = match a.action.as_str() {
        "show" => true,
        "check" => false,
        other => {
            err_line(
                b"chperms policy: unknown action '",
                &[other.as_bytes(), b"': expected show or check"],
            );
            return 1;
        }
    };
    let opts = TreeOpts {
        vhosts: a.vhosts,
        root: a.root.unwrap_or_else(|| "/srv".into()),
        policy: a.policy,
        user: a.user,
        web_group: a.web_group.unwrap_or_else(|| "www-data".into()),
        chroot: a.chroot,
        ..TreeOpts::default()
    };
    // Everything goes to stdout at the end, in one piece: nothing is printed
    // before all is known to be valid.
    let source = opts.policy.as_deref().unwrap_or("built-in");
    let mut out = String::new();
    let done = if opts.vhosts.is_empty() && show && opts.policy.is_none() {
        // The built-in model as written.
        out.push_str(NETSERVA_JSON);
        Ok(())
    } else if opts.vhosts.is_empty() {
        alone(&opts, source, show, &mut out)
    } else {
        per_vhost(&opts, source, show, &mut out)
    };
    match done {
        Ok(()) => crate::fmt_quote::print_text(out.as_bytes()),
        Err(m) => {
            err_line(b"chperms: ", &[m.as_bytes()]);
            1
        }
    }
}

/// The policy file (or the built-in model) on its own: templates stay
/// unresolved. `source` names the policy in messages.
fn alone(opts: &TreeOpts, source: &str, show: bool, out: &mut String) -> Result<(), String> {
    let text = match &opts.policy {
        Some(p) => policy::load_file(p)?,
        None => NETSERVA_JSON.as_bytes().to_vec(),
    };
    let parsed = policy::parse(&text, source)?;
    let web = crate::users::group_by_name(&opts.web_group);
    let user = opts.user.as_deref().and_then(crate::users::user_by_name);
    let ctx = policy::Context {
        user: user.as_ref(),
        web: web.as_ref(),
        chroot: opts.chroot,
        lenient: true,
    };
    let p = policy::compile(&parsed, &ctx)?;
    if show {
        policy::print(&p, out);
    } else {
        let _ = writeln!(
            out,
            "policy {source}: valid ({} rules, {} process rules)",
            p.rules.len(),
            p.processes.len()
        );
    }
    Ok(())
}

/// The policy compiled for each vhost under `--root`.
fn per_vhost(opts: &TreeOpts, source: &str, show: bool, out: &mut String) -> Result<(), String> {
    for t in &resolve(opts)? {
        let base = String::from_utf8_lossy(&t.base);
        if show {
            let _ = writeln!(out, "// {base}");
            policy::print(&t.policy, out);
        } else {
            let _ = writeln!(
                out,
                "policy {source} for {base}: valid ({} rules apply)",
                t.policy.rules.len()
            );
        }
    }
    Ok(())
}
