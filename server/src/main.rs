//! The `server` binary: the CLI (`serve`, `create-account`, …) on a tokio runtime with one
//! worker thread.

use clap::Parser;

fn main() -> std::process::ExitCode {
    return_large_blocks_to_the_system();
    // One worker: Leptos 0.8's server rendering is not safe on several. Two workers rendering
    // at once can deadlock (leptos-rs/leptos#4673: an effect's lock and an async resource's
    // lock taken in opposite orders; seen here as a server that stopped answering even
    // /healthz); tests/integration/rendering.rs hung so on four workers. Password hashing
    // and SQLite run on threads of their own, so the worker only does the async part.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    runtime.block_on(server::cli::run(server::cli::Cli::parse()))
}

/// Every password hash takes a 19 MiB block (argon2id). glibc serves large blocks with their
/// own mapping only until the first one is freed: then it raises its threshold and keeps later
/// blocks in the arena of whichever blocking thread hashed, resident after the hash is done.
/// Measured by `./portico.sh bench`: 20 MB after start, 527 MB after 40 logins, never less.
/// A fixed threshold keeps every large block its own mapping, returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: allocator tuning only, called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}
