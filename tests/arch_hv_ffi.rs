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
        text(&o.stderr).contains(&format!(": guest memory size {over} bytes exceeds the max size {MAX} bytes")),
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
