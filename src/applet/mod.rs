//! One file per command (STYLE rule 1), each with its help text at the top.

pub mod access;
pub mod apply;
pub mod find;
pub mod mkdir;
pub mod policy;
pub mod stat;
pub mod watch;
