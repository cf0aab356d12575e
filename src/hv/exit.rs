//! Why the guest stopped, as data copied out of the vCPU's `struct
//! kvm_run`, and the hypercall an architecture decodes from it.
//!
//! The run area is read through a raw pointer, field by field, once per
//! exit: `hvb->vcpurun` points at the same memory for C modules, so no
//! Rust reference to it is ever made.

/// An MMIO exit (`kvm_run.mmio`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmioAccess {
    pub addr: u64,
    pub is_write: bool,
    /// Access size in bytes (1, 2, 4 or 8).
    pub len: u32,
    /// Stored bytes, little-endian, `len` of them meaningful.
    pub data: [u8; 8],
}

/// A port I/O exit (`kvm_run.io`), with the first bytes of its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortIo {
    pub port: u16,
    pub is_out: bool,
    /// Bytes per access (1, 2 or 4).
    pub size: u8,
    /// Number of accesses (string I/O repeats).
    pub count: u32,
    /// The data at `data_offset`, up to 8 bytes (the rest zero).
    pub data: [u8; 8],
}

/// Why the guest stopped running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// KVM_EXIT_MMIO.
    Mmio(MmioAccess),
    /// KVM_EXIT_IO.
    Io(PortIo),
    /// KVM_EXIT_FAIL_ENTRY with its hardware reason.
    FailEntry { reason: u64 },
    /// KVM_EXIT_INTERNAL_ERROR with its suberror.
    InternalError { suberror: u32 },
    /// Any other exit reason.
    Other { reason: u32 },
}

/// KVM's numbers for the exits above (linux/kvm.h).
pub const KVM_EXIT_IO: u32 = 2;
pub const KVM_EXIT_MMIO: u32 = 6;
pub const KVM_EXIT_FAIL_ENTRY: u32 = 9;
pub const KVM_EXIT_INTERNAL_ERROR: u32 = 17;
/// `kvm_run.io.direction` of an OUT.
pub const KVM_EXIT_IO_OUT: u8 = 1;

impl Exit {
    /// KVM's exit reason number.
    pub fn reason(&self) -> u32 {
        match *self {
            Exit::Mmio(_) => KVM_EXIT_MMIO,
            Exit::Io(_) => KVM_EXIT_IO,
            Exit::FailEntry { .. } => KVM_EXIT_FAIL_ENTRY,
            Exit::InternalError { .. } => KVM_EXIT_INTERNAL_ERROR,
            Exit::Other { reason } => reason,
        }
    }
}

/// A decoded hypercall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hypercall {
    /// Hypercall number; below UKVM_HYPERCALL_MAX.
    pub nr: u64,
    /// The argument: a 32-bit guest physical address.
    pub gpa: u64,
}

#[cfg(target_os = "linux")]
mod read {
    use std::ptr::addr_of;

    use kvm_bindings::kvm_run;

    use super::*;

    /// The exit the run area at `run` (`run_size` bytes, as mapped)
    /// describes, copied out.
    ///
    /// # Safety
    /// `run` must point to `run_size` readable bytes holding a `struct
    /// kvm_run` (at least its size) that nothing writes during the call:
    /// the vCPU is stopped in user space.
    pub unsafe fn read_exit(run: *const kvm_run, run_size: usize) -> Exit {
        // SAFETY: the caller guarantees a readable kvm_run; each read is of
        // one plain field, through a raw pointer (no reference is made).
        unsafe {
            let reason = addr_of!((*run).exit_reason).read();
            let u = addr_of!((*run).__bindgen_anon_1);
            match reason {
                KVM_EXIT_MMIO => {
                    // exit_reason says the mmio member is the live one.
                    let m = addr_of!((*u).mmio).read();
                    Exit::Mmio(MmioAccess {
                        addr: m.phys_addr,
                        is_write: m.is_write != 0,
                        len: m.len,
                        data: m.data,
                    })
                }
                KVM_EXIT_IO => {
                    let io = addr_of!((*u).io).read();
                    Exit::Io(PortIo {
                        port: io.port,
                        is_out: io.direction == KVM_EXIT_IO_OUT,
                        size: io.size,
                        count: io.count,
                        data: io_data(run.cast::<u8>(), run_size, io.data_offset),
                    })
                }
                KVM_EXIT_FAIL_ENTRY => Exit::FailEntry {
                    reason: addr_of!((*u).fail_entry.hardware_entry_failure_reason).read(),
                },
                KVM_EXIT_INTERNAL_ERROR => Exit::InternalError {
                    suberror: addr_of!((*u).internal.suberror).read(),
                },
                reason => Exit::Other { reason },
            }
        }
    }

