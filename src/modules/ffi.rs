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
use std::sync::Mutex;

use super::blk::Blk;
use super::disk::Disk;
use super::net::Net;
use super::net_opts::{self, NetTarget};
use super::tap::{FrameIo, Tap};
use crate::abi::{
    ukvm_gpa_t, UkvmHv, UkvmModule, UKVM_HYPERCALL_BLKINFO, UKVM_HYPERCALL_BLKREAD,
    UKVM_HYPERCALL_BLKWRITE, UKVM_HYPERCALL_NETINFO, UKVM_HYPERCALL_NETREAD,
    UKVM_HYPERCALL_NETWRITE,
};
use crate::diag;
use crate::error::Fatal;
use crate::ffi::guard;
use crate::monitor::registry::{CHypercall, NativeFn};
use crate::monitor::{global, Monitor};

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

// The options as handle_cmdarg received them. They are process globals
// because the C ABI leaves no other place: handle_cmdarg gets no context
// pointer, and it runs before the monitor exists. Everything else of a
// module (the disk, the tap) lives in the monitor, in a slot its setup
// fills (`Monitor::put_slot`).
static DISK_ARG: Mutex<Option<OsString>> = Mutex::new(None);

struct NetArgs {
    target: Option<String>,
    mac: Option<[u8; 6]>,
}
static NET_ARGS: Mutex<NetArgs> = Mutex::new(NetArgs {
    target: None,
    mac: None,
});

fn arg_bytes<'a>(arg: *const c_char) -> Option<&'a [u8]> {
    if arg.is_null() {
        return None;
    }
    // SAFETY: the core passes argv strings, NUL-terminated, process-long.
    Some(unsafe { CStr::from_ptr(arg) }.to_bytes())
}

/// The monitor whose `hv` a setup got; None (with a warning) for any
/// other `struct ukvm_hv`: the module keeps its state in the monitor.
fn monitor_for_setup(module: &str, hv: *mut UkvmHv) -> Option<&'static Monitor> {
    let m = Monitor::from_hv(hv);
    if m.is_none() {
        diag::warn(&format!(
            "{module}: setup called without the monitor's struct ukvm_hv"
        ));
    }
    m
}

/// Register each hypercall's C entry point and its Rust twin, which the
/// monitor's own loop calls directly.
fn register(module: &str, calls: &[(u32, CHypercall, NativeFn)]) -> bool {
    for &(nr, c, native) in calls {
        if global::register_native(nr as c_int, c, native) != 0 {
            diag::warn(&format!(
                "{module}: hypercall {nr} is already registered (is another {module} module compiled in?)"
            ));
            return false;
        }
    }
    true
}

/// A hypercall's C entry point (C callers, and the table C modules see):
/// run its Rust twin on the monitor `hv` belongs to; an error ends the
/// monitor here, at the C edge, as upstream's module would.
fn c_entry(hv: *mut UkvmHv, gpa: ukvm_gpa_t, module: &str, native: NativeFn) {
    let r = match Monitor::from_hv(hv) {
        Some(m) => native(m, gpa),
        None => Err(Fatal::Msg(format!(
            "{module}: hypercall with a struct ukvm_hv that is not the monitor's"
        ))),
    };
    if let Err(e) = r {
        e.exit()
    }
}

// ---- blk ----------------------------------------------------------------

unsafe extern "C" fn blk_cmdarg(arg: *mut c_char) -> c_int {
    guard("blk handle_cmdarg", || {
        match arg_bytes(arg).and_then(|a| a.strip_prefix(b"--disk=")) {
            Some(path) => {
                *DISK_ARG.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(OsStr::from_bytes(path).to_owned());
                0
            }
            None => -1,
        }
    })
}

unsafe extern "C" fn blk_usage() -> *mut c_char {
    c"--disk=IMAGE (file exposed to the unikernel as a raw block device)".as_ptr() as *mut c_char
}

