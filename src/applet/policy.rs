//! `chperms policy` / `check` — being written.

/// Runs `chperms policy` or `chperms check`.
pub fn main(_args: &[&str]) -> i32 {
    eprintln!("chperms: policy not built yet");
    1
}
