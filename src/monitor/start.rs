//! The monitor's start-up sequence behind C `main`: command line, signal
//! handlers, the monitor (VM, vCPU, guest RAM), kernel load, guest command
//! line, module setup, then the guest run. Each step returns its error up
//! to `main`, the one place that prints it and chooses the exit status.

use std::ffi::{CStr, OsStr};
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use vm_memory::Bytes;

use crate::cli::{self, CliError, ModuleInfo};
use crate::diag;
use crate::error::Fatal;
use crate::hv::backend;
use crate::monitor::{modules, Monitor, Protections};

/// Why the monitor stopped before the guest's exit status could be
/// returned. Each ends the process with status 1.
#[derive(Debug)]
pub enum StartError {
    /// Print the optional warning and the usage text.
    Usage(Option<String>),
    /// A module's setup failed: upstream's two warnings (the second with
    /// the module's usage line, if it has one).
    SetupFailed { name: String, usage: Option<String> },
    /// Anything else: `prog: message`.
    Fatal(Fatal),
}

impl From<Fatal> for StartError {
    fn from(e: Fatal) -> Self {
        StartError::Fatal(e)
    }
}

impl StartError {
    /// Print as upstream does and exit 1.
    pub fn exit(self, prog: &str) -> ! {
        match self {
            StartError::Usage(warning) => {
                if let Some(w) = warning {
                    diag::warn(&w);
                }
                // Like upstream's fprintf: a stderr that cannot be written
                // (closed, a full disk) does not change the exit status.
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    cli::usage_text(prog, &module_infos()).as_bytes(),
                );
                std::process::exit(1)
            }
            StartError::SetupFailed { name, usage } => {
                diag::warn(&format!("Module `{name}' setup failed"));
                if let Some(u) = usage {
                    diag::warn(&format!(
                        "Please check you have correctly specified:\n    {u}"
                    ));
                }
                std::process::exit(1)
            }
            StartError::Fatal(e) => e.exit(),
        }
    }
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

/// SIGINT and SIGTERM end the monitor with upstream's message. SIGPIPE
/// keeps the disposition the monitor inherited, as upstream's does (by
/// default a console write to a closed pipe ends the monitor by the
/// signal; see docs/differences.md).
pub(crate) fn install_signal_handlers() -> Result<(), Fatal> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; we fill handler and mask.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
        // SAFETY: sa_mask is a valid sigset_t inside `sa`.
        unsafe { libc::sigfillset(&mut sa.sa_mask) };
        // SAFETY: installs a handler for a catchable signal.
        if unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } == -1 {
            return Err(Fatal::Os(
                "Could not install signal handler".into(),
                std::io::Error::last_os_error(),
            ));
        }
    }
    Ok(())
}

/// Call every module's setup in table order with the monitor's `hv`.
///
/// # Safety
/// The compiled-in modules' setup functions must accept the monitor's
/// `hv` (the C API's contract).
unsafe fn setup_modules(m: &Monitor) -> Result<(), StartError> {
    for module in modules::all() {
        let name = modules::name(module);
        let Some(setup) = module.setup else {
            return Err(Fatal::Msg(format!("Module `{name}' has no setup function")).into());
        };
        // SAFETY: the caller vouches for the modules; hv is the monitor's.
        if unsafe { setup(m.hv_ptr()) } != 0 {
            return Err(StartError::SetupFailed {
                name,
                usage: modules::usage(module),
            });
        }
    }
    Ok(())
}

/// Copy the guest command line (plus NUL) to guest address `gpa`.
fn write_cmdline(m: &Monitor, gpa: u64, cmdline: &[u8]) -> Result<(), Fatal> {
    let s = m
        .mem()
        .writable(gpa, cmdline.len() + 1)
        .map_err(|e| Fatal::Msg(format!("writing the guest command line: {e}")))?;
    s.copy_from(cmdline);
    s.write_obj(0u8, cmdline.len())
        .map_err(|e| Fatal::Msg(format!("writing the guest command line: {e}")))
}

