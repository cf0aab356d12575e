//! Fatal and warning diagnostics in the C monitor's format (`prog: message`).
//!
//! Upstream ukvm reports through libc's err(3) family, which prefixes the
//! program's short name and, for `err`, appends `strerror(errno)`; it then
//! calls exit(3), which flushes C stdio that C modules may have buffered.
//! We call the same libc functions so output and exit behaviour match.

use std::cell::UnsafeCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

extern "C" {
    fn errx(eval: c_int, fmt: *const c_char, ...) -> !;
    fn warnx(fmt: *const c_char, ...);
    /// libc's program name, the prefix above (glibc and musl set it from
    /// argv[0]). A C global that libc reads: hence a cell, written once.
    static program_invocation_short_name: UnsafeCell<*const c_char>;
}

/// Use `name` as the `prog` of every later diagnostic (libc keeps the
/// pointer: a static string).
pub fn set_prog_name(name: &'static CStr) {
    // SAFETY: libc's `char *program_invocation_short_name`; the monitor sets
    // it once, at start-up on its one thread, before any diagnostic, to a
    // static NUL-terminated string that libc only reads.
    unsafe { program_invocation_short_name.get().write(name.as_ptr()) }
}

fn to_cstring(msg: &str) -> CString {
    // Interior NULs cannot appear in a C string: show them escaped.
    CString::new(msg.replace('\0', "\\0")).unwrap_or_default()
}

/// Print `prog: msg` on stderr and exit with `status` (errx(3)).
pub fn die_status(status: i32, msg: &str) -> ! {
    let m = to_cstring(msg);
    // SAFETY: both format and argument are valid NUL-terminated strings and
    // the format consumes exactly one `%s` argument.
    unsafe { errx(status, c"%s".as_ptr(), m.as_ptr()) }
}

/// Print `prog: msg` on stderr and exit with status 1.
pub fn die(msg: &str) -> ! {
    die_status(1, msg)
}

/// Print `prog: msg: <description of err>` and exit 1 (like err(3)).
pub fn die_os(msg: &str, err: &std::io::Error) -> ! {
    let desc = match err.raw_os_error() {
        // SAFETY: strerror returns a pointer to a static or thread-local
        // NUL-terminated string which we copy before any other libc call.
        Some(code) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
            .to_string_lossy()
            .into_owned(),
        None => err.to_string(),
    };
    die(&format!("{msg}: {desc}"))
}

/// Print `prog: msg` on stderr and continue (warnx(3)).
pub fn warn(msg: &str) {
    let m = to_cstring(msg);
    // SAFETY: as in `die_status`.
    unsafe { warnx(c"%s".as_ptr(), m.as_ptr()) }
}

/// SIGINT/SIGTERM handler body: `prog: Exiting on signal N`, exit 1.
/// Formats in libc (no Rust allocation), exactly as the C monitor does.
pub fn die_on_signal(signo: c_int) -> ! {
    // SAFETY: a constant format with one `%d` for one int argument.
    unsafe { errx(1, c"Exiting on signal %d".as_ptr(), signo) }
}
