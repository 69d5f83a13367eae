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
use crate::model::NETSERVA_JSON;
use crate::policy;
use argh::FromArgs;

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
    #[argh(option, default = "String::from(\"/srv\")")]
    root: String,
    /// the vhost user, overriding discovery
    #[argh(option)]
    user: Option<String>,
    /// the web server's group (default www-data)
    #[argh(option, default = "String::from(\"www-data\")")]
    web_group: String,
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
            eprintln!("chperms policy: unknown action '{other}': expected show or check");
            return 1;
        }
    };
    if show && a.policy.is_none() && a.vhosts.is_empty() {
        print!("{NETSERVA_JSON}");
        return 0;
    }
    let source = a.policy.clone().unwrap_or_else(|| "built-in".into());
    if a.vhosts.is_empty() {
        // Validate the file on its own: templates stay unresolved.
        let text = match &a.policy {
            Some(p) => match policy::load_file(p) {
                Ok(t) => t,
                Err(m) => return fail(&m),
            },
            None => NETSERVA_JSON.as_bytes().to_vec(),
        };
        let parsed = match policy::parse(&text, &source) {
            Ok(p) => p,
            Err(m) => return fail(&m),
        };
        let ctx = policy::Context {
            user: None,
            web: None,
            chroot: a.chroot,
            lenient: true,
        };
        let web = crate::users::group_by_name(&a.web_group);
        let user = a.user.as_deref().and_then(crate::users::user_by_name);
        let ctx = policy::Context {
            user: user.as_ref(),
            web: web.as_ref(),
            ..ctx
        };
        return match policy::compile(&parsed, &ctx) {
            Ok(p) => {
                if show {
                    let mut out = String::new();
                    policy::print(&p, &mut out);
                    print!("{out}");
                } else {
                    println!(
                        "policy {source}: valid ({} rules, {} process rules)",
                        p.rules.len(),
                        p.processes.len()
                    );
                }
                0
            }
            Err(m) => fail(&m),
        };
    }
    let opts = TreeOpts {
        vhosts: a.vhosts,
        root: a.root,
        policy: a.policy,
        user: a.user,
        web_group: a.web_group,
        chroot: a.chroot,
        ..TreeOpts::default()
    };
    match resolve(&opts) {
        Ok(targets) => {
            for t in &targets {
                if show {
                    let mut out = String::new();
                    policy::print(&t.policy, &mut out);
                    println!("// {}", String::from_utf8_lossy(&t.base));
                    print!("{out}");
                } else {
                    println!(
                        "policy {source} for {}: valid ({} rules apply)",
                        String::from_utf8_lossy(&t.base),
                        t.policy.rules.len()
                    );
                }
            }
            0
        }
        Err(m) => fail(&m),
    }
}

fn fail(msg: &str) -> i32 {
    eprintln!("chperms: {msg}");
    1
}