/// The monitor's error for a kernel that did not load, as the C monitor
/// words it: I/O errors as `file: <strerror>`, everything else as `file:
/// Exec format error: ...`.
pub(crate) fn load_error(file: &str, err: &crate::elf::ElfError) -> Fatal {
    match err.io_error() {
        Some(io) => match io.raw_os_error() {
            Some(code) => Fatal::Os(file.into(), std::io::Error::from_raw_os_error(code)),
            None => Fatal::Msg(format!("{file}: {io}")),
        },
        None => Fatal::Msg(format!("{file}: {err}")),
    }
}

/// Load the kernel at `path` into the monitor's memory and record the
/// protections the loader applied. Its entry point and end.
fn load_kernel(m: &Monitor, path: &CStr) -> Result<(u64, u64), Fatal> {
    let shown = path.to_string_lossy();
    let p = Path::new(OsStr::from_bytes(path.to_bytes()));
    let mem = m.mem();
    // SAFETY: the monitor's own guest RAM mapping of mem.size() bytes,
    // page-aligned; nothing else touches it before the guest runs.
    let loaded =
        unsafe { crate::elf::load_guest(p, mem.host_base(), mem.size(), crate::elf::HOST_MACHINE) }
            .map_err(|e| load_error(&shown, &e))?;
    m.set_loader_protections(Protections::of_segments(&loaded.segments));
    Ok((loaded.entry, loaded.end))
}

/// The guest's exit status as the process's. A process can only report
/// 0-255: upstream returns any other value from main, so the shell sees it
/// modulo 256 (a guest exiting with 256 looks like success). Refuse it.
fn checked_exit_status(status: c_int) -> Result<c_int, Fatal> {
    if (0..=255).contains(&status) {
        Ok(status)
    } else {
        Err(Fatal::Msg(format!(
            "Guest exit status {status} is out of range (0-255)"
        )))
    }
}

/// Start the monitor and run the guest: its exit status, or why not.
///
/// # Safety
/// `args` are the program's argv strings (alive for the process); the
/// compiled-in modules follow the C API's contract.
pub unsafe fn run(args: &[*mut c_char]) -> Result<c_int, StartError> {
    // SAFETY: every entry is a NUL-terminated argv string.
    let bytes: Vec<&[u8]> = args
        .iter()
        .map(|&p| unsafe { CStr::from_ptr(p) }.to_bytes())
        .collect();
    let rest = bytes.get(1..).unwrap_or(&[]);
    let opts = match cli::parse(rest, &mut |i| offer_to_modules(args[i + 1])) {
        Ok(o) => o,
        Err(CliError::Usage(w)) => return Err(StartError::Usage(w)),
        Err(CliError::Fatal(msg)) => return Err(Fatal::Msg(msg).into()),
    };

    install_signal_handlers()?;

    let mem_size = backend::mem_size(opts.mem_size as u64, diag::warn)?;
    let m = backend::create(mem_size as usize)?
        .install()
        .map_err(|e| Fatal::Msg(e.to_string()))?;
    // SAFETY: argv storage, NUL-terminated.
    let kernel = unsafe { CStr::from_ptr(args[opts.kernel + 1]) };
    let (entry, end) = load_kernel(m, kernel)?;
    let cmdline = backend::vcpu_init(m, entry, end)?;
    write_cmdline(m, cmdline, &opts.cmdline)?;
    // SAFETY: forwarded caller guarantee about the modules.
    unsafe { setup_modules(m) }?;
    m.freeze();
    // SAFETY: as above: registered handlers follow the C API.
    let status = unsafe { backend::run(m) }?;
    Ok(checked_exit_status(status)?)
}

