//! `chperms stat` — being written (placeholder replaced by its applet).

/// Runs `chperms stat`.
pub fn main(_args: &[&str]) -> i32 {
    eprintln!("chperms stat: not built yet");
    1
}
