//! Shared helpers of the module tests: the monitor's guest memory (with a
//! read-only page, as the loader leaves a kernel's text), an installed
//! monitor for the C entry points, child processes for fatal cases.

#![allow(dead_code)]

use std::process::{Command, Output};

use ukvm::monitor::{GuestMem, Monitor};

pub const MEM: usize = 1 << 20;
/// A page mapped read-only in the host, like a loaded kernel's text.
pub const TEXT: u64 = 0x10000;
pub const PAGE: u64 = 4096;

/// Guest memory as the monitor has it: 1 MiB of vm-memory guest RAM whose
/// page at TEXT is mprotected read-only, with the protection snapshot read
/// back from the kernel (`/proc/self/maps`), as the monitor takes it after
/// module setup.
pub fn guest_mem() -> GuestMem {
    let mem = GuestMem::anonymous(MEM).unwrap();
    // SAFETY: TEXT..TEXT+PAGE lies inside the mapping, which nothing holds
    // a reference into.
    let rc = unsafe {
        libc::mprotect(
            mem.host_base().add(TEXT as usize).cast(),
            PAGE as usize,
            libc::PROT_READ,
        )
    };
    assert_eq!(rc, 0);
    mem.refresh_protections(|| panic!("/proc/self/maps could not be read"));
    assert!(
        mem.can_read(TEXT, 1) && !mem.can_write(TEXT, 1),
        "the snapshot sees TEXT read-only"
    );
    mem
}

/// Test access to guest bytes (through the checked accessor, as copies).
pub trait Bytes {
    /// A copy of `len` bytes at `gpa`.
    fn bytes(&self, gpa: u64, len: usize) -> Vec<u8>;
    /// Write `data` at `gpa` (not into TEXT).
    fn fill(&self, gpa: u64, data: &[u8]);
}

impl Bytes for GuestMem {
    fn bytes(&self, gpa: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.readable(gpa, len).unwrap().copy_to(&mut v[..]);
        v
    }
    fn fill(&self, gpa: u64, data: &[u8]) {
        self.writable(gpa, data.len()).unwrap().copy_from(data);
    }
}

/// A guest's memory for the modules' Rust API (no monitor).
pub struct Guest {
    pub mem: GuestMem,
}

impl Guest {
    /// 1 MiB of guest memory; the page at TEXT is read-only in the host.
    pub fn new() -> Guest {
        Guest { mem: guest_mem() }
    }

    pub fn bytes(&self, gpa: u64, len: usize) -> Vec<u8> {
        self.mem.bytes(gpa, len)
    }

    pub fn fill(&self, gpa: u64, data: &[u8]) {
        self.mem.fill(gpa, data)
    }
}

/// The process's monitor over [`guest_mem`], installed for the C entry
/// points (once per process: child scenarios only).
pub fn install_monitor() -> &'static Monitor {
    Monitor::new(guest_mem(), None).install().unwrap()
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
    c.args([
        "--exact",
        name,
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ])
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
