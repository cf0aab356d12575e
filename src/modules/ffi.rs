//! The C-ABI module structs `ukvm_module_rust_blk` and
//! `ukvm_module_rust_net`: option handling, setup and the hypercall entry
//! points, each behind the one panic guard.
//!
//! Their names are "blk" and "net", as upstream's, so usage text and
//! messages read the same; a monitor holds either the C or the Rust version
//! of each (the configure tools refuse both; linked anyway, the module
//! listed first takes the options and the other's setup fails for want of
//! one: ``Module `net' setup failed``).

use std::ffi::{CStr, OsStr, OsString};
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::sync::{Mutex, OnceLock};

use super::access::Protections;
use super::blk::Blk;
use super::disk::Disk;
use super::net::Net;
use super::net_opts::{self, NetTarget};
use super::tap::{FrameIo, Tap};
use super::Fatal;
use crate::abi::{
    ukvm_gpa_t, UkvmHv, UkvmModule, UKVM_HYPERCALL_BLKINFO, UKVM_HYPERCALL_BLKREAD, UKVM_HYPERCALL_BLKWRITE,
    UKVM_HYPERCALL_NETINFO, UKVM_HYPERCALL_NETREAD, UKVM_HYPERCALL_NETWRITE,
};
use crate::diag;
use crate::ffi::guard;
use crate::monitor::{global, GuestMem};

/// The Rust blk module (`--disk=IMAGE`).
#[no_mangle]
pub static mut ukvm_module_rust_blk: UkvmModule = UkvmModule {
    name: c"blk".as_ptr(),
    setup: Some(blk_setup),
    handle_cmdarg: Some(blk_cmdarg),
    usage: Some(blk_usage),
};

/// The Rust net module (`--net=TAP`, `--net=@NN`, `--net-mac=HWADDR`).
#[no_mangle]
pub static mut ukvm_module_rust_net: UkvmModule = UkvmModule {
    name: c"net".as_ptr(),
    setup: Some(net_setup),
    handle_cmdarg: Some(net_cmdarg),
    usage: Some(net_usage),
};

static DISK_ARG: Mutex<Option<OsString>> = Mutex::new(None);
static BLK: OnceLock<Blk> = OnceLock::new();

struct NetArgs {
    target: Option<String>,
    mac: Option<[u8; 6]>,
}
static NET_ARGS: Mutex<NetArgs> = Mutex::new(NetArgs {
    target: None,
    mac: None,
});
static NET: OnceLock<Net> = OnceLock::new();

fn arg_bytes<'a>(arg: *const c_char) -> Option<&'a [u8]> {
    if arg.is_null() {
        return None;
    }
    // SAFETY: the core passes argv strings, NUL-terminated, process-long.
    Some(unsafe { CStr::from_ptr(arg) }.to_bytes())
}

fn register(module: &str, calls: &[(u32, unsafe extern "C" fn(*mut UkvmHv, ukvm_gpa_t))]) -> bool {
    for &(nr, f) in calls {
        if global::register_hypercall(nr as c_int, Some(f)) != 0 {
            diag::warn(&format!(
                "{module}: hypercall {nr} is already registered (is another {module} module compiled in?)"
            ));
            return false;
        }
    }
    true
}

#[track_caller]
fn finish(r: Result<(), Fatal>) {
    if let Err(e) = r {
        e.die()
    }
}

// ---- blk ----------------------------------------------------------------

unsafe extern "C" fn blk_cmdarg(arg: *mut c_char) -> c_int {
    guard("blk handle_cmdarg", || {
        match arg_bytes(arg).and_then(|a| a.strip_prefix(b"--disk=")) {
            Some(path) => {
                *DISK_ARG.lock().unwrap_or_else(|e| e.into_inner()) = Some(OsStr::from_bytes(path).to_owned());
                0
            }
            None => -1,
        }
    })
}

unsafe extern "C" fn blk_usage() -> *mut c_char {
    c"--disk=IMAGE (file exposed to the unikernel as a raw block device)".as_ptr() as *mut c_char
}

unsafe extern "C" fn blk_setup(_hv: *mut UkvmHv) -> c_int {
    guard("blk setup", || {
        let Some(path) = DISK_ARG.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return -1;
        };
        let name = path.to_string_lossy().into_owned();
        let disk = match Disk::open(&path) {
            Ok(d) => d,
            Err(e) => diag::die_os(&format!("Could not open disk: {name}"), &e),
        };
        if BLK.set(Blk::new(disk, Protections::current(), name)).is_err() {
            diag::warn("blk: set up twice");
            return -1;
        }
        let calls: [(u32, unsafe extern "C" fn(*mut UkvmHv, ukvm_gpa_t)); 3] = [
            (UKVM_HYPERCALL_BLKINFO, blk_info),
            (UKVM_HYPERCALL_BLKWRITE, blk_write),
            (UKVM_HYPERCALL_BLKREAD, blk_read),
        ];
        if register("blk", &calls) {
            0
        } else {
            -1
        }
    })
}

