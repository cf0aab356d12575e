//! The BLKINFO, BLKWRITE and BLKREAD hypercalls over a [`Disk`]: every
//! request is validated before any byte moves; a request the disk cannot
//! serve gets `ret = -1`, never an assertion.

use std::cell::Cell;

use super::access::{data_buffer, Request};
use super::disk::{Disk, IoFail};
use super::Fatal;
use crate::abi::{ukvm_blkinfo, ukvm_blkread, ukvm_blkwrite, ukvm_gpa_t};
use crate::diag;
use crate::monitor::GuestMem;

/// The blk module's state: the disk and its name. Guest memory, and the
/// protections it is checked against, are the monitor's.
#[derive(Debug)]
pub struct Blk {
    pub disk: Disk,
    /// The image name for messages.
    pub name: String,
    shrink_reported: Cell<bool>,
}

impl Blk {
    pub fn new(disk: Disk, name: String) -> Blk {
        Blk {
            disk,
            name,
            shrink_reported: Cell::new(false),
        }
    }

    /// BLKINFO: sector size, sector count and writability.
    pub fn info(&self, mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let info = Request::<ukvm_blkinfo>::read(mem, gpa, "blk")?;
        let g = self.disk.geometry();
        info.store(|r| &r.sector_size, g.sector_size as _)?;
        info.store(|r| &r.num_sectors, g.num_sectors as _)?;
        info.store(|r| &r.rw, g.rw as _)?;
        Ok(())
    }

    /// BLKWRITE: `len` guest bytes at `data` to the disk at `sector`.
    pub fn write(&self, mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let wr = Request::<ukvm_blkwrite>::read(mem, gpa, "blk")?;
        let ret = self.do_write(mem, wr.v.sector as u64, wr.v.data, wr.v.len as u64)?;
        wr.store(|r| &r.ret, ret)
    }

    /// BLKREAD: `len` bytes from the disk at `sector` into guest `data`.
    /// Only `ret` is stored, after the read (as upstream: `len` is left as
    /// the guest wrote it or as the data read left it).
    pub fn read(&self, mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let rd = Request::<ukvm_blkread>::read(mem, gpa, "blk")?;
        let ret = self.do_read(mem, rd.v.sector as u64, rd.v.data, rd.v.len as u64)?;
        rd.store(|r| &r.ret, ret)
    }

    fn do_write(
        &self,
        mem: &GuestMem,
        sector: u64,
        data: ukvm_gpa_t,
        len: u64,
    ) -> Result<i32, Fatal> {
        let g = self.disk.geometry();
        let Some(pos) = g.span(sector, len) else {
            return Ok(-1);
        };
        if !g.rw {
            return Ok(-1);
        }
        // On the disk, so len <= i64::MAX; the buffer must be guest memory
        // (upstream's check, fatal) that the monitor may read.
        let Ok(len) = usize::try_from(len) else {
            return Ok(-1);
        };
        let Some(buf) = data_buffer(mem.readable(data, len))? else {
            return Ok(-1);
        };
        match self.disk.write_from(&buf, pos) {
            Ok(()) => Ok(0),
            Err(_) => Ok(-1),
        }
    }

    fn do_read(
        &self,
        mem: &GuestMem,
        sector: u64,
        data: ukvm_gpa_t,
        len: u64,
    ) -> Result<i32, Fatal> {
        let g = self.disk.geometry();
        let Some(pos) = g.span(sector, len) else {
            return Ok(-1);
        };
        let Ok(len) = usize::try_from(len) else {
            return Ok(-1);
        };
        let Some(buf) = data_buffer(mem.writable(data, len))? else {
            return Ok(-1);
        };
        match self.disk.read_into(&buf, pos) {
            Ok(()) => Ok(0),
            Err(IoFail::Eof { done }) => {
                self.report_shrink(pos + done as u64);
                Ok(-1)
            }
            Err(IoFail::Os(_)) => Ok(-1),
        }
    }

    /// Say once, on stderr, that the image is shorter than at start-up.
    fn report_shrink(&self, at: u64) {
        if self.shrink_reported.replace(true) {
            return;
        }
        let now = self
            .disk
            .current_len()
            .map_or("unknown".into(), |n| format!("{n} bytes"));
        diag::warn(&format!(
            "blk: disk image {} ended at byte {at} (now {now}, {} bytes at start-up); reads past its end fail",
            self.name,
            self.disk.geometry().capacity()
        ));
    }
}
