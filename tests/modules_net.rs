//! The Rust net module's hypercalls: over a scripted fake tap (every error
//! path), over a socketpair passed as `--net=@NN`, and over real tap
//! interfaces in a private network namespace (down, deleted, short frames).

#[path = "skip_support/mod.rs"]
mod skip;
#[path = "modules_support/mod.rs"]
mod support;

use std::io;
use std::os::fd::RawFd;
use std::process::Command;
use std::sync::Mutex;

use support::{Guest, TEXT};
use ukvm::abi::{ukvm_netinfo, ukvm_netread, ukvm_netwrite};
use ukvm::modules::net::Net;
use ukvm::modules::net_opts::NetTarget;
use ukvm::modules::tap::{FrameIo, Tap};
use ukvm::modules::Fatal;
use vm_memory::VolatileSlice;

const REQ: u64 = 0x1000;
const BUF: u64 = 0x2000;
const MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x42];

/// A tap stand-in answering from a script.
struct Fake {
    sends: Mutex<Vec<io::Result<usize>>>,
    recvs: Mutex<Vec<io::Result<Vec<u8>>>>,
    sent: Mutex<Vec<Vec<u8>>>,
}

impl FrameIo for Fake {
    fn send(&self, frame: &VolatileSlice<'_>) -> io::Result<usize> {
        let mut copy = vec![0; frame.len()];
        frame.copy_to(&mut copy[..]);
        self.sent.lock().unwrap().push(copy);
        self.sends.lock().unwrap().remove(0)
    }
    fn recv(&self, buf: &VolatileSlice<'_>) -> io::Result<usize> {
        let f = self.recvs.lock().unwrap().remove(0)?;
        let n = f.len().min(buf.len());
        buf.copy_from(&f[..n]);
        Ok(f.len())
    }
    fn poll_fd(&self) -> Option<RawFd> {
        None
    }
}

fn fake(sends: Vec<io::Result<usize>>, recvs: Vec<io::Result<Vec<u8>>>) -> Box<Fake> {
    Box::new(Fake {
        sends: Mutex::new(sends),
        recvs: Mutex::new(recvs),
        sent: Mutex::new(vec![]),
    })
}

fn net(io: Box<dyn FrameIo>) -> Net {
    Net {
        io,
        mac: MAC,
        name: "tap-test".into(),
    }
}

fn write_req(g: &Guest, n: &Net, data: u64, len: usize) -> Result<i32, Fatal> {
    g.mem
        .write_obj(
            REQ,
            ukvm_netwrite {
                data,
                len: len as _,
                ret: 99,
                ..Default::default()
            },
        )
        .unwrap();
    n.write(&g.mem, REQ)?;
    Ok(g.mem.read_obj::<ukvm_netwrite>(REQ).unwrap().ret)
}

fn read_req(g: &Guest, n: &Net, data: u64, len: usize) -> Result<(i32, usize), Fatal> {
    g.mem
        .write_obj(
            REQ,
            ukvm_netread {
                data,
                len: len as _,
                ret: 99,
                ..Default::default()
            },
        )
        .unwrap();
    n.read(&g.mem, REQ)?;
    let r: ukvm_netread = g.mem.read_obj(REQ).unwrap();
    Ok((r.ret, r.len))
}

fn os(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

#[test]
fn netinfo_gives_the_mac() {
    let g = Guest::new();
    let n = net(fake(vec![], vec![]));
    n.info(&g.mem, REQ).unwrap();
    assert_eq!(
        g.mem.read_obj::<ukvm_netinfo>(REQ).unwrap().mac_address,
        MAC
    );
    assert!(matches!(
        n.info(&g.mem, TEXT),
        Err(Fatal::ReadOnlyRequest { what: "net", .. })
    ));
}

#[test]
fn frames_the_host_refuses_are_minus_one() {
    // The 13-byte frame: the tap says EINVAL, upstream asserts.
    let g = Guest::new();
    let io = fake(
        vec![
            Err(os(libc::EINVAL)),
            Err(os(libc::EIO)),
            Err(os(libc::ENOBUFS)),
            Err(os(libc::EAGAIN)),
            Ok(10),
            Ok(60),
        ],
        vec![],
    );
    let n = net(io);
    g.fill(BUF, &[0xee; 60]);
    assert_eq!(write_req(&g, &n, BUF, 13).unwrap(), -1, "EINVAL");
    assert_eq!(
        write_req(&g, &n, BUF, 60).unwrap(),
        -1,
        "EIO (interface down)"
    );
    assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), -1, "ENOBUFS");
    assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), -1, "EAGAIN");
    assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), -1, "short send");
    assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), 0);
}

