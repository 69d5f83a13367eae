//! `chperms access` — being written (placeholder replaced by its applet).

/// Runs `chperms access`.
pub fn main(_args: &[&str]) -> i32 {
    eprintln!("chperms access: not built yet");
    1
}
