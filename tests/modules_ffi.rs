//! The C-ABI side of the Rust modules: `ukvm_module_rust_blk` and
//! `ukvm_module_rust_net` driven as the core drives them (handle_cmdarg,
//! setup, hypercalls through `ukvm_core_hypercalls`), each scenario in a
//! child process because module state is process-wide. Also checks the
//! `module_table!` macro, used here as a Rust embedder would.

#[path = "modules_support/mod.rs"]
mod support;

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr::addr_of;

use support::{child, scenario, text, Guest, Scratch, TEXT};
use ukvm::abi::*;
use ukvm::modules::{ukvm_module_rust_blk, ukvm_module_rust_net};
use ukvm::monitor::global::ukvm_core_hypercalls;

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

fn setup(m: &UkvmModule, hv: &mut UkvmHv) -> i32 {
    // SAFETY: hv describes live test memory.
    unsafe { (m.setup.unwrap())(hv) }
}

fn call(nr: u32, hv: &mut UkvmHv, gpa: u64) {
    // SAFETY: a plain read of the table, then a registered handler called
    // with live test memory, as the vCPU loop would.
    let f = unsafe { (*addr_of!(ukvm_core_hypercalls))[nr as usize] }.expect("handler registered");
    // SAFETY: as above: a registered handler, live test memory.
    unsafe { f(hv, gpa) }
}