    /// Up to 8 bytes at `offset` of the run area, where KVM left port I/O
    /// data; what lies beyond the area reads as zero.
    ///
    /// # Safety
    /// `run` points to `run_size` readable bytes.
    unsafe fn io_data(run: *const u8, run_size: usize, offset: u64) -> [u8; 8] {
        let mut d = [0u8; 8];
        let Ok(off) = usize::try_from(offset) else {
            return d;
        };
        let n = run_size.saturating_sub(off).min(8);
        // SAFETY: off + n <= run_size (n is 0 when off is past the end).
        unsafe { std::ptr::copy_nonoverlapping(run.wrapping_add(off), d.as_mut_ptr(), n) };
        d
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn read(run: &kvm_run) -> Exit {
            // SAFETY: a live local kvm_run.
            unsafe { read_exit(run, std::mem::size_of::<kvm_run>()) }
        }

        #[test]
        fn mmio_exit_is_copied_out() {
            let mut run = kvm_run {
                exit_reason: KVM_EXIT_MMIO,
                ..Default::default()
            };
            run.__bindgen_anon_1.mmio.phys_addr = 0x1_0000_0010;
            run.__bindgen_anon_1.mmio.len = 4;
            run.__bindgen_anon_1.mmio.is_write = 1;
            run.__bindgen_anon_1.mmio.data = [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0];
            assert_eq!(
                read(&run),
                Exit::Mmio(MmioAccess {
                    addr: 0x1_0000_0010,
                    is_write: true,
                    len: 4,
                    data: [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]
                })
            );
        }

        #[test]
        fn port_io_exit_carries_its_data() {
            #[repr(C)]
            struct Area {
                run: kvm_run,
                tail: [u8; 16],
            }
            let mut a = Area {
                run: kvm_run {
                    exit_reason: KVM_EXIT_IO,
                    ..Default::default()
                },
                tail: [0; 16],
            };
            a.run.__bindgen_anon_1.io.port = 0x502;
            a.run.__bindgen_anon_1.io.direction = KVM_EXIT_IO_OUT;
            a.run.__bindgen_anon_1.io.size = 4;
            a.run.__bindgen_anon_1.io.count = 1;
            a.run.__bindgen_anon_1.io.data_offset = std::mem::size_of::<kvm_run>() as u64;
            a.tail[..4].copy_from_slice(&0x0012_3450u32.to_le_bytes());
            let size = std::mem::size_of::<Area>();
            // SAFETY: a live local area of `size` bytes.
            let e = unsafe { read_exit(&a.run, size) };
            assert_eq!(
                e,
                Exit::Io(PortIo {
                    port: 0x502,
                    is_out: true,
                    size: 4,
                    count: 1,
                    data: [0x50, 0x34, 0x12, 0, 0, 0, 0, 0]
                })
            );
            // Data past the mapped area is not read.
            a.run.__bindgen_anon_1.io.data_offset = size as u64 - 2;
            // SAFETY: as above.
            let Exit::Io(p) = (unsafe { read_exit(&a.run, size) }) else {
                panic!()
            };
            assert_eq!(p.data[2..], [0; 6]);
            a.run.__bindgen_anon_1.io.data_offset = u64::MAX;
            // SAFETY: as above.
            let Exit::Io(p) = (unsafe { read_exit(&a.run, size) }) else {
                panic!()
            };
            assert_eq!(p.data, [0; 8]);
        }

        #[test]
        fn other_exits_keep_their_numbers() {
            let mut run = kvm_run {
                exit_reason: KVM_EXIT_FAIL_ENTRY,
                ..Default::default()
            };
            run.__bindgen_anon_1
                .fail_entry
                .hardware_entry_failure_reason = 0x42;
            assert_eq!(read(&run), Exit::FailEntry { reason: 0x42 });
            let mut run = kvm_run {
                exit_reason: KVM_EXIT_INTERNAL_ERROR,
                ..Default::default()
            };
            run.__bindgen_anon_1.internal.suberror = 3;
            assert_eq!(read(&run), Exit::InternalError { suberror: 3 });
            let run = kvm_run {
                exit_reason: 24,
                ..Default::default()
            };
            assert_eq!(read(&run), Exit::Other { reason: 24 });
            assert_eq!(Exit::Other { reason: 24 }.reason(), 24);
        }

        #[test]
        fn our_exit_numbers_are_kvms() {
            assert_eq!(KVM_EXIT_IO, kvm_bindings::KVM_EXIT_IO);
            assert_eq!(KVM_EXIT_MMIO, kvm_bindings::KVM_EXIT_MMIO);
            assert_eq!(KVM_EXIT_FAIL_ENTRY, kvm_bindings::KVM_EXIT_FAIL_ENTRY);
            assert_eq!(
                KVM_EXIT_INTERNAL_ERROR,
                kvm_bindings::KVM_EXIT_INTERNAL_ERROR
            );
            assert_eq!(u32::from(KVM_EXIT_IO_OUT), kvm_bindings::KVM_EXIT_IO_OUT);
        }
    }
}

#[cfg(target_os = "linux")]
pub use read::read_exit;
