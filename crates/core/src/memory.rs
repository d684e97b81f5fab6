//! Keeping the process's memory flat on glibc.
//!
//! glibc gives each thread that allocates its own malloc arena (up to eight per core), and
//! memory freed into one arena is not reused by another. Uploads read files on tokio's blocking
//! threads, so over a long upload the peak RSS crept up with the file size although Ferry's own
//! buffers are bounded (measured: 29 MiB at 1 GiB, 36.5 MiB at 10 GiB). Two arenas make it flat
//! (24.7 MiB at 1 GiB, 25.8 MiB at 4 GiB) at no measurable cost in throughput. The desktop app
//! calls it too: its UI process runs the same uploads, next to GTK's and WebKit's threads.

/// Cap malloc arenas. Call first thing in `main`, before other threads start.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn limit_arenas() {
    // SAFETY: mallopt only adjusts allocator tuning parameters; M_ARENA_MAX with a positive
    // value is always valid, and it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}
