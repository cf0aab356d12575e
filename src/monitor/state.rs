//! The one owned monitor state: C's `struct ukvm_hv` and `struct
//! ukvm_hvb`, guest memory with its protection snapshot, the KVM backend,
//! the registrations frozen after module setup, and per-module slots.
//!
//! `Monitor` is `#[repr(C)]` with the `struct ukvm_hv` first, so the `hv`
//! pointer C modules get is the monitor's own address. Start-up creates
//! it, installs it (leaked: C modules keep the pointer for the process's
//! life) and passes `&Monitor` down; the C entry points that receive an
//! `hv` find it again with [`Monitor::from_hv`], which only accepts the
//! installed monitor's pointer.

use std::any::Any;
use std::cell::{OnceCell, UnsafeCell};
use std::fmt;

use crate::abi::{UkvmHv, UkvmHvb};
use crate::monitor::global;
use crate::monitor::guest_mem::GuestMem;
use crate::monitor::protections::Protections;
use crate::monitor::registry::Frozen;

/// The KVM objects behind a monitor (VM, vCPU and its run area), or
/// nothing for a monitor over plain memory (tests, tools).
pub type Backend = crate::hv::Backend;

/// Per-module state: at most this many modules may keep one.
pub const SLOTS: usize = 16;

/// The monitor. Field order is drop order: the backend (vCPU and VM fds)
/// goes before the memory it maps.
#[repr(C)]
pub struct Monitor {
    /// `struct ukvm_hv`, first: C's `hv` points here.
    hv: UnsafeCell<UkvmHv>,
    /// `struct ukvm_hvb` (`hv->b` points here).
    hvb: UnsafeCell<UkvmHvb>,
    backend: Option<Backend>,
    mem: GuestMem,
    /// The protections the loader applied (fallback for the snapshot where
    /// /proc/self/maps cannot be read).
    loader: OnceCell<Protections>,
    frozen: OnceCell<Frozen>,
    slots: [OnceCell<Box<dyn Any>>; SLOTS],
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("mem", &self.mem)
            .field("backend", &self.backend.is_some())
            .field("frozen", &self.frozen.get())
            .finish()
    }
}

/// Why a monitor could not be installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyInstalled;

impl fmt::Display for AlreadyInstalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ukvm_hv_init: called twice")
    }
}

impl std::error::Error for AlreadyInstalled {}

impl Monitor {
    /// A monitor over `mem`, with `backend`'s descriptors in its `struct
    /// ukvm_hvb` (all -1 and NULL without one).
    pub fn new(mem: GuestMem, backend: Option<Backend>) -> Box<Monitor> {
        let hvb = match &backend {
            Some(b) => b.hvb(),
            None => UkvmHvb {
                kvmfd: -1,
                vmfd: -1,
                vcpufd: -1,
                vcpurun: std::ptr::null_mut(),
            },
        };
        let mut m = Box::new(Monitor {
            hv: UnsafeCell::new(UkvmHv {
                mem: mem.host_base(),
                mem_size: mem.size(),
                b: std::ptr::null_mut(),
            }),
            hvb: UnsafeCell::new(hvb),
            backend,
            mem,
            loader: OnceCell::new(),
            frozen: OnceCell::new(),
            slots: std::array::from_fn(|_| OnceCell::new()),
        });
        let hvb = m.hvb.get();
        m.hv.get_mut().b = hvb;
        m
    }

