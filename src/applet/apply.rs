//! `chperms apply` / `check` — being written.

/// Runs `chperms apply` or `chperms check`.
pub fn main(_cmd: &str, _args: &[&str]) -> i32 {
    eprintln!("chperms: apply not built yet");
    1
}
