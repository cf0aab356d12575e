//! Shared helpers of the module tests: guest memory over an anonymous
//! mapping (with optional read-only pages, as the loader leaves a kernel's
//! text), guest structs placed in it, child processes for fatal cases.

#![allow(dead_code)]

use std::process::{Command, Output};

use ukvm::elf::protect::Protection;
use ukvm::modules::access::Protections;
use ukvm::monitor::GuestMem;

pub const MEM: usize = 1 << 20;
/// A page mapped read-only in the host, like a loaded kernel's text.
pub const TEXT: u64 = 0x10000;
pub const PAGE: u64 = 4096;

pub struct Guest {
    base: *mut u8,
    pub mem: GuestMem,
    pub prot: Protections,
}

impl Guest {
    /// 1 MiB of guest memory; the page at TEXT is read-only in the host.
    pub fn new() -> Guest {
        // SAFETY: a fresh private anonymous mapping, unmapped in Drop.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MEM,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base as *mut u8;
        // SAFETY: TEXT..TEXT+PAGE lies inside the mapping.
        let rc = unsafe { libc::mprotect(base.add(TEXT as usize).cast(), PAGE as usize, libc::PROT_READ) };
        assert_eq!(rc, 0);
        let prot = Protections::from_runs(vec![Protection {
            index: 0,
            start: TEXT,
            len: PAGE,
            prot: libc::PROT_READ | libc::PROT_EXEC,
        }]);
        // SAFETY: the mapping lives as long as Guest.
        let mem = unsafe { GuestMem::new(base, MEM) };
        Guest { base, mem, prot }
    }

    pub fn base(&self) -> *mut u8 {
        self.base
    }

    pub fn bytes(&self, gpa: u64, len: usize) -> Vec<u8> {
        // SAFETY: tests pass ranges inside the mapping.
        unsafe { std::slice::from_raw_parts(self.base.add(gpa as usize), len) }.to_vec()
    }

    pub fn fill(&self, gpa: u64, data: &[u8]) {
        // SAFETY: tests pass writable ranges inside the mapping.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.base.add(gpa as usize), data.len()) }
    }

    /// A `struct ukvm_hv` over this memory (no backend).
    pub fn hv(&self) -> ukvm::abi::UkvmHv {
        ukvm::abi::UkvmHv {
            mem: self.base,
            mem_size: MEM,
            b: std::ptr::null_mut(),
        }
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping.
        unsafe { libc::munmap(self.base.cast(), MEM) };
    }
}

/// A scratch directory under the system temp dir, removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("ukvm-modules-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run test `name` of this binary in a child with MODULES_CHILD=`scenario`
/// and extra environment; the child's output and status. `name` may be an
/// `#[ignore]`d child entry point.
pub fn child(name: &str, scenario: &str, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", name, "--include-ignored", "--nocapture", "--test-threads=1"])
        .env("MODULES_CHILD", scenario);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// The scenario this process runs as a child, if it is one.
pub fn scenario() -> Option<String> {
    std::env::var("MODULES_CHILD").ok()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
