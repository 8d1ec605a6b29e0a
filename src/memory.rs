//! Keeps the kernel's memory flat while it streams a large result. A `%export` allocates and
//! frees megabyte-sized buffers (Arrow batches, HTTP/2 frames, Parquet pages) on several
//! threads; glibc's malloc raises its mmap threshold each time such a buffer is freed, so
//! later ones come from the heap, which then fragments: the resident size grew by about
//! 9 MiB per million rows exported while the live heap stayed near 27 MiB (measured with
//! heaptrack). A fixed threshold keeps large buffers in their own mappings, returned to the
//! system when freed. glibc reads it only from the environment at start, so the kernel
//! starts itself again, once, with `GLIBC_TUNABLES` set (same process id, same arguments).

/// Large allocations (from 256 KiB) get their own mapping, freed back to the system.
const TUNABLE: &str = "glibc.malloc.mmap_threshold=262144";

/// Restarts the process with the tunable set, unless it is set already or cannot be set
/// (then the kernel simply runs as it is). Returns only when no restart happened.
pub fn fix_malloc_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        if current.contains("glibc.malloc.mmap_threshold") {
            return;
        }
        let Ok(exe) = std::env::current_exe() else { return };
        let tunables = if current.is_empty() {
            TUNABLE.to_string()
        } else {
            format!("{current}:{TUNABLE}")
        };
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", tunables)
            .exec();
        tracing::debug!("could not restart with a fixed malloc threshold: {error}");
    }
}
