//! The kernel's fixed malloc threshold (src/memory.rs), seen in malloc's own counters: a large
//! buffer freed does not make the next one come from the heap. Alone in its file so that no
//! other test allocates beside it.
#![allow(unsafe_code)]

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn mapped_blocks() -> usize {
    // SAFETY: mallinfo2 only reads malloc's statistics.
    unsafe { libc::mallinfo2() }.hblks
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_large_buffer_freed_leaves_the_next_one_in_its_own_mapping() {
    assert!(kbase_spark_sql_kernel::memory::fix_malloc_threshold());
    // With glibc's default, freeing this 4 MiB mapping raises the threshold to 4 MiB...
    let big = std::hint::black_box(vec![1u8; 4 << 20]);
    drop(big);
    let before = mapped_blocks();
    // ...and this 1 MiB buffer would come from the heap, which keeps it when freed.
    let next = std::hint::black_box(vec![1u8; 1 << 20]);
    let during = mapped_blocks();
    drop(next);
    assert_eq!(during, before + 1, "a 1 MiB buffer should have a mapping of its own");
}