#[test]
fn a_deleted_tap_ends_the_monitor_with_a_message() {
    let g = Guest::new();
    let n = net(fake(
        vec![Err(os(libc::EBADFD))],
        vec![Err(os(libc::EBADFD))],
    ));
    for r in [
        write_req(&g, &n, BUF, 60).map(|_| ()),
        read_req(&g, &n, BUF, 1514).map(|_| ()),
    ] {
        match r {
            Err(Fatal::Host(m)) => {
                assert!(m.starts_with("net: "), "{m}");
                assert!(m.contains("on tap-test failed"), "{m}");
                assert!(m.contains("(tap interface deleted?)"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn reads_give_one_whole_frame_or_minus_one() {
    let g = Guest::new();
    let frame: Vec<u8> = (0..100u8).collect();
    let io = fake(
        vec![],
        vec![
            Err(os(libc::EAGAIN)),
            Ok(vec![]),
            Ok(frame.clone()),
            Ok(vec![1; 200]),
            Ok(frame.clone()),
        ],
    );
    let n = net(io);
    assert_eq!(
        read_req(&g, &n, BUF, 1514).unwrap().0,
        -1,
        "nothing waiting"
    );
    assert_eq!(read_req(&g, &n, BUF, 1514).unwrap().0, -1, "0 bytes");
    assert_eq!(read_req(&g, &n, BUF, 1514).unwrap(), (0, 100));
    assert_eq!(g.bytes(BUF, 100), frame);
    // A FrameIo that reports a frame longer than the buffer (Linux taps
    // cut silently instead): never passed on as whole, the frame is dropped.
    assert_eq!(
        read_req(&g, &n, BUF, 150).unwrap().0,
        -1,
        "cut frame dropped"
    );
    assert_eq!(read_req(&g, &n, BUF, 100).unwrap(), (0, 100), "exact fit");
}

#[test]
fn a_read_over_its_own_request_keeps_the_frame_read() {
    // The frame lands on the request struct; only len, then ret, are
    // stored over it, as upstream does.
    let g = Guest::new();
    let frame: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    let n = net(fake(vec![], vec![Ok(frame.clone()), Ok(frame.clone())]));
    for (data, req_at) in [(REQ, 0usize), (REQ - 30, 30)] {
        assert_eq!(
            read_req(&g, &n, data, 1514).unwrap(),
            (0, 100),
            "data at {data:#x}"
        );
        let mut want = frame.clone();
        let len_at = req_at + std::mem::offset_of!(ukvm_netread, len);
        let ret_at = req_at + std::mem::offset_of!(ukvm_netread, ret);
        want[len_at..len_at + 8].copy_from_slice(&100u64.to_ne_bytes());
        want[ret_at..ret_at + 4].copy_from_slice(&0i32.to_ne_bytes());
        assert_eq!(
            g.bytes(data, 100),
            want,
            "data at {data:#x}: the request's own data pointer must not be written back"
        );
    }
}

#[test]
fn guest_buffers_in_read_only_text_or_outside_memory() {
    let g = Guest::new();
    let io = fake(vec![Ok(60)], vec![]);
    let n = net(io);
    // Reading into text: refused before the tap is touched (the fake has
    // no frame scripted: a recv would panic).
    assert_eq!(read_req(&g, &n, TEXT, 1514).unwrap().0, -1);
    // Sending from text is allowed (the host may read it).
    assert_eq!(write_req(&g, &n, TEXT, 60).unwrap(), 0);
    let top = support::MEM as u64;
    assert!(matches!(
        write_req(&g, &n, top - 10, 60),
        Err(Fatal::Range(..))
    ));
    assert!(matches!(
        read_req(&g, &n, top - 10, 1514),
        Err(Fatal::Range(..))
    ));
    assert!(matches!(
        write_req(&g, &n, BUF, usize::MAX),
        Err(Fatal::Range(..))
    ));
    assert!(matches!(n.read(&g.mem, top - 4), Err(Fatal::Range(..))));
}

fn socketpair() -> (RawFd, RawFd) {
    let mut sv = [0; 2];
    // SAFETY: socketpair fills two descriptors.
    let rc = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET, 0, sv.as_mut_ptr()) };
    assert_eq!(rc, 0);
    (sv[0], sv[1])
}

#[test]
fn at_fd_is_used_as_given_and_made_non_blocking() {
    let (a, b) = socketpair();
    let tap = Tap::attach(&NetTarget::parse(&format!("@{a}"))).unwrap();
    assert_eq!(tap.raw_fd(), a);
    // SAFETY: F_GETFL on our descriptor.
    let flags = unsafe { libc::fcntl(a, libc::F_GETFL) };
    assert_ne!(flags & libc::O_NONBLOCK, 0);
    let g = Guest::new();
    let n = net(Box::new(tap));
    assert_eq!(
        read_req(&g, &n, BUF, 1514).unwrap().0,
        -1,
        "EAGAIN: nothing waiting"
    );
    g.fill(BUF, b"frame-from-guest");
    assert_eq!(write_req(&g, &n, BUF, 16).unwrap(), 0);
    let mut got = [0u8; 64];
    // SAFETY: reading into our buffer.
    let k = unsafe { libc::read(b, got.as_mut_ptr().cast(), 64) };
    assert_eq!(&got[..k as usize], b"frame-from-guest");
    // SAFETY: writing our buffer.
    unsafe { libc::write(b, b"reply".as_ptr().cast(), 5) };
    assert_eq!(read_req(&g, &n, BUF + 0x100, 1514).unwrap(), (0, 5));
    assert_eq!(g.bytes(BUF + 0x100, 5), b"reply");
    // SAFETY: closing our descriptors.
    unsafe { libc::close(b) };
}

#[test]
fn bad_at_fds_and_missing_interfaces_are_refused_with_upstreams_errno() {
    let e = |s: &str| {
        Tap::attach(&NetTarget::parse(s))
            .unwrap_err()
            .raw_os_error()
    };
    assert_eq!(
        e("@x"),
        Some(libc::EINVAL),
        "not a number (upstream: atoi -> stdin)"
    );
    assert_eq!(e("@"), Some(libc::EINVAL));
    assert_eq!(e("@987654"), Some(libc::EBADF), "not open");
    assert_eq!(e("no-such-tap0"), Some(libc::ENOENT));
    assert_eq!(e(""), Some(libc::ENOENT));
    assert_eq!(
        e("abcdefghijklmnopqrstuvwxyz"),
        Some(libc::ENOENT),
        "too long to exist"
    );
}

// ---- real taps, in a private network namespace --------------------------

fn ip(args: &str) {
    let st = Command::new("ip")
        .args(args.split_whitespace())
        .status()
        .expect("run ip");
    assert!(st.success(), "ip {args}");
}

/// Run `body` in a child process inside a new network namespace (root and
/// /dev/net/tun needed; otherwise a `skip` line, see skip_support).
fn in_netns(test: &str, body: impl FnOnce()) {
    if support::scenario().as_deref() == Some(test) {
        // SAFETY: unshare affects only this (child) process.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare: {}", io::Error::last_os_error());
        // No IPv6 in the namespace: its router and neighbour solicitations
        // and MLD reports would come out of the taps at any moment, where
        // the tests expect nothing waiting.
        for conf in ["all", "default"] {
            let knob = format!("/proc/sys/net/ipv6/conf/{conf}/disable_ipv6");
            if std::path::Path::new(&knob).exists() {
                std::fs::write(&knob, "1").unwrap_or_else(|e| panic!("{knob}: {e}"));
            }
        }
        ip("link set lo up");
        body();
        return;
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root
        || !std::path::Path::new("/dev/net/tun").exists()
        || Command::new("ip").arg("-V").output().is_err()
    {
        skip::skip(
            test,
            "needs root, /dev/net/tun and ip(8) for a private network namespace",
        );
        return;
    }
    let o = support::child(test, test, &[]);
    assert!(o.status.success(), "child failed:\n{}", support::text(&o));
}

fn make_tap(name: &str) {
    ip(&format!("tuntap add {name} mode tap"));
}

fn arp_trigger(dst: &str) {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let _ = s.send_to(b"x", (dst, 9));
}

fn wait_frame(g: &Guest, n: &Net, len: usize) -> (i32, usize) {
    for _ in 0..200 {
        let r = read_req(g, n, BUF, len).unwrap();
        if r.0 == 0 {
            return r;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (-1, 0)
}

#[test]
fn tap_attach_needs_an_existing_interface_that_is_up() {
    in_netns("tap_attach_needs_an_existing_interface_that_is_up", || {
        make_tap("tapm0");
        let e = Tap::attach(&NetTarget::parse("tapm0")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENETDOWN), "{e}");
        ip("link set tapm0 up");
        let t = Tap::attach(&NetTarget::parse("tapm0")).unwrap();
        assert!(t.raw_fd() >= 0);
        // A second attach to the same single-queue tap is refused.
        assert_eq!(
            Tap::attach(&NetTarget::parse("tapm0"))
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EBUSY)
        );
        // A template name would make a new device: refused.
        assert!(Tap::attach(&NetTarget::parse("tap%d")).is_err());
        assert_eq!(
            Tap::attach(&NetTarget::parse("lo"))
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EINVAL),
            "not a tap"
        );
    });
}

#[test]
fn real_tap_frames_short_frames_down_and_deleted() {
    in_netns("real_tap_frames_short_frames_down_and_deleted", || {
        make_tap("tapm1");
        ip("link set tapm1 up");
        let g = Guest::new();
        let n = net(Box::new(Tap::attach(&NetTarget::parse("tapm1")).unwrap()));
        ip("addr add 10.9.0.1/24 dev tapm1");
        assert_eq!(
            read_req(&g, &n, BUF, 1514).unwrap().0,
            -1,
            "nothing waiting yet"
        );

        // The kernel's ARP request for 10.9.0.2 comes out of the tap.
        arp_trigger("10.9.0.2");
        let (ret, len) = wait_frame(&g, &n, 1514);
        assert_eq!(ret, 0, "an ARP frame arrives");
        assert_eq!(len, 42);
        assert_eq!(g.bytes(BUF + 12, 2), [0x08, 0x06], "ethertype ARP");

        // A frame longer than the buffer: the tap itself cuts it to the
        // buffer and says so with nothing (IFF_NO_PI), as upstream sees it.
        arp_trigger("10.9.0.3");
        assert_eq!(
            wait_frame(&g, &n, 20),
            (0, 20),
            "cut by the tap to the buffer's size"
        );

        // The 13-byte frame (upstream asserts) and a good one.
        let mut frame = vec![0xffu8; 6];
        frame.extend_from_slice(&MAC);
        frame.extend_from_slice(&[0x08, 0x06]);
        frame.resize(60, 0);
        g.fill(BUF, &frame);
        assert_eq!(write_req(&g, &n, BUF, 13).unwrap(), -1, "13-byte frame");
        assert_eq!(write_req(&g, &n, BUF, 0).unwrap(), -1, "empty frame");
        assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), 0);
        // Oversized frames: the kernel decides (6.x takes 70000 bytes);
        // either answer is a plain ret, never an abort.
        for len in [70000, 900_000] {
            let r = write_req(&g, &n, BUF, len).unwrap();
            assert!(r == 0 || r == -1, "{len}: {r}");
        }

        // Interface set down: writes fail, reads find nothing; up again works.
        // (First take what is still queued: ARP retries for 10.9.0.3.)
        while read_req(&g, &n, BUF, 1514).unwrap().0 == 0 {}
        ip("link set tapm1 down");
        assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), -1, "down");
        assert_eq!(read_req(&g, &n, BUF, 1514).unwrap().0, -1);
        ip("link set tapm1 up");
        assert_eq!(write_req(&g, &n, BUF, 60).unwrap(), 0, "up again");

        // Interface deleted: a clear fatal error, not a spinning guest.
        ip("link del tapm1");
        match read_req(&g, &n, BUF, 1514) {
            Err(Fatal::Host(m)) => assert!(m.contains("tap interface deleted?"), "{m}"),
            other => panic!("read after delete: {other:?}"),
        }
        match write_req(&g, &n, BUF, 60) {
            Err(Fatal::Host(m)) => assert!(m.contains("write on tap-test failed"), "{m}"),
            other => panic!("write after delete: {other:?}"),
        }
    });
}
