//! chperms — placeholder while the foundation is written.
fn main() {
    println!("chperms {}", env!("CARGO_PKG_VERSION"));
}
