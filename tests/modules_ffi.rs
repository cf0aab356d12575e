//! The C-ABI side of the Rust modules: `ukvm_module_rust_blk` and
//! `ukvm_module_rust_net` driven as the core drives them (handle_cmdarg,
//! setup with an installed monitor's `hv`, the monitor's freeze, then
//! hypercalls through `ukvm_core_hypercalls` as C sees them and through
//! the monitor's own dispatch), each scenario in a child process because
//! the options and the monitor are process-wide. Also checks the
//! `module_table!` macro, used here as a Rust embedder would.

#[path = "modules_support/mod.rs"]
mod support;

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr::addr_of;

use support::{child, scenario, text, Bytes, Scratch, TEXT};
use ukvm::abi::*;
use ukvm::modules::{ukvm_module_rust_blk, ukvm_module_rust_net};
use ukvm::monitor::global::ukvm_core_hypercalls;
use ukvm::monitor::registry::Handler;
use ukvm::monitor::{HypercallOutcome, Monitor};

ukvm::module_table!(core, rust_blk, rust_net);

fn blk() -> &'static UkvmModule {
    // SAFETY: a static the library never writes after start.
    unsafe { &*addr_of!(ukvm_module_rust_blk) }
}

fn net() -> &'static UkvmModule {
    // SAFETY: as above.
    unsafe { &*addr_of!(ukvm_module_rust_net) }
}

fn cmdarg(m: &UkvmModule, arg: &str) -> i32 {
    // Leaked: modules may keep the pointer, as they keep argv's.
    let c = CString::new(arg).unwrap().into_raw();
    // SAFETY: a valid C string that lives for the process.
    unsafe { (m.handle_cmdarg.unwrap())(c) }
}

fn setup(m: &UkvmModule, hv: *mut UkvmHv) -> i32 {
    // SAFETY: hv is the installed monitor's, or a valid struct of ours.
    unsafe { (m.setup.unwrap())(hv) }
}

/// A hypercall as C sees it: the entry point in `ukvm_core_hypercalls`.
fn call(nr: u32, hv: *mut UkvmHv, gpa: u64) {
    // SAFETY: a plain read of the table.
    let f = unsafe { (*addr_of!(ukvm_core_hypercalls))[nr as usize] }.expect("handler registered");
    // SAFETY: a registered handler with the monitor's hv (or a valid
    // struct of ours), as the vCPU loop would call it.
    unsafe { f(hv, gpa) }
}

/// A hypercall as the monitor's loop makes it (the frozen table).
fn dispatch(m: &Monitor, nr: u32, gpa: u64) -> Result<HypercallOutcome, ukvm::error::Fatal> {
    // SAFETY: the handlers registered are the library's modules', which
    // take the monitor's hv.
    unsafe { m.hypercall(nr.into(), gpa) }
}

