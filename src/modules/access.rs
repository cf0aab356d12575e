//! A guest's request struct, read once through the monitor's checked guest
//! memory, and answered by storing only its out fields, as upstream does.

use std::mem::size_of;

use vm_memory::ByteValued;

use super::Fatal;
use crate::abi::ukvm_gpa_t;
use crate::monitor::{GuestMem, MemError};

/// A guest's request struct, read once; its out fields are stored one by
/// one, as upstream stores them, never the whole struct: a read whose data
/// buffer overlaps the request would otherwise get the request's stale
/// bytes back over the data just read.
pub struct Request<'m, T: ByteValued> {
    mem: &'m GuestMem,
    gpa: ukvm_gpa_t,
    /// The request as read (its in fields); answer with [`store`](Self::store).
    pub v: T,
}

impl<'m, T: ByteValued> Request<'m, T> {
    /// Read the `T` at `gpa`: it must be guest memory (upstream's check and
    /// exit) that the monitor may read and write (else it could not store
    /// the answer: `what` names the module in the message).
    #[track_caller]
    pub fn read(mem: &'m GuestMem, gpa: ukvm_gpa_t, what: &'static str) -> Result<Self, Fatal> {
        let size = size_of::<T>();
        mem.check(gpa, size)?;
        if !mem.can_read(gpa, size) || !mem.can_write(gpa, size) {
            return Err(Fatal::ReadOnlyRequest { what, gpa, size });
        }
        let v = mem.read_obj::<T>(gpa)?;
        Ok(Request { mem, gpa, v })
    }

    /// Store `value` into the one field of the guest's struct that `field`
    /// picks from [`v`](Self::v) (`|r| &r.ret`), leaving every other byte
    /// of the struct as it is in guest memory now.
    #[track_caller]
    pub fn store<F: ByteValued>(&self, field: fn(&T) -> &F, value: F) -> Result<(), Fatal> {
        let offset =
            (field(&self.v) as *const F as usize).wrapping_sub(&self.v as *const T as usize);
        assert!(
            offset
                .checked_add(size_of::<F>())
                .is_some_and(|end| end <= size_of::<T>()),
            "Request::store: the selector must pick a field of the request"
        );
        // Inside the struct that `read` found readable and writable.
        self.mem.write_obj(self.gpa + offset as u64, value)?;
        Ok(())
    }
}

/// A request's data buffer (`GuestMem::readable` or `writable`):
/// `Ok(None)` when the monitor's protections refuse it (the guest gets
/// `ret = -1`), a range error when it is not guest memory (upstream's
/// exit).
#[track_caller]
pub fn data_buffer<S>(r: Result<S, MemError>) -> Result<Option<S>, Fatal> {
    match r {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.is_protection() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::protect::Protection;
    use crate::monitor::Protections;

    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Req {
        input: u64,
        len: u64,
        ret: i32,
        pad: u32,
    }
    // SAFETY: plain integers, no padding (`pad` spells it out), valid for
    // any bits.
    unsafe impl ByteValued for Req {}

    fn mem() -> GuestMem {
        GuestMem::anonymous(0x10000).unwrap()
    }

    fn bytes(mem: &GuestMem, gpa: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        mem.readable(gpa, len).unwrap().copy_to(&mut v[..]);
        v
    }

    #[test]
    fn store_writes_only_the_chosen_field() {
        let mem = mem();
        mem.writable(0, 64).unwrap().copy_from(&[0xaau8; 64]);
        let req = Req {
            input: 1,
            len: 2,
            ret: 3,
            pad: 4,
        };
        mem.write_obj(3, req).unwrap();
        let r = Request::<Req>::read(&mem, 3, "t").unwrap();
        assert_eq!((r.v.input, r.v.len, r.v.ret), (1, 2, 3));
        // Guest bytes change after the read (as a read into the request
        // itself changes them): only the stored field is written back.
        mem.write_obj::<u64>(3, 0x1111).unwrap();
        mem.write_obj::<u64>(11, 0x2222).unwrap();
        r.store(|q| &q.ret, -1).unwrap();
        let now: Req = mem.read_obj(3).unwrap();
        assert_eq!(
            (now.input, now.len, now.ret, now.pad),
            (0x1111, 0x2222, -1, 4)
        );
        r.store(|q| &q.len, 7).unwrap();
        assert_eq!(mem.read_obj::<Req>(3).unwrap().len, 7);
        let all = bytes(&mem, 0, 64);
        assert_eq!(&all[..3], &[0xaa; 3], "nothing before the struct");
        assert!(
            all[3 + size_of::<Req>()..].iter().all(|&b| b == 0xaa),
            "nothing after it"
        );
    }

    #[test]
    #[should_panic(expected = "must pick a field")]
    fn store_refuses_a_selector_outside_the_struct() {
        static ELSEWHERE: i32 = 0;
        let mem = mem();
        let r = Request::<Req>::read(&mem, 0, "t").unwrap();
        let _ = r.store(|_| &ELSEWHERE, 1);
    }

    #[test]
    fn requests_outside_memory_or_in_protected_memory_are_fatal() {
        let mem = mem();
        // The snapshot says 0x1000..0x2000 is read-only (as a kernel's text).
        mem.set_protections(Protections::from_runs(&[Protection {
            index: 0,
            start: 0x1000,
            len: 0x1000,
            prot: libc::PROT_READ | libc::PROT_EXEC,
        }]));
        match Request::<Req>::read(&mem, 0x10000 - 8, "t") {
            Err(Fatal::Range(e, at)) => {
                assert_eq!((e.gpa, e.size), (0x10000 - 8, size_of::<Req>()));
                assert!(at.file().ends_with("access.rs"), "{at}");
            }
            other => panic!("{:?}", other.map(|r| r.gpa)),
        }
        for gpa in [0x1000, 0x1000 - 8, 0x2000 - 8] {
            match Request::<Req>::read(&mem, gpa, "t") {
                Err(Fatal::ReadOnlyRequest {
                    what: "t",
                    gpa: g,
                    size,
                }) => {
                    assert_eq!((g, size), (gpa, size_of::<Req>()))
                }
                other => panic!("{gpa:#x}: {:?}", other.map(|r| r.gpa)),
            }
        }
        assert!(
            Request::<Req>::read(&mem, 0x2000, "t").is_ok(),
            "right after it"
        );
    }

    #[test]
    fn fatal_messages_are_upstreams_and_ours() {
        let mem = mem();
        let e = Request::<Req>::read(&mem, u64::MAX, "t").err().unwrap();
        let msg = crate::error::Fatal::from(e).to_string();
        assert!(
            msg.contains("src/modules/access.rs:")
                && msg.ends_with(": Invalid guest access: gpa=0xffffffffffffffff, sz=24"),
            "{msg}"
        );
        let ro = Fatal::ReadOnlyRequest {
            what: "blk",
            gpa: 0x10000,
            size: 24,
        };
        assert_eq!(
            ro.to_string(),
            "blk: guest request at gpa=0x10000, sz=24 is in read-only guest memory"
        );
    }
}
