//! System calls between a file descriptor and guest memory, through the
//! `VolatileSlice`s that `GuestMem` hands out: one `read`/`write`/`pread`/
//! `pwrite` each (the caller loops over short transfers and EINTR), plus
//! `write_all` for the console. Guest bytes never become a Rust slice.

use std::io;
use std::os::fd::RawFd;

use vm_memory::VolatileSlice;

fn result(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// One read(2) from `fd` into `buf`: the number of bytes read.
pub fn read(fd: RawFd, buf: &VolatileSlice<'_>) -> io::Result<usize> {
    let p = buf.ptr_guard_mut();
    // SAFETY: `buf` is `buf.len()` bytes of live guest memory that the host
    // may write (GuestMem checked it); the kernel writes at most that many.
    result(unsafe { libc::read(fd, p.as_ptr().cast(), buf.len()) })
}

/// One write(2) of `buf` to `fd`: the number of bytes written.
pub fn write(fd: RawFd, buf: &VolatileSlice<'_>) -> io::Result<usize> {
    let p = buf.ptr_guard();
    // SAFETY: `buf` is `buf.len()` bytes of live guest memory that the host
    // may read (GuestMem checked it); the kernel only reads them.
    result(unsafe { libc::write(fd, p.as_ptr().cast(), buf.len()) })
}

/// One pread(2) from `fd` at `offset` into `buf`.
pub fn pread(fd: RawFd, buf: &VolatileSlice<'_>, offset: u64) -> io::Result<usize> {
    let off =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let p = buf.ptr_guard_mut();
    // SAFETY: as in `read`.
    result(unsafe { libc::pread(fd, p.as_ptr().cast(), buf.len(), off) })
}

/// One pwrite(2) of `buf` to `fd` at `offset`.
pub fn pwrite(fd: RawFd, buf: &VolatileSlice<'_>, offset: u64) -> io::Result<usize> {
    let off =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let p = buf.ptr_guard();
    // SAFETY: as in `write`.
    result(unsafe { libc::pwrite(fd, p.as_ptr().cast(), buf.len(), off) })
}

/// Write all of `buf` with `write_some` (one system call each), retrying
/// short writes and EINTR; a call that writes nothing is an error.
pub fn write_all(
    buf: &VolatileSlice<'_>,
    mut write_some: impl FnMut(&VolatileSlice<'_>) -> io::Result<usize>,
) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = buf
            .offset(done)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        match write_some(&rest) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => done += n.min(rest.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::GuestMem;

    fn pipe() -> (RawFd, RawFd) {
        let mut p = [0; 2];
        // SAFETY: pipe writes two fds into the array.
        assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
        (p[0], p[1])
    }

    fn close(fd: RawFd) {
        // SAFETY: closing a descriptor this test opened.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn pipe_round_trip_through_guest_memory() {
        let mem = GuestMem::anonymous(64 << 10).unwrap();
        mem.writable(0x100, 5).unwrap().copy_from(b"hello");
        let (r, w) = pipe();
        assert_eq!(write(w, &mem.readable(0x100, 5).unwrap()).unwrap(), 5);
        assert_eq!(read(r, &mem.writable(0x200, 16).unwrap()).unwrap(), 5);
        assert_eq!(mem.read_obj::<[u8; 5]>(0x200).unwrap(), *b"hello");
        close(r);
        close(w);
    }

    #[test]
    fn positional_io_on_a_file() {
        let mem = GuestMem::anonymous(64 << 10).unwrap();
        let f = std::env::temp_dir().join(format!("ukvm-guest-io-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&f)
            .unwrap();
        use std::os::fd::AsRawFd;
        mem.writable(0, 4).unwrap().copy_from(b"abcd");
        assert_eq!(
            pwrite(file.as_raw_fd(), &mem.readable(0, 4).unwrap(), 10).unwrap(),
            4
        );
        assert_eq!(
            pread(file.as_raw_fd(), &mem.writable(0x40, 4).unwrap(), 10).unwrap(),
            4
        );
        assert_eq!(mem.read_obj::<[u8; 4]>(0x40).unwrap(), *b"abcd");
        assert_eq!(std::fs::read(&f).unwrap()[10..], *b"abcd");
        let e = pread(file.as_raw_fd(), &mem.writable(0, 4).unwrap(), u64::MAX).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
        std::fs::remove_file(&f).unwrap();
    }

    #[test]
    fn write_all_retries_short_writes_and_eintr() {
        let mem = GuestMem::anonymous(64 << 10).unwrap();
        mem.writable(0, 10).unwrap().copy_from(b"0123456789");
        let mut got = Vec::new();
        let mut calls = 0;
        write_all(&mem.readable(0, 10).unwrap(), |s| {
            calls += 1;
            if calls == 2 {
                return Err(io::Error::from_raw_os_error(libc::EINTR));
            }
            let mut b = [0u8; 3];
            let n = s.copy_to(&mut b[..]);
            got.extend_from_slice(&b[..n]);
            Ok(n)
        })
        .unwrap();
        assert_eq!(got, b"0123456789");
        assert_eq!(calls, 5, "3+3+3+1 bytes and one EINTR");
        let e = write_all(&mem.readable(0, 10).unwrap(), |_| Ok(0)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
    }
}
