//! The monitor's start-up sequence behind C `main`: command line, signal
//! handlers, VM creation, kernel load, guest command line, module setup,
//! then the vCPU loop.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

use crate::abi::{ukvm_gpa_t, UkvmHv, CMDLINE_SIZE};
use crate::cli::{self, CliError, ModuleInfo};
use crate::diag;
use crate::monitor::modules;

extern "C" {
    // Provided by the backend (crate::hv) and the ELF loader (crate::elf).
    fn ukvm_hv_mem_size(mem_size: *mut usize);
    fn ukvm_hv_init(mem_size: usize) -> *mut UkvmHv;
    fn ukvm_elf_load(
        file: *const c_char,
        mem: *mut u8,
        mem_size: usize,
        p_entry: *mut ukvm_gpa_t,
        p_end: *mut ukvm_gpa_t,
    );
    fn ukvm_hv_vcpu_init(
        hv: *mut UkvmHv,
        gpa_ep: ukvm_gpa_t,
        gpa_kend: ukvm_gpa_t,
        cmdline: *mut *mut c_char,
    );
    fn ukvm_hv_vcpu_loop(hv: *mut UkvmHv) -> c_int;
}

/// The last path component of argv[0], as basename(3) would give it.
pub fn prog_name(argv0: &[u8]) -> String {
    let trimmed = match argv0.iter().rposition(|&b| b != b'/') {
        Some(end) => &argv0[..=end],
        None if argv0.is_empty() => return "ukvm-bin".into(),
        None => return "/".into(),
    };
    let base = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    String::from_utf8_lossy(base).into_owned()
}

fn module_infos() -> Vec<ModuleInfo> {
    modules::all()
        .into_iter()
        .map(|m| ModuleInfo {
            name: modules::name(m),
            usage: modules::usage(m),
        })
        .collect()
}

fn usage_exit(prog: &str, warning: Option<String>) -> ! {
    if let Some(w) = warning {
        diag::warn(&w);
    }
    eprint!("{}", cli::usage_text(prog, &module_infos()));
    std::process::exit(1)
}

/// Offer `arg` to each module's handle_cmdarg in order; true if one took it.
/// Modules may keep the pointer (it is argv's own storage).
fn offer_to_modules(arg: *mut c_char) -> bool {
    modules::all().into_iter().any(|m| match m.handle_cmdarg {
        // SAFETY: handle_cmdarg takes a C string; argv strings live for
        // the whole process.
        Some(f) => unsafe { f(arg) == 0 },
        None => false,
    })
}

extern "C" fn on_signal(signo: c_int) {
    diag::die_on_signal(signo)
}

pub(crate) fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; we fill handler and mask.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
        // SAFETY: sa_mask is a valid sigset_t inside `sa`.
        unsafe { libc::sigfillset(&mut sa.sa_mask) };
        // SAFETY: installs a handler for a catchable signal.
        if unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } == -1 {
            diag::die_os(
                "Could not install signal handler",
                &std::io::Error::last_os_error(),
            );
        }
    }
}

fn setup_modules(hv: *mut UkvmHv) {
    for m in modules::all() {
        let name = modules::name(m);
        let Some(setup) = m.setup else {
            diag::die(&format!("Module `{name}' has no setup function"));
        };
        // SAFETY: module setup takes the live monitor state.
        if unsafe { setup(hv) } != 0 {
            diag::warn(&format!("Module `{name}' setup failed"));
            if let Some(u) = modules::usage(m) {
                diag::warn(&format!(
                    "Please check you have correctly specified:\n    {u}"
                ));
            }
            std::process::exit(1);
        }
    }
}

/// Copy the guest command line (plus NUL) into the backend's buffer.
///
/// # Safety
/// `dst` must point to CMDLINE_SIZE writable bytes.
unsafe fn write_cmdline(dst: *mut c_char, cmdline: &[u8]) {
    if dst.is_null() {
        diag::die("Backend gave no buffer for the guest command line");
    }
    debug_assert!(cmdline.len() < CMDLINE_SIZE);
    // SAFETY: join_cmdline bounded the length below CMDLINE_SIZE, and the
    // caller guarantees CMDLINE_SIZE bytes at dst.
    unsafe {
        std::ptr::copy_nonoverlapping(cmdline.as_ptr(), dst.cast::<u8>(), cmdline.len());
        *dst.add(cmdline.len()) = 0;
    }
}

/// Run the monitor; returns the guest's exit status.
///
/// # Safety
/// `argv` holds `argc` C strings followed by NULL.
pub unsafe fn main(argc: c_int, argv: *mut *mut c_char) -> c_int {
    let n = usize::try_from(argc).unwrap_or(0);
    // SAFETY: argv has argc valid entries (caller guarantee).
    let raw: Vec<*mut c_char> = (0..n)
        .map(|i| unsafe { *argv.add(i) })
        .take_while(|p| !p.is_null())
        .collect();
    // SAFETY: every entry is a NUL-terminated string.
    let bytes: Vec<&[u8]> = raw
        .iter()
        .map(|&p| unsafe { CStr::from_ptr(p) }.to_bytes())
        .collect();
    let prog = prog_name(bytes.first().copied().unwrap_or(b""));
    let args = bytes.get(1..).unwrap_or(&[]);

    let opts = match cli::parse(args, &mut |i| offer_to_modules(raw[i + 1])) {
        Ok(o) => o,
        Err(CliError::Usage(w)) => usage_exit(&prog, w),
        Err(CliError::Fatal(msg)) => diag::die(&msg),
    };

    install_signal_handlers();

    let mut mem_size = opts.mem_size;
    let (mut entry, mut kend): (ukvm_gpa_t, ukvm_gpa_t) = (0, 0);
    let mut cmdline: *mut c_char = std::ptr::null_mut();
    // SAFETY: the backend and loader entry points follow ukvm.h; every
    // out-pointer is a valid local, and the kernel path is argv storage.
    unsafe {
        ukvm_hv_mem_size(&mut mem_size);
        let hv = ukvm_hv_init(mem_size);
        if hv.is_null() {
            diag::die("Backend returned no hypervisor state");
        }
        ukvm_elf_load(
            raw[opts.kernel + 1],
            (*hv).mem,
            (*hv).mem_size,
            &mut entry,
            &mut kend,
        );
        ukvm_hv_vcpu_init(hv, entry, kend, &mut cmdline);
        write_cmdline(cmdline, &opts.cmdline);
        setup_modules(hv);
        checked_exit_status(ukvm_hv_vcpu_loop(hv))
    }
}

/// The guest's exit status as the process's. A process can only report
/// 0-255: upstream returns any other value from main, so the shell sees it
/// modulo 256 (a guest exiting with 256 looks like success). Refuse it.
fn checked_exit_status(status: c_int) -> c_int {
    if (0..=255).contains(&status) {
        status
    } else {
        diag::die(&format!("Guest exit status {status} is out of range (0-255)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_a_process_can_report_pass_through() {
        for st in [0, 1, 7, 255] {
            assert_eq!(checked_exit_status(st), st);
        }
    }

    #[test]
    fn prog_name_is_basename() {
        assert_eq!(prog_name(b"/usr/bin/ukvm-bin"), "ukvm-bin");
        assert_eq!(prog_name(b"./ukvm-bin"), "ukvm-bin");
        assert_eq!(prog_name(b"ukvm-bin"), "ukvm-bin");
        assert_eq!(prog_name(b"dir/x/"), "x");
        assert_eq!(prog_name(b"///"), "/");
        assert_eq!(prog_name(b""), "ukvm-bin");
    }
}