fn cstr(p: *const c_char) -> String {
    // SAFETY: module strings are static C strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Run `scenario` in a child; expect its status and output fragments.
fn expect(test: &str, sc: &str, env: &[(&str, &str)], status: i32, want: &[&str]) {
    let o = child(test, sc, env);
    let out = text(&o);
    assert_eq!(
        o.status.code(),
        Some(status),
        "{sc}: status; output:\n{out}"
    );
    for w in want {
        assert!(out.contains(w), "{sc}: missing {w:?} in:\n{out}");
    }
    assert!(
        !out.contains("panicked") || status != 0 || want.iter().any(|w| w.contains("panicked")),
        "{out}"
    );
}

#[test]
fn names_and_usage_are_upstreams() {
    assert_eq!(cstr(blk().name), "blk");
    assert_eq!(cstr(net().name), "net");
    // SAFETY: usage callbacks take nothing and return static strings.
    let (bu, nu) = unsafe { ((blk().usage.unwrap())(), (net().usage.unwrap())()) };
    assert_eq!(
        cstr(bu),
        "--disk=IMAGE (file exposed to the unikernel as a raw block device)"
    );
    assert_eq!(
        cstr(nu),
        "--net=TAP (host tap device for guest network interface or @NN tap fd)\n    [ --net-mac=HWADDR ] (guest MAC address)"
    );
}

#[test]
fn module_table_macro_lists_core_then_ours() {
    let names: Vec<String> = ukvm::monitor::modules::all()
        .into_iter()
        .map(ukvm::monitor::modules::name)
        .collect();
    assert_eq!(names, ["core", "blk", "net"]);
}

/// The child side of every scenario (MODULES_CHILD names it): not a test
/// of its own, so ignored in a plain run; `support::child` runs it. Each
/// installs a monitor over guest memory whose TEXT page is read-only,
/// except the `foreign-` ones, which hand the modules a `struct ukvm_hv`
/// of their own.
#[test]
#[ignore = "child-process entry point of the scenario tests"]
fn child_scenarios() {
    let Some(sc) = scenario() else {
        panic!("run only as a child, with MODULES_CHILD set");
    };
    let disk = std::env::var("DISK").unwrap_or_default();
    if let Some(rest) = sc.strip_prefix("foreign-") {
        return foreign_scenario(rest, &disk);
    }
    let m = support::install_monitor();
    let hv = m.hv_ptr();
    let mem = m.mem();
    let blkread = |sector: usize, data: u64, len: usize| ukvm_blkread {
        sector,
        data,
        len,
        ret: 9,
        ..Default::default()
    };
    match sc.as_str() {
        "blk-options" => {
            assert_eq!(cmdarg(blk(), "--diskx"), -1);
            assert_eq!(cmdarg(blk(), "--net=tap0"), -1);
            assert_eq!(setup(blk(), hv), -1, "no --disk: setup fails, no exit");
            assert_eq!(cmdarg(blk(), "--disk=/nonexistent/first"), 0);
            assert_eq!(cmdarg(blk(), &format!("--disk={disk}")), 0, "last one wins");
            assert_eq!(setup(blk(), hv), 0);
            println!("blk-options ok");
        }
        "blk-missing" => {
            cmdarg(blk(), "--disk=/nonexistent/disk.img");
            setup(blk(), hv);
            println!("not reached");
        }
        "blk-calls" => {
            cmdarg(blk(), &format!("--disk={disk}"));
            assert_eq!(setup(blk(), hv), 0);
            m.freeze();
            call(UKVM_HYPERCALL_BLKINFO, hv, 0x1000);
            let i: ukvm_blkinfo = mem.read_obj(0x1000).unwrap();
            assert_eq!((i.sector_size, i.num_sectors, i.rw), (512, 16, 1));
            mem.fill(0x3000, &[0x5a; 512]);
            mem.write_obj(
                0x1000,
                ukvm_blkwrite {
                    sector: 15,
                    data: 0x3000,
                    len: 512,
                    ret: 9,
                    ..Default::default()
                },
            )
            .unwrap();
            call(UKVM_HYPERCALL_BLKWRITE, hv, 0x1000);
            assert_eq!(mem.read_obj::<ukvm_blkwrite>(0x1000).unwrap().ret, 0);
            mem.write_obj(0x1000, blkread(15, 0x4000, 512)).unwrap();
            call(UKVM_HYPERCALL_BLKREAD, hv, 0x1000);
            assert_eq!(mem.read_obj::<ukvm_blkread>(0x1000).unwrap().ret, 0);
            assert_eq!(mem.bytes(0x4000, 512), vec![0x5a; 512]);
            mem.write_obj(0x1000, blkread(16, 0x4000, 512)).unwrap();
            call(UKVM_HYPERCALL_BLKREAD, hv, 0x1000);
            assert_eq!(mem.read_obj::<ukvm_blkread>(0x1000).unwrap().ret, -1);
            mem.write_obj(0x1000, blkread(0, 0x1000, usize::MAX))
                .unwrap();
            call(UKVM_HYPERCALL_BLKREAD, hv, 0x1000);
            assert_eq!(
                mem.read_obj::<ukvm_blkread>(0x1000).unwrap().ret,
                -1,
                "len > SSIZE_MAX"
            );
            // The monitor's loop calls the Rust twins directly.
            let frozen = m.frozen().unwrap();
            for nr in [
                UKVM_HYPERCALL_BLKINFO,
                UKVM_HYPERCALL_BLKWRITE,
                UKVM_HYPERCALL_BLKREAD,
            ] {
                assert!(
                    matches!(frozen.hypercall(nr.into()), Handler::Native(_)),
                    "{nr}"
                );
            }
            mem.fill(0x4000, &[0; 512]);
            mem.write_obj(0x1000, blkread(15, 0x4000, 512)).unwrap();
            assert_eq!(
                dispatch(m, UKVM_HYPERCALL_BLKREAD, 0x1000).unwrap(),
                HypercallOutcome::Continue
            );
            assert_eq!(mem.read_obj::<ukvm_blkread>(0x1000).unwrap().ret, 0);
            assert_eq!(mem.bytes(0x4000, 512), vec![0x5a; 512]);
            // Its fatal errors come back as values, for main to print.
            let e = dispatch(m, UKVM_HYPERCALL_BLKREAD, (support::MEM - 8) as u64).unwrap_err();
            assert!(
                e.to_string()
                    .contains(": Invalid guest access: gpa=0xffff8, sz=32"),
                "{e}"
            );
            let e = dispatch(m, UKVM_HYPERCALL_BLKINFO, TEXT).unwrap_err();
            assert_eq!(
                e.to_string(),
                "blk: guest request at gpa=0x10000, sz=24 is in read-only guest memory"
            );
            println!("blk-calls ok");
        }
        "blk-bad-gpa" => {
            cmdarg(blk(), &format!("--disk={disk}"));
            setup(blk(), hv);
            call(UKVM_HYPERCALL_BLKREAD, hv, (support::MEM - 8) as u64);
            println!("not reached");
        }
        "blk-request-in-text" => {
            // TEXT is read-only in the host and in the monitor's snapshot
            // (taken again at the freeze after setup, as at start-up).
            cmdarg(blk(), &format!("--disk={disk}"));
            setup(blk(), hv);
            m.freeze();
            mem.write_obj(0x1000, blkread(0, TEXT, 512)).unwrap();
            call(UKVM_HYPERCALL_BLKREAD, hv, 0x1000);
            assert_eq!(
                mem.read_obj::<ukvm_blkread>(0x1000).unwrap().ret,
                -1,
                "read into text refused"
            );
            println!("read into text: ret -1");
            call(UKVM_HYPERCALL_BLKINFO, hv, TEXT);
            println!("not reached (a store into the read-only page would be SIGSEGV)");
        }
        "blk-twice" => {
            unsafe extern "C" fn dummy(_: *mut UkvmHv, _: u64) {}
            assert_eq!(
                ukvm::monitor::global::register_hypercall(
                    UKVM_HYPERCALL_BLKREAD as i32,
                    Some(dummy)
                ),
                0
            );
            cmdarg(blk(), &format!("--disk={disk}"));
            assert_eq!(setup(blk(), hv), -1);
            println!("blk-twice ok");
        }
        "net-options" => {
            assert_eq!(cmdarg(net(), "--net-mac=zz:00:00:00:00:01"), -1);
            assert_eq!(cmdarg(net(), "--net-mac=02:00:00:00:00:01 trailing"), -1);
            assert_eq!(cmdarg(net(), "--disk=x"), -1);
            assert_eq!(setup(net(), hv), -1, "no --net: setup fails, no exit");
            assert_eq!(cmdarg(net(), "--net-mac=02:aa:bb:cc:dd:0e"), 0);
            let (a, _b) = socketpair();
            assert_eq!(cmdarg(net(), &format!("--net=@{a}")), 0);
            assert_eq!(setup(net(), hv), 0);
            assert_eq!(m.freeze().poll_fds(), [a], "fd registered for POLL");
            call(UKVM_HYPERCALL_NETINFO, hv, 0x1000);
            assert_eq!(
                mem.read_obj::<ukvm_netinfo>(0x1000).unwrap().mac_address,
                [2, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e]
            );
            let netread = ukvm_netread {
                data: 0x2000,
                len: 1514,
                ret: 9,
                ..Default::default()
            };
            mem.write_obj(0x1000, netread).unwrap();
            call(UKVM_HYPERCALL_NETREAD, hv, 0x1000);
            assert_eq!(
                mem.read_obj::<ukvm_netread>(0x1000).unwrap().ret,
                -1,
                "nothing waiting"
            );
            mem.write_obj(0x1000, netread).unwrap();
            assert_eq!(
                dispatch(m, UKVM_HYPERCALL_NETREAD, 0x1000).unwrap(),
                HypercallOutcome::Continue
            );
            assert_eq!(
                mem.read_obj::<ukvm_netread>(0x1000).unwrap().ret,
                -1,
                "nothing waiting"
            );
            println!("net-options ok");
        }
        "net-random-mac" => {
            let (a, _b) = socketpair();
            cmdarg(net(), &format!("--net=@{a}"));
            assert_eq!(setup(net(), hv), 0);
            call(UKVM_HYPERCALL_NETINFO, hv, 0x1000);
            let mac = mem.read_obj::<ukvm_netinfo>(0x1000).unwrap().mac_address;
            assert_eq!(mac[0] & 3, 2, "local, unicast");
            println!(
                "mac={}",
                mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
        }
        "net-bad-fd" => {
            cmdarg(net(), "--net=@x");
            setup(net(), hv);
            println!("not reached");
        }
        "net-closed-fd" => {
            cmdarg(net(), "--net=@987654");
            setup(net(), hv);
            println!("not reached");
        }
        "net-no-tap" => {
            cmdarg(net(), "--net=nosuchtap0");
            setup(net(), hv);
            println!("not reached");
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// Scenarios with a `struct ukvm_hv` that is not an installed monitor's.
fn foreign_scenario(sc: &str, disk: &str) {
    let mem = support::guest_mem();
    let mut own = UkvmHv {
        mem: mem.host_base(),
        mem_size: mem.size(),
        b: std::ptr::null_mut(),
    };
    match sc {
        "setup" => {
            cmdarg(blk(), &format!("--disk={disk}"));
            assert_eq!(setup(blk(), &mut own), -1, "no monitor to keep the disk in");
            let (a, _b) = socketpair();
            cmdarg(net(), &format!("--net=@{a}"));
            assert_eq!(setup(net(), &mut own), -1);
            println!("foreign-setup ok");
        }
        "call" => {
            let m = support::install_monitor();
            cmdarg(blk(), &format!("--disk={disk}"));
            assert_eq!(setup(blk(), m.hv_ptr()), 0);
            call(UKVM_HYPERCALL_BLKINFO, &mut own, 0x1000);
            println!("not reached");
        }
        other => panic!("unknown scenario foreign-{other}"),
    }
}

fn socketpair() -> (i32, i32) {
    let mut sv = [0; 2];
    // SAFETY: socketpair fills two descriptors.
    let rc = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET, 0, sv.as_mut_ptr()) };
    assert_eq!(rc, 0);
    (sv[0], sv[1])
}

const T: &str = "child_scenarios";

fn disk_image(s: &Scratch) -> String {
    let p = s.path("d.img");
    std::fs::File::create(&p)
        .unwrap()
        .set_len(16 * 512 + 7)
        .unwrap();
    p.display().to_string()
}

#[test]
fn blk_options_setup_and_calls() {
    let s = Scratch::new("ffi-blk");
    let d = disk_image(&s);
    expect(T, "blk-options", &[("DISK", &d)], 0, &["blk-options ok"]);
    expect(T, "blk-calls", &[("DISK", &d)], 0, &["blk-calls ok"]);
    let img = std::fs::read(&d).unwrap();
    assert_eq!(
        &img[15 * 512..16 * 512],
        &[0x5a; 512][..],
        "written through the C entry"
    );
    assert_eq!(img.len(), 16 * 512 + 7);
}

#[test]
fn blk_setup_failures_are_upstreams_messages() {
    expect(
        T,
        "blk-missing",
        &[],
        1,
        &["Could not open disk: /nonexistent/disk.img: No such file or directory"],
    );
    let s = Scratch::new("ffi-blk2");
    let d = disk_image(&s);
    expect(
        T,
        "blk-twice",
        &[("DISK", &d)],
        0,
        &[
            &format!(
                "blk: hypercall {UKVM_HYPERCALL_BLKREAD} is already registered (is another blk module compiled in?)"
            ),
            "blk-twice ok",
        ],
    );
}

#[test]
fn blk_fatal_requests_end_with_a_message_and_status_1() {
    let s = Scratch::new("ffi-blk3");
    let d = disk_image(&s);
    expect(
        T,
        "blk-bad-gpa",
        &[("DISK", &d)],
        1,
        &["Invalid guest access: gpa=0xffff8, sz=32"],
    );
    expect(
        T,
        "blk-request-in-text",
        &[("DISK", &d)],
        1,
        &[
            "read into text: ret -1",
            "blk: guest request at gpa=0x10000, sz=24 is in read-only guest memory",
        ],
    );
}

#[test]
fn a_struct_ukvm_hv_that_is_not_the_monitors_is_refused() {
    let s = Scratch::new("ffi-foreign");
    let d = disk_image(&s);
    expect(
        T,
        "foreign-setup",
        &[("DISK", &d)],
        0,
        &[
            "blk: setup called without the monitor's struct ukvm_hv",
            "net: setup called without the monitor's struct ukvm_hv",
            "foreign-setup ok",
        ],
    );
    expect(
        T,
        "foreign-call",
        &[("DISK", &d)],
        1,
        &["blk: hypercall with a struct ukvm_hv that is not the monitor's"],
    );
}

#[test]
fn net_options_setup_and_calls() {
    expect(
        T,
        "net-options",
        &[],
        0,
        &["Malformed mac address: zz:00:00:00:00:01", "net-options ok"],
    );
    let a = text(&child(T, "net-random-mac", &[]));
    let b = text(&child(T, "net-random-mac", &[]));
    let mac = |s: &str| {
        s.split_whitespace()
            .find(|w| w.starts_with("mac="))
            .map(str::to_owned)
    };
    assert!(mac(&a).is_some() && mac(&b).is_some(), "{a}\n{b}");
    assert_ne!(mac(&a), mac(&b), "random per run");
}

#[test]
fn net_attach_failures_are_upstreams_messages() {
    expect(
        T,
        "net-bad-fd",
        &[],
        1,
        &["Could not attach interface: @x: Invalid argument"],
    );
    expect(
        T,
        "net-closed-fd",
        &[],
        1,
        &["Could not attach interface: @987654: Bad file descriptor"],
    );
    expect(
        T,
        "net-no-tap",
        &[],
        1,
        &["Could not attach interface: nosuchtap0: No such file or directory"],
    );
}
