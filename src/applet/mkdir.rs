//! `chperms mkdir` — being written (placeholder replaced by its applet).

/// Runs `chperms mkdir`.
pub fn main(_args: &[&str]) -> i32 {
    eprintln!("chperms mkdir: not built yet");
    1
}
