//! chperms as a library: every module of the binary, so that fuzz targets
//! and tests can drive the parsers directly. `src/main.rs` is the thin
//! binary (dispatch and the global allocator).
//!
//! Map: [`sys`] owns every filesystem syscall, [`resolve`] opens
//! operator-given paths without trusting user-placed symlinks, [`budget`]
//! holds every fixed limit, [`users`] reads `/etc/passwd` and `/etc/group`,
//! [`policy`] parses and validates policy files, [`mode`] parses chmod-style
//! mode arguments, [`model`] is the built-in NetServa policy, [`walk`]
//! applies a policy to a tree, [`output`] prints
//! findings, [`metrics`] writes them for Prometheus, [`heap`] is the memory allocator, [`applet`] holds one module
//! per command.

pub mod alert;
pub mod applet;
pub mod budget;
pub mod fmt_quote;
pub mod fmt_time;
pub mod glob;
pub mod heap;
pub mod metrics;
pub mod mode;
pub mod model;
pub mod output;
pub mod policy;
pub mod procs;
pub mod resolve;
pub mod sys;
pub mod syslog;
pub mod users;
pub mod walk;
