//! `chperms find` — being written (placeholder replaced by its applet).

/// Runs `chperms find`.
pub fn main(_args: &[&str]) -> i32 {
    eprintln!("chperms find: not built yet");
    1
}
