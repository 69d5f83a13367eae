//! The built-in NetServa vhost model (SPEC §3), written as a policy file so
//! that `chperms policy show` prints exactly what `chperms VHOST` applies and
//! an operator can copy and adapt it.
//!
//! Reading order matters: later rules override earlier ones field by field.
//! Deliberate readings of the SPEC table, also stated in the README:
//! - directories below `.rc/bin` and `.rc/www` are `U:U 0700` like their
//!   parents (the table lists only the files there);
//! - sockets are only touched in `web/run`; FIFOs and sockets elsewhere are
//!   left alone;
//! - `*.sh` files anywhere are 0700, including in `msg/` and `.ssh/`;
//! - the uid-1000 (`sysadm`) vhost differs only in `web` being 02750, and
//!   `--chroot` only in the top level of vhosts with uid > 1000.

/// The built-in policy, in the policy file format.
pub const NETSERVA_JSON: &str = r#"{
  "base": "{root}/{vhost}",
  "description": "NetServa 3.0 vhost model: U = the vhost user, W = the web group",
  "rules": [
    {"path": "**", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750",
     "comment": "the top level and any other directory: U:W 02750"},
    {"path": "**", "type": "file", "owner": "{user}", "group": "{web}", "mode": "0640",
     "comment": "any other file: U:W 0640"},
    {"path": ".", "type": "dir", "owner": "root", "group": "root", "mode": "0755", "when": "chroot",
     "comment": "--chroot and uid > 1000: root-owned top level (legacy chroot model)"},
    {"path": ".ssh/**", "type": "dir", "owner": "{user}", "group": "{group}", "mode": "0700"},
    {"path": ".ssh/**", "type": "file", "owner": "{user}", "group": "{group}", "mode": "0600"},
    {"path": ".gnupg/**", "type": "dir", "owner": "{user}", "group": "{group}", "mode": "0700"},
    {"path": ".gnupg/**", "type": "file", "owner": "{user}", "group": "{group}", "mode": "0600"},
    {"path": ".rc", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750"},
    {"path": ".rc/bin/**", "type": "dir", "owner": "{user}", "group": "{group}", "mode": "0700"},
    {"path": ".rc/bin/**", "type": "file", "owner": "{user}", "group": "{group}", "mode": "0700"},
    {"path": ".rc/www/**", "type": "dir", "owner": "{user}", "group": "{group}", "mode": "0700"},
    {"path": ".rc/www/**", "type": "file", "owner": "{user}", "group": "{group}", "mode": "0700"},
    {"path": "msg", "type": "dir", "owner": "{user}", "group": "{group}", "mode": "0750", "create": true},
    {"path": "msg/**", "type": "dir", "owner": "{user}", "group": "{group}", "mode": "0750"},
    {"path": "msg/**", "type": "file", "owner": "{user}", "group": "{group}", "mode": "0640"},
    {"path": "web", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "0755", "create": true},
    {"path": "web", "type": "dir", "mode": "02750", "when": "sysadm",
     "comment": "the admin/mail vhost (uid 1000): web is 02750"},
    {"path": "web/app", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750"},
    {"path": "web/app/public", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750"},
    {"path": "web/app/public/.well-known", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750"},
    {"path": "web/app/public/.well-known/acme-challenge", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750"},
    {"path": "web/log", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02770", "create": true},
    {"path": "web/log/*.log", "type": "file", "owner": "{user}", "group": "{web}", "mode": "0660"},
    {"path": "web/run", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750", "create": true},
    {"path": "web/run/*", "type": "socket", "owner": "{user}", "group": "{web}", "mode": "0660",
     "comment": "PHP-FPM sockets (fpm.sock)"},
    {"path": "web/tmp", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02750", "create": true},
    {"path": "**/*.sh", "type": "file", "mode": "0700",
     "comment": "shell scripts anywhere (owner and group as above): 0700"},
    {"path": "web/app/public/**/configuration.php", "type": "file", "mode": "0400"},
    {"path": "web/app/public/**/wp-config.php", "type": "file", "mode": "0400"},
    {"path": "web/app/public/lib/sh", "type": "dir", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "web/app/public/lib/sh/**", "type": "dir", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "web/app/public/lib/sh/**", "type": "file", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "web/app/public/lib/sh/index.html", "type": "file", "owner": "root", "group": "{web}", "mode": "0640"}
  ],
  "processes": []
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{compile, parse, Context};

    #[test]
    fn the_built_in_model_parses_and_validates() {
        let p = parse(NETSERVA_JSON.as_bytes(), "built-in").expect("parses");
        let ctx = Context {
            user: None,
            web: None,
            chroot: true,
            lenient: true,
        };
        let pol = compile(&p, &ctx).expect("compiles");
        assert!(pol.rules.len() > 30);
    }
}