/// Run the monitor; returns the guest's exit status. Every other end is
/// printed here and exits with status 1.
///
/// # Safety
/// `argv` holds `argc` C strings followed by NULL, as the C runtime
/// passes them; the compiled-in modules follow the C API's contract.
pub unsafe fn main(argc: c_int, argv: *mut *mut c_char) -> c_int {
    let n = usize::try_from(argc).unwrap_or(0);
    let args: Vec<*mut c_char> = if argv.is_null() {
        Vec::new()
    } else {
        // SAFETY: argv has argc valid entries (caller guarantee); we stop
        // at the first NULL.
        (0..n)
            .map(|i| unsafe { *argv.add(i) })
            .take_while(|p| !p.is_null())
            .collect()
    };
    // SAFETY: a non-NULL entry is a NUL-terminated string.
    let argv0 = args
        .first()
        .map(|&p| unsafe { CStr::from_ptr(p) }.to_bytes())
        .unwrap_or(b"");
    if argv0.is_empty() {
        // No argv[0] (argc 0; Linux then passes an empty one): libc would
        // prefix diagnostics with nothing.
        diag::set_prog_name(c"ukvm-bin");
    }
    let prog = prog_name(argv0);
    // SAFETY: forwarded caller guarantee.
    match unsafe { run(&args) } {
        Ok(status) => status,
        Err(e) => e.exit(&prog),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_a_process_can_report_pass_through() {
        for st in [0, 1, 7, 255] {
            assert_eq!(checked_exit_status(st).unwrap(), st);
        }
        for st in [256, -1, i32::MIN] {
            assert_eq!(
                checked_exit_status(st).unwrap_err().to_string(),
                format!("Guest exit status {st} is out of range (0-255)")
            );
        }
    }

    #[test]
    fn halt_hooks_have_run_when_an_out_of_range_status_is_refused() {
        use crate::abi::{ukvm_halt, UkvmHv, UKVM_HYPERCALL_HALT};
        use crate::monitor::registry::Registry;
        use crate::monitor::{GuestMem, HypercallOutcome};
        use std::cell::Cell;
        use std::os::raw::c_void;

        thread_local!(static HOOKED: Cell<c_int> = const { Cell::new(0) });
        unsafe extern "C" fn hook(_: *mut UkvmHv, status: c_int, _: *mut c_void) {
            HOOKED.with(|h| h.set(status));
        }
        let m = Monitor::new(GuestMem::anonymous(64 << 10).unwrap(), None);
        let mut r = Registry::new(1);
        assert_eq!(r.register_halt_hook(Some(hook)), 0);
        m.freeze_with(|| r.freeze([None; crate::abi::HYPERCALL_MAX], &[]));
        let t = ukvm_halt {
            cookie: 0,
            exit_status: 256,
            ..Default::default()
        };
        m.mem().write_obj(0x100, t).unwrap();
        // What start's `run` does with the loop's result: the HALT hypercall
        // (hooks included) yields the status, which is then checked.
        // SAFETY: the test hook accepts any hv.
        let out = unsafe { m.hypercall(u64::from(UKVM_HYPERCALL_HALT), 0x100) }.unwrap();
        assert_eq!(out, HypercallOutcome::Halt(256));
        assert_eq!(HOOKED.with(Cell::get), 256, "the hook saw the status first");
        assert!(checked_exit_status(256).is_err());
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

    #[test]
    fn the_command_line_lands_in_guest_memory_with_its_nul() {
        let m = Monitor::new(crate::monitor::GuestMem::anonymous(64 << 10).unwrap(), None);
        m.mem()
            .writable(0xc000, 16)
            .unwrap()
            .copy_from(&[0xffu8; 16][..]);
        write_cmdline(&m, 0xc000, b"a b").unwrap();
        assert_eq!(m.mem().read_obj::<[u8; 5]>(0xc000).unwrap(), *b"a b\0\xff");
        let e = write_cmdline(&m, (64 << 10) - 3, b"abc").unwrap_err();
        assert!(e.to_string().contains("Invalid guest access"), "{e}");
    }
}
