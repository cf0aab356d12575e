//! The backend's C entry points on this host, each in a child process:
//! memory-size rounding through ukvm_hv_mem_size (this architecture's
//! rule), and, where there is no KVM backend (not AArch64), ukvm_hv_init
//! stopping with a clear message.
//! Nothing here opens /dev/kvm.

use std::process::{Command, Output};

use ukvm::hv::ffi::ukvm_hv_mem_size;

const CHILD: &str = "UKVM_ARCH_HV_FFI_CHILD";

/// Runs in the child: does what the parent asked, prints the result.
#[test]
fn child() {
    let Ok(what) = std::env::var(CHILD) else {
        return;
    };
    if let Some(n) = what.strip_prefix("mem_size:") {
        let mut size: usize = n.parse().unwrap();
        // SAFETY: a valid, writable size_t.
        unsafe { ukvm_hv_mem_size(&mut size) };
        println!("SIZE {size}");
    } else if what == "init" {
        #[cfg(not(target_arch = "aarch64"))]
        {
            let hv = ukvm::hv::ffi::ukvm_hv_init(2 << 20);
            println!("INIT returned {hv:p}");
        }
    }
}

fn run(what: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, what)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn whole_blocks_are_kept_silently() {
    let o = run("mem_size:536870912");
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("SIZE 536870912"));
    assert!(
        !text(&o.stderr).contains("adjusting"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn odd_and_tiny_sizes_are_adjusted_with_upstreams_warning() {
    for (req, got) in [(3u64 << 20, 2u64 << 20), (1 << 20, 2 << 20), (1, 2 << 20)] {
        let o = run(&format!("mem_size:{req}"));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(
            text(&o.stdout).contains(&format!("SIZE {got}")),
            "{}",
            text(&o.stdout)
        );
        assert!(
            text(&o.stderr).contains(&format!(": adjusting memory to {got} bytes")),
            "{}",
            text(&o.stderr)
        );
    }
}

/// The largest guest RAM of this host's architecture: AArch64 has 4 GiB
/// below its MMIO window, x86_64 one page directory of 2 MiB pages.
#[cfg(target_arch = "aarch64")]
const MAX: u64 = 4 << 30;
#[cfg(target_arch = "x86_64")]
const MAX: u64 = 1 << 30;

#[test]
fn more_than_the_architectures_maximum_is_fatal() {
    let over = MAX + (2 << 20);
    let o = run(&format!("mem_size:{over}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains(&format!(
            ": guest memory size {over} bytes exceeds the max size {MAX} bytes"
        )),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stdout).contains("SIZE"));
    let o = run(&format!("mem_size:{MAX}"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&format!("SIZE {MAX}")));
}

#[cfg(not(target_arch = "aarch64"))]
#[test]
fn no_backend_on_this_architecture() {
    let o = run("init");
    assert_eq!(o.status.code(), Some(1));
    let want = format!(": no KVM backend for {} yet", std::env::consts::ARCH);
    assert!(text(&o.stderr).contains(&want), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("INIT returned"));
}

/// A real monitor: the library's C main linked alone (src/bin).
const MONITOR: &str = env!("CARGO_BIN_EXE_ukvm-core-monitor");

/// Spawn the monitor with exactly `argv` (possibly empty: argc 0) and
/// stderr to a pipe; `sigpipe_default` resets SIGPIPE to its default in
/// the child (this test process ignores it, as every Rust program does);
/// `close_reader` closes the pipe's read end before the monitor writes.
/// The wait status and what it wrote to stderr.
fn spawn(argv: &[&str], sigpipe_default: bool, close_reader: bool) -> (i32, String) {
    use std::ffi::CString;
    let path = CString::new(MONITOR).unwrap();
    let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut ptrs: Vec<*mut libc::c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    ptrs.push(std::ptr::null_mut());
    let env: [*mut libc::c_char; 1] = [std::ptr::null_mut()];
    let mut p = [0; 2];
    // SAFETY: plain libc process creation with valid, NULL-terminated
    // arrays and initialised attribute objects, destroyed afterwards.
    unsafe {
        assert_eq!(libc::pipe(p.as_mut_ptr()), 0);
        let mut fa: libc::posix_spawn_file_actions_t = std::mem::zeroed();
        libc::posix_spawn_file_actions_init(&mut fa);
        libc::posix_spawn_file_actions_adddup2(&mut fa, p[1], 2);
        libc::posix_spawn_file_actions_addclose(&mut fa, p[0]);
        let mut at: libc::posix_spawnattr_t = std::mem::zeroed();
        libc::posix_spawnattr_init(&mut at);
        if sigpipe_default {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGPIPE);
            libc::posix_spawnattr_setsigdefault(&mut at, &set);
            libc::posix_spawnattr_setflags(&mut at, libc::POSIX_SPAWN_SETSIGDEF as _);
        }
        if close_reader {
            libc::close(p[0]);
        }
        let mut pid = 0;
        let rc = libc::posix_spawn(
            &mut pid,
            path.as_ptr(),
            &fa,
            &at,
            ptrs.as_ptr(),
            env.as_ptr(),
        );
        assert_eq!(
            rc,
            0,
            "posix_spawn: {}",
            std::io::Error::from_raw_os_error(rc)
        );
        libc::posix_spawn_file_actions_destroy(&mut fa);
        libc::posix_spawnattr_destroy(&mut at);
        libc::close(p[1]);
        let mut err = Vec::new();
        if !close_reader {
            let mut buf = [0u8; 4096];
            loop {
                let n = libc::read(p[0], buf.as_mut_ptr().cast(), buf.len());
                if n <= 0 {
                    break;
                }
                err.extend_from_slice(&buf[..n as usize]);
            }
            libc::close(p[0]);
        }
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        (status, String::from_utf8_lossy(&err).into_owned())
    }
}

#[test]
fn a_monitor_without_argv0_calls_itself_ukvm_bin() {
    // argc 0 (Linux since 5.18 passes one empty argument instead): the
    // command line is read before any VM exists, so this host can run it.
    let (status, err) = spawn(&[], false, false);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 1,
        "status {status:#x}; {err}"
    );
    assert!(
        err.starts_with("ukvm-bin: Missing KERNEL operand\nusage: ukvm-bin [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n"),
        "{err}"
    );
    // The same with an argv[0]: its basename.
    let (status, err) = spawn(&["/some/where/mon"], false, false);
    assert_eq!(libc::WEXITSTATUS(status), 1);
    assert!(
        err.starts_with("mon: Missing KERNEL operand\nusage: mon [ CORE"),
        "{err}"
    );
}

#[test]
fn a_monitor_leaves_sigpipe_as_inherited() {
    // The usage text to a stderr nobody reads. With SIGPIPE at its default
    // the monitor dies by it, as upstream's does (docs/differences.md);
    // ignored (as inherited here), the write fails and the status is the
    // usage's 1.
    let (status, _) = spawn(&["ukvm-bin", "--help"], true, true);
    assert!(
        libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGPIPE,
        "status {status:#x}"
    );
    let (status, _) = spawn(&["ukvm-bin", "--help"], false, true);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 1,
        "status {status:#x}"
    );
}
