//! A buffered file that counts the bytes written through it, so an export's progress can
//! say how much it has written while it runs.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How far an export has got, readable while it runs.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) rows: AtomicU64,
    pub(crate) bytes: AtomicU64,
}

pub(crate) struct CountingFile {
    inner: BufWriter<File>,
    counters: Option<Arc<Counters>>,
}

impl CountingFile {
    /// Writes to `file` through a buffer.
    pub(crate) fn new(file: File) -> CountingFile {
        CountingFile {
            inner: BufWriter::with_capacity(1 << 20, file),
            counters: None,
        }
    }

    pub(crate) fn counting(mut self, counters: Arc<Counters>) -> CountingFile {
        self.counters = Some(counters);
        self
    }

    /// Flushes and syncs the file to disk.
    pub(crate) fn close(mut self) -> io::Result<()> {
        self.inner.flush()?;
        self.inner.get_ref().sync_all()
    }
}

impl Write for CountingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(c) = &self.counters {
            c.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