fn cstr(p: *const c_char) -> String {
    // SAFETY: module strings are static C strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Run `scenario` in a child; expect its status and output fragments.
fn expect(test: &str, sc: &str, env: &[(&str, &str)], status: i32, want: &[&str]) {
    let o = child(test, sc, env);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(status), "{sc}: status; output:\n{out}");
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
/// of its own, so ignored in a plain run; `support::child` runs it.
#[test]
#[ignore = "child-process entry point of the scenario tests"]
fn child_scenarios() {
    let Some(sc) = scenario() else {
        panic!("run only as a child, with MODULES_CHILD set");
    };
    let g = Guest::new();
    let mut hv = g.hv();
    let disk = std::env::var("DISK").unwrap_or_default();
    match sc.as_str() {
        "blk-options" => {
            assert_eq!(cmdarg(blk(), "--diskx"), -1);
            assert_eq!(cmdarg(blk(), "--net=tap0"), -1);
            assert_eq!(setup(blk(), &mut hv), -1, "no --disk: setup fails, no exit");
            assert_eq!(cmdarg(blk(), "--disk=/nonexistent/first"), 0);
            assert_eq!(cmdarg(blk(), &format!("--disk={disk}")), 0, "last one wins");
            assert_eq!(setup(blk(), &mut hv), 0);
            println!("blk-options ok");
        }
        "blk-missing" => {
            cmdarg(blk(), "--disk=/nonexistent/disk.img");
            setup(blk(), &mut hv);
            println!("not reached");
        }
        "blk-calls" => {
            cmdarg(blk(), &format!("--disk={disk}"));
            assert_eq!(setup(blk(), &mut hv), 0);
            call(UKVM_HYPERCALL_BLKINFO, &mut hv, 0x1000);
            let i: ukvm_blkinfo = g.mem.read(0x1000).unwrap();
            assert_eq!((i.sector_size, i.num_sectors, i.rw), (512, 16, 1));
            g.fill(0x3000, &[0x5a; 512]);
            g.mem
                .write(
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
            call(UKVM_HYPERCALL_BLKWRITE, &mut hv, 0x1000);
            assert_eq!(g.mem.read::<ukvm_blkwrite>(0x1000).unwrap().ret, 0);
            g.mem
                .write(
                    0x1000,
                    ukvm_blkread {
                        sector: 15,
                        data: 0x4000,
                        len: 512,
                        ret: 9,
                        ..Default::default()
                    },
                )
                .unwrap();
            call(UKVM_HYPERCALL_BLKREAD, &mut hv, 0x1000);
            assert_eq!(g.mem.read::<ukvm_blkread>(0x1000).unwrap().ret, 0);
            assert_eq!(g.bytes(0x4000, 512), vec![0x5a; 512]);
            g.mem
                .write(
                    0x1000,
                    ukvm_blkread {
                        sector: 16,
                        data: 0x4000,
                        len: 512,
                        ret: 9,
                        ..Default::default()
                    },
                )
                .unwrap();
            call(UKVM_HYPERCALL_BLKREAD, &mut hv, 0x1000);
            assert_eq!(g.mem.read::<ukvm_blkread>(0x1000).unwrap().ret, -1);
            g.mem
                .write(
                    0x1000,
                    ukvm_blkread {
                        sector: 0,
                        data: 0x1000,
                        len: usize::MAX,
                        ret: 9,
                        ..Default::default()
                    },
                )
                .unwrap();
            call(UKVM_HYPERCALL_BLKREAD, &mut hv, 0x1000);
            assert_eq!(g.mem.read::<ukvm_blkread>(0x1000).unwrap().ret, -1, "len > SSIZE_MAX");
            println!("blk-calls ok");
        }
        "blk-bad-gpa" => {
            cmdarg(blk(), &format!("--disk={disk}"));
            setup(blk(), &mut hv);
            call(UKVM_HYPERCALL_BLKREAD, &mut hv, (support::MEM - 8) as u64);
            println!("not reached");
        }
        "blk-request-in-text" => {
            // The loader's own path marks TEXT read-only (as for a kernel's
            // text) and records it; the module snapshots that at setup.
            let text = ukvm::elf::Segment {
                index: 0,
                gpa: TEXT,
                offset: 0,
                filesz: 0,
                memsz: support::PAGE,
                flags: 5,
            };
            // SAFETY: TEXT lies inside the test mapping; nothing writes it.
            unsafe { ukvm::elf::protect::apply(g.base(), support::MEM, &[text]) }.unwrap();
            cmdarg(blk(), &format!("--disk={disk}"));
            setup(blk(), &mut hv);
            g.mem
                .write(
                    0x1000,
                    ukvm_blkread {
                        sector: 0,
                        data: TEXT,
                        len: 512,
                        ret: 9,
                        ..Default::default()
                    },
                )
                .unwrap();
            call(UKVM_HYPERCALL_BLKREAD, &mut hv, 0x1000);
            assert_eq!(
                g.mem.read::<ukvm_blkread>(0x1000).unwrap().ret,
                -1,
                "read into text refused"
            );
            println!("read into text: ret -1");
            call(UKVM_HYPERCALL_BLKINFO, &mut hv, TEXT);
            println!("not reached (a store into the read-only page would be SIGSEGV)");
        }
        "blk-twice" => {
            unsafe extern "C" fn dummy(_: *mut UkvmHv, _: u64) {}
            assert_eq!(
                ukvm::monitor::global::register_hypercall(UKVM_HYPERCALL_BLKREAD as i32, Some(dummy)),
                0
            );
            cmdarg(blk(), &format!("--disk={disk}"));
            assert_eq!(setup(blk(), &mut hv), -1);
            println!("blk-twice ok");
        }
        "net-options" => {
            assert_eq!(cmdarg(net(), "--net-mac=zz:00:00:00:00:01"), -1);
            assert_eq!(cmdarg(net(), "--net-mac=02:00:00:00:00:01 trailing"), -1);
            assert_eq!(cmdarg(net(), "--disk=x"), -1);
            assert_eq!(setup(net(), &mut hv), -1, "no --net: setup fails, no exit");
            assert_eq!(cmdarg(net(), "--net-mac=02:aa:bb:cc:dd:0e"), 0);
            let (a, _b) = socketpair();
            assert_eq!(cmdarg(net(), &format!("--net=@{a}")), 0);
            assert_eq!(setup(net(), &mut hv), 0);
            assert!(
                ukvm::monitor::global::pollfds().iter().any(|p| p.fd == a),
                "fd registered for POLL"
            );
            call(UKVM_HYPERCALL_NETINFO, &mut hv, 0x1000);
            assert_eq!(
                g.mem.read::<ukvm_netinfo>(0x1000).unwrap().mac_address,
                [2, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e]
            );
            g.mem
                .write(
                    0x1000,
                    ukvm_netread {
                        data: 0x2000,
                        len: 1514,
                        ret: 9,
                        ..Default::default()
                    },
                )
                .unwrap();
            call(UKVM_HYPERCALL_NETREAD, &mut hv, 0x1000);
            assert_eq!(g.mem.read::<ukvm_netread>(0x1000).unwrap().ret, -1, "nothing waiting");
            println!("net-options ok");
        }
        "net-random-mac" => {
            let (a, _b) = socketpair();
            cmdarg(net(), &format!("--net=@{a}"));
            assert_eq!(setup(net(), &mut hv), 0);
            call(UKVM_HYPERCALL_NETINFO, &mut hv, 0x1000);
            let m = g.mem.read::<ukvm_netinfo>(0x1000).unwrap().mac_address;
            assert_eq!(m[0] & 3, 2, "local, unicast");
            println!("mac={}", m.iter().map(|b| format!("{b:02x}")).collect::<String>());
        }
        "net-bad-fd" => {
            cmdarg(net(), "--net=@x");
            setup(net(), &mut hv);
            println!("not reached");
        }
        "net-closed-fd" => {
            cmdarg(net(), "--net=@987654");
            setup(net(), &mut hv);
            println!("not reached");
        }
        "net-no-tap" => {
            cmdarg(net(), "--net=nosuchtap0");
            setup(net(), &mut hv);
            println!("not reached");
        }
        other => panic!("unknown scenario {other}"),
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
    std::fs::File::create(&p).unwrap().set_len(16 * 512 + 7).unwrap();
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
    let mac = |s: &str| s.split_whitespace().find(|w| w.starts_with("mac=")).map(str::to_owned);
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
