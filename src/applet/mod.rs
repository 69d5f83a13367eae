//! One file per command (STYLE rule 1), each with its help text at the top.

pub mod access;
pub mod apply;
pub mod find;
pub mod mkdir;
pub mod policy;
pub mod stat;
pub mod watch;

/// Ends an applet whose options argh could not parse, or that was asked for
/// `--help`: help goes to stdout (exit 0); a usage error is one line on
/// stderr naming the problem and where to look (exit 1).
pub fn argh_exit(cmd: &str, e: argh::EarlyExit) -> i32 {
    match e.status {
        Ok(()) => {
            let mut help = e.output;
            if !help.ends_with('\n') {
                help.push('\n');
            }
            crate::fmt_quote::print_text(help.as_bytes())
        }
        Err(()) => {
            let cmd = cmd.as_bytes();
            crate::fmt_quote::err_line(
                b"chperms ",
                &[
                    cmd,
                    b": ",
                    e.output.trim_end().as_bytes(),
                    b" (see 'chperms ",
                    cmd,
                    b" --help')",
                ],
            );
            1
        }
    }
}
