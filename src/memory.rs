//! Keeps the kernel's memory flat while it streams a large result. A `%export` allocates and
//! frees megabyte-sized buffers (Arrow batches, HTTP/2 frames, Parquet pages) on several
//! threads; glibc's malloc raises its mmap threshold each time such a buffer is freed, so
//! later ones come from the heap, which then fragments: the resident size grew by about
//! 9 MiB per million rows exported while the live heap stayed near 27 MiB (measured with
//! heaptrack). A fixed threshold keeps large buffers in their own mappings, returned to the
//! system when freed. It is set with `mallopt` as the first thing the kernel does, before any
//! other thread exists: the same setting `GLIBC_TUNABLES` would give, without starting the
//! process again (which delayed binding the kernel's sockets past a client's first connect).

/// Large allocations (from 256 KiB) get their own mapping, freed back to the system.
pub const MMAP_THRESHOLD: usize = 256 * 1024;

/// Fixes malloc's mmap threshold at [`MMAP_THRESHOLD`] (glibc only; elsewhere nothing to do).
/// Returns whether it was set.
pub fn fix_malloc_threshold() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes malloc's parameters; glibc takes its own lock.
        #[allow(unsafe_code)]
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, threshold) };
        set == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