fn with_blk(hv: *mut UkvmHv, f: impl FnOnce(&Blk, &GuestMem) -> Result<(), Fatal>) {
    let Some(blk) = BLK.get() else {
        diag::die("blk: hypercall before setup")
    };
    // SAFETY: dispatch passes the live monitor state.
    let mem = unsafe { GuestMem::from_hv(hv) };
    finish(f(blk, &mem))
}

unsafe extern "C" fn blk_info(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("blk info hypercall", || with_blk(hv, |b, m| b.info(m, gpa)))
}

unsafe extern "C" fn blk_write(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("blk write hypercall", || with_blk(hv, |b, m| b.write(m, gpa)))
}

unsafe extern "C" fn blk_read(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("blk read hypercall", || with_blk(hv, |b, m| b.read(m, gpa)))
}

// ---- net ----------------------------------------------------------------

unsafe extern "C" fn net_cmdarg(arg: *mut c_char) -> c_int {
    guard("net handle_cmdarg", || {
        let Some(a) = arg_bytes(arg) else { return -1 };
        let mut args = NET_ARGS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = a.strip_prefix(b"--net=") {
            args.target = Some(String::from_utf8_lossy(t).into_owned());
            0
        } else if let Some(m) = a.strip_prefix(b"--net-mac=") {
            let text = String::from_utf8_lossy(m);
            match net_opts::parse_mac(&text) {
                Some(mac) => {
                    args.mac = Some(mac);
                    0
                }
                None => {
                    diag::warn(&format!("Malformed mac address: {text}"));
                    -1
                }
            }
        } else {
            -1
        }
    })
}

unsafe extern "C" fn net_usage() -> *mut c_char {
    c"--net=TAP (host tap device for guest network interface or @NN tap fd)\n    [ --net-mac=HWADDR ] (guest MAC address)"
        .as_ptr() as *mut c_char
}

fn random_mac() -> [u8; 6] {
    let mut b = [0u8; 6];
    let mut got = 0;
    while got < b.len() {
        // SAFETY: getrandom writes at most the remaining bytes of `b`.
        let n = unsafe { libc::getrandom(b[got..].as_mut_ptr().cast(), b.len() - got, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                diag::die_os("Could not get random bytes for the guest MAC address", &e);
            }
        } else {
            got += n as usize;
        }
    }
    net_opts::local_unicast(b)
}

unsafe extern "C" fn net_setup(_hv: *mut UkvmHv) -> c_int {
    guard("net setup", || {
        let (target, mac) = {
            let a = NET_ARGS.lock().unwrap_or_else(|e| e.into_inner());
            (a.target.clone(), a.mac)
        };
        let Some(target) = target else { return -1 };
        let tap = match Tap::attach(&NetTarget::parse(&target)) {
            Ok(t) => t,
            Err(e) => diag::die_os(&format!("Could not attach interface: {target}"), &e),
        };
        let fd = tap.poll_fd();
        let net = Net {
            io: Box::new(tap),
            mac: mac.unwrap_or_else(random_mac),
            prot: Protections::current(),
            name: target,
        };
        if NET.set(net).is_err() {
            diag::warn("net: set up twice");
            return -1;
        }
        let calls: [(u32, unsafe extern "C" fn(*mut UkvmHv, ukvm_gpa_t)); 3] = [
            (UKVM_HYPERCALL_NETINFO, net_info),
            (UKVM_HYPERCALL_NETWRITE, net_write),
            (UKVM_HYPERCALL_NETREAD, net_read),
        ];
        if !register("net", &calls) {
            return -1;
        }
        if let Some(fd) = fd {
            if global::register_pollfd(fd) != 0 {
                diag::warn("net: no room to register the tap for polling");
                return -1;
            }
        }
        0
    })
}

fn with_net(hv: *mut UkvmHv, f: impl FnOnce(&Net, &GuestMem) -> Result<(), Fatal>) {
    let Some(net) = NET.get() else {
        diag::die("net: hypercall before setup")
    };
    // SAFETY: dispatch passes the live monitor state.
    let mem = unsafe { GuestMem::from_hv(hv) };
    finish(f(net, &mem))
}

unsafe extern "C" fn net_info(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("net info hypercall", || with_net(hv, |n, m| n.info(m, gpa)))
}

unsafe extern "C" fn net_write(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("net write hypercall", || with_net(hv, |n, m| n.write(m, gpa)))
}

unsafe extern "C" fn net_read(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("net read hypercall", || with_net(hv, |n, m| n.read(m, gpa)))
}
