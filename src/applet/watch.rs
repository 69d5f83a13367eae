//! `chperms watch` — being written (placeholder replaced by its applet).

/// Runs `chperms watch`.
pub fn main(_args: &[&str]) -> i32 {
    eprintln!("chperms watch: not built yet");
    1
}