    /// Make this the process's monitor for C callers: leaked (C keeps
    /// `hv` for the process's life) and found again by `from_hv`.
    pub fn install(self: Box<Self>) -> Result<&'static Monitor, AlreadyInstalled> {
        if global::installed().is_some() {
            return Err(AlreadyInstalled);
        }
        let m: &'static Monitor = Box::leak(self);
        if global::install(m) {
            Ok(m)
        } else {
            Err(AlreadyInstalled)
        }
    }

    /// The installed monitor, if `hv` is its `struct ukvm_hv`: None for a
    /// NULL pointer or any other `struct ukvm_hv` (a C caller's own).
    #[inline]
    pub fn from_hv(hv: *const UkvmHv) -> Option<&'static Monitor> {
        global::installed().filter(|m| std::ptr::eq(m.hv.get().cast_const(), hv))
    }

    /// The installed monitor, if there is one.
    pub fn installed() -> Option<&'static Monitor> {
        global::installed()
    }

    /// `struct ukvm_hv *` for C modules (it is this monitor's address).
    #[inline]
    pub fn hv_ptr(&self) -> *mut UkvmHv {
        self.hv.get()
    }

    /// Guest memory, checked against the current protection snapshot.
    #[inline]
    pub fn mem(&self) -> &GuestMem {
        &self.mem
    }

    /// The KVM backend, if this monitor has one.
    pub fn backend(&self) -> Option<&Backend> {
        self.backend.as_ref()
    }

    /// Record the protections the loader applied and use them until the
    /// snapshot after module setup.
    pub fn set_loader_protections(&self, p: Protections) {
        self.mem.set_protections(p.clone());
        let _ = self.loader.set(p);
    }

    /// The protections the loader applied, if the kernel was loaded into
    /// this monitor's memory.
    pub fn loader_protections(&self) -> Option<Protections> {
        self.loader.get().cloned()
    }

    /// End module setup: freeze what modules registered and take the
    /// protection snapshot (modules may change protections in setup, as
    /// upstream's gdb module does). Later calls do nothing.
    pub fn freeze(&self) -> &Frozen {
        self.freeze_with(global::freeze)
    }

    /// [`freeze`](Self::freeze) with registrations from `collect` instead
    /// of the process-wide collector (tests).
    pub fn freeze_with(&self, collect: impl FnOnce() -> Frozen) -> &Frozen {
        self.frozen.get_or_init(|| {
            let loader = self.loader.get().cloned();
            self.mem
                .refresh_protections(|| loader.unwrap_or_else(Protections::none));
            collect()
        })
    }

    /// The frozen registrations (None before `freeze`).
    #[inline]
    pub fn frozen(&self) -> Option<&Frozen> {
        self.frozen.get()
    }

    /// Keep `value` as a module's state (set once, in its setup). Fails
    /// with the value when one of this type is kept already or every slot
    /// is taken.
    pub fn put_slot<T: Any>(&self, value: T) -> Result<&T, T> {
        if self.slot::<T>().is_some() {
            return Err(value);
        }
        let Some(cell) = self.slots.iter().find(|c| c.get().is_none()) else {
            return Err(value);
        };
        if let Err(b) = cell.set(Box::new(value)) {
            // Not reached: the cell was empty, and nothing runs in between.
            return Err(*b.downcast::<T>().expect("the box just made holds a T"));
        }
        Ok(self.slot::<T>().expect("the value just stored"))
    }

    /// A module's state kept with `put_slot`.
    #[inline]
    pub fn slot<T: Any>(&self) -> Option<&T> {
        self.slots
            .iter()
            .map_while(OnceCell::get)
            .find_map(|b| b.downcast_ref::<T>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::registry::Registry;

    fn monitor() -> Box<Monitor> {
        Monitor::new(GuestMem::anonymous(1 << 20).unwrap(), None)
    }

    #[test]
    fn hv_is_the_monitors_address_and_describes_its_memory() {
        let m = monitor();
        let hv = m.hv_ptr();
        assert_eq!(hv as usize, &*m as *const Monitor as usize);
        // SAFETY: hv points into the live monitor.
        let (mem, size, b) = unsafe { ((*hv).mem, (*hv).mem_size, (*hv).b) };
        assert_eq!((mem, size), (m.mem().host_base(), 1 << 20));
        // SAFETY: b points to the monitor's hvb.
        let hvb = unsafe { ((*b).kvmfd, (*b).vcpurun) };
        assert_eq!(hvb, (-1, std::ptr::null_mut()));
    }

    #[test]
    fn an_uninstalled_monitor_is_not_found_from_its_hv() {
        let m = monitor();
        // Tests never install one in this process (global state).
        assert!(Monitor::from_hv(m.hv_ptr()).is_none());
        assert!(Monitor::from_hv(std::ptr::null()).is_none());
    }

    #[test]
    fn slots_hold_one_value_per_type() {
        let m = monitor();
        assert_eq!(m.put_slot(7u32).copied(), Ok(7));
        assert_eq!(m.put_slot(8u32).err(), Some(8), "one per type");
        assert_eq!(m.put_slot("blk").copied(), Ok("blk"));
        assert_eq!(m.slot::<u32>(), Some(&7));
        assert_eq!(m.slot::<&str>(), Some(&"blk"));
        assert!(m.slot::<u64>().is_none());
    }

    #[test]
    fn slots_run_out() {
        let m = monitor();
        macro_rules! fill { ($($n:literal)*) => {$( assert!(m.put_slot([0u8; $n]).is_ok()); )*} }
        fill!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
        assert!(m.put_slot(0u8).is_err());
        assert_eq!(m.slot::<[u8; 16]>(), Some(&[0u8; 16]));
    }

    #[test]
    fn freeze_once_takes_the_snapshot() {
        let m = monitor();
        let page = crate::elf::protect::host_page_size() as usize;
        // SAFETY: the first page of the monitor's own mapping; no slice of
        // it is live.
        let rc = unsafe { libc::mprotect(m.mem().host_base().cast(), page, libc::PROT_READ) };
        assert_eq!(rc, 0);
        assert!(m.mem().can_write(0, 1), "no snapshot yet");
        let f = m.freeze_with(|| Registry::new(1).freeze([None; crate::abi::HYPERCALL_MAX], &[]));
        assert!(f.vmexits().is_empty());
        assert!(!m.mem().can_write(0, 1) && m.mem().can_read(0, 1));
        let again = m.freeze_with(|| panic!("frozen once"));
        assert!(std::ptr::eq(again, m.frozen().unwrap()));
    }
}
