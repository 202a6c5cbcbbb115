//! How the C allocator treats the large buffers a flood passes along (pipe reads, output
//! batches, rows being written), settled before any thread starts.

/// Buffers up to this size come from the heap and are reused there; left to itself, glibc maps
/// each quarter- and half-megabyte buffer afresh, and every one of its pages is faulted in and
/// zeroed by the kernel: a tenth of a 200 MB flood's time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 4 * 1024 * 1024;
/// Free heap kept rather than given back at once, so the next buffers find it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 32 * 1024 * 1024;

/// One heap for every thread: a buffer is read on one thread and freed on another, and with an
/// arena per thread each would keep its own freed megabytes (55 to 74 MB at the peak, against 38 to 40).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune() {
    // SAFETY: mallopt only sets the allocator's parameters; it is called before any thread
    // exists, and a value it refuses leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

/// Other allocators decide for themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}
