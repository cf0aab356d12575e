//! The KVM backend: VM, vCPU and guest memory set-up, the vCPU loop, and
//! the C entry points `ukvm_hv_*` of upstream's backend API.
//!
//! The loop (`vcpu_loop`) is host-independent and unit-tested anywhere;
//! `kvm` holds every ioctl and exists only on AArch64 Linux.

pub mod ffi;
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
pub mod kvm;
pub mod vcpu_loop;

use std::fmt;
use std::io;

/// A fatal backend error; `Display` gives upstream's wording. The C entry
/// points print it like errx/err and exit with status 1.
#[derive(Debug)]
pub enum Fatal {
    /// No OS error attached (errx).
    Msg(String),
    /// With the OS error that caused it (err).
    Os(String, io::Error),
}

impl Fatal {
    /// Print as upstream would and exit 1.
    pub fn die(self) -> ! {
        match self {
            Fatal::Msg(m) => crate::diag::die(&m),
            Fatal::Os(m, e) => crate::diag::die_os(&m, &e),
        }
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fatal::Msg(m) => f.write_str(m),
            Fatal::Os(m, e) => write!(f, "{m}: {e}"),
        }
    }
}

impl std::error::Error for Fatal {}