unsafe extern "C" fn blk_setup(hv: *mut UkvmHv) -> c_int {
    guard("blk setup", || {
        let Some(path) = DISK_ARG.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return -1;
        };
        let Some(m) = monitor_for_setup("blk", hv) else {
            return -1;
        };
        let name = path.to_string_lossy().into_owned();
        let disk = match Disk::open(&path) {
            Ok(d) => d,
            Err(e) => diag::die_os(&format!("Could not open disk: {name}"), &e),
        };
        if m.put_slot(Blk::new(disk, name)).is_err() {
            diag::warn("blk: set up twice");
            return -1;
        }
        let calls: [(u32, CHypercall, NativeFn); 3] = [
            (UKVM_HYPERCALL_BLKINFO, blk_info, native::blk_info),
            (UKVM_HYPERCALL_BLKWRITE, blk_write, native::blk_write),
            (UKVM_HYPERCALL_BLKREAD, blk_read, native::blk_read),
        ];
        if register("blk", &calls) {
            0
        } else {
            -1
        }
    })
}

unsafe extern "C" fn blk_info(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("blk info hypercall", || {
        c_entry(hv, gpa, "blk", native::blk_info)
    })
}

unsafe extern "C" fn blk_write(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("blk write hypercall", || {
        c_entry(hv, gpa, "blk", native::blk_write)
    })
}

unsafe extern "C" fn blk_read(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("blk read hypercall", || {
        c_entry(hv, gpa, "blk", native::blk_read)
    })
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

unsafe extern "C" fn net_setup(hv: *mut UkvmHv) -> c_int {
    guard("net setup", || {
        let (target, mac) = {
            let a = NET_ARGS.lock().unwrap_or_else(|e| e.into_inner());
            (a.target.clone(), a.mac)
        };
        let Some(target) = target else { return -1 };
        let Some(m) = monitor_for_setup("net", hv) else {
            return -1;
        };
        let tap = match Tap::attach(&NetTarget::parse(&target)) {
            Ok(t) => t,
            Err(e) => diag::die_os(&format!("Could not attach interface: {target}"), &e),
        };
        let fd = tap.poll_fd();
        let net = Net {
            io: Box::new(tap),
            mac: mac.unwrap_or_else(random_mac),
            name: target,
        };
        if m.put_slot(net).is_err() {
            diag::warn("net: set up twice");
            return -1;
        }
        let calls: [(u32, CHypercall, NativeFn); 3] = [
            (UKVM_HYPERCALL_NETINFO, net_info, native::net_info),
            (UKVM_HYPERCALL_NETWRITE, net_write, native::net_write),
            (UKVM_HYPERCALL_NETREAD, net_read, native::net_read),
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

unsafe extern "C" fn net_info(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("net info hypercall", || {
        c_entry(hv, gpa, "net", native::net_info)
    })
}

unsafe extern "C" fn net_write(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("net write hypercall", || {
        c_entry(hv, gpa, "net", native::net_write)
    })
}

unsafe extern "C" fn net_read(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("net read hypercall", || {
        c_entry(hv, gpa, "net", native::net_read)
    })
}

/// The hypercalls as the monitor's loop calls them: the module's state
/// from its slot, guest memory (and its protection snapshot) from the
/// monitor; errors go up to `main`.
mod native {
    use super::*;

    fn state<'m, T: 'static>(m: &'m Monitor, module: &str) -> Result<&'m T, Fatal> {
        m.slot::<T>()
            .ok_or_else(|| Fatal::Msg(format!("{module}: hypercall before setup")))
    }

    pub fn blk_info(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        Ok(state::<Blk>(m, "blk")?.info(m.mem(), gpa)?)
    }

    pub fn blk_write(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        Ok(state::<Blk>(m, "blk")?.write(m.mem(), gpa)?)
    }

    pub fn blk_read(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        Ok(state::<Blk>(m, "blk")?.read(m.mem(), gpa)?)
    }

    pub fn net_info(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        Ok(state::<Net>(m, "net")?.info(m.mem(), gpa)?)
    }

    pub fn net_write(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        Ok(state::<Net>(m, "net")?.write(m.mem(), gpa)?)
    }

    pub fn net_read(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        Ok(state::<Net>(m, "net")?.read(m.mem(), gpa)?)
    }
}
