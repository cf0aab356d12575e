//! The disk image behind the blk module: opened once, then read and written
//! with one pread/pwrite per request straight between the file and guest
//! memory, as volatile I/O on the monitor's `VolatileSlice`s (no bounce
//! buffer; more calls only after a short transfer or EINTR).

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::io::AsRawFd;

use vm_memory::VolatileSlice;

use super::blk_req::Geometry;
use crate::monitor::guest_io;

/// How a transfer failed.
#[derive(Debug)]
pub enum IoFail {
    /// The file ended before the request did (it shrank while running).
    Eof { done: usize },
    /// The system call failed (EIO, ENOSPC, EROFS, EFAULT, ...).
    Os(io::Error),
}

/// An open disk image and the geometry the guest was given at start-up.
#[derive(Debug)]
pub struct Disk {
    file: File,
    geometry: Geometry,
}

impl Disk {
    /// Open `path` read-write (as upstream: a read-only image is refused)
    /// and size it from its length.
    pub fn open(path: &OsStr) -> io::Result<Disk> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Disk::from_file(file, true)
    }

    /// A disk over an already open file; `rw` is what BLKINFO reports.
    pub fn from_file(file: File, rw: bool) -> io::Result<Disk> {
        // Upstream sizes the disk with lseek(SEEK_END); so do we (block
        // devices report their size this way too, where fstat says 0).
        // SAFETY: lseek on a descriptor we own; no memory is involved.
        let end = unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_END) };
        if end < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Disk {
            geometry: Geometry::for_size(end as u64, rw),
            file,
        })
    }

    /// A disk over `file` with a geometry of the caller's choosing (a
    /// device or special file whose length lseek cannot tell; tests).
    pub fn with_geometry(file: File, geometry: Geometry) -> Disk {
        Disk { file, geometry }
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// Current size of the image file (only asked after a short read).
    pub fn current_len(&self) -> io::Result<u64> {
        self.file.metadata().map(|m| m.len())
    }

    /// Read all of `buf` from the image at `off`, straight into guest
    /// memory: one pread(2) per call, more only after a short read or EINTR.
    pub fn read_into(&self, buf: &VolatileSlice<'_>, off: u64) -> Result<(), IoFail> {
        let mut done = 0usize;
        while done < buf.len() {
            let rest = buf
                .offset(done)
                .map_err(|_| IoFail::Os(io::Error::from(io::ErrorKind::InvalidInput)))?;
            match guest_io::pread(self.file.as_raw_fd(), &rest, off + done as u64) {
                Ok(0) => return Err(IoFail::Eof { done }),
                Ok(n) => done += n.min(rest.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(IoFail::Os(e)),
            }
        }
        Ok(())
    }

    /// Write all of `buf` to the image at `off`, straight from guest
    /// memory: one pwrite(2) per call, more only after a short write or
    /// EINTR.
    pub fn write_from(&self, buf: &VolatileSlice<'_>, off: u64) -> Result<(), IoFail> {
        let mut done = 0usize;
        while done < buf.len() {
            let rest = buf
                .offset(done)
                .map_err(|_| IoFail::Os(io::Error::from(io::ErrorKind::InvalidInput)))?;
            match guest_io::pwrite(self.file.as_raw_fd(), &rest, off + done as u64) {
                Ok(0) => return Err(IoFail::Os(io::Error::from(io::ErrorKind::WriteZero))),
                Ok(n) => done += n.min(rest.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(IoFail::Os(e)),
            }
        }
        Ok(())
    }
}
