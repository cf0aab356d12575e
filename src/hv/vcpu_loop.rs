//! The vCPU run loop, written against two small traits and the
//! architecture's hypercall decoder, so that tests drive it with synthetic
//! exits and no KVM.
//!
//! Order per iteration, as upstream: enter the guest (EINTR retried; EFAULT
//! is a host/guest translation fault), let registered vmexit handlers look
//! at the exit first, then decode it: hypercalls are dispatched, HALT ends
//! the loop with the guest's status, anything else is fatal.

use std::fmt;
use std::io;

use super::exit::{Exit, Hypercall};
use super::Fatal;

/// A failed guest entry (KVM_RUN returning -1).
#[derive(Debug)]
pub enum RunError {
    /// EINTR: a signal arrived; enter again.
    Interrupted,
    /// EFAULT: KVM could not translate a guest access to host memory.
    Fault,
    /// Anything else.
    Os(io::Error),
}

impl RunError {
    /// Classify an errno from KVM_RUN.
    pub fn from_errno(errno: i32) -> RunError {
        match errno {
            libc::EINTR => RunError::Interrupted,
            libc::EFAULT => RunError::Fault,
            e => RunError::Os(io::Error::from_raw_os_error(e)),
        }
    }
}

/// The vCPU as the loop needs it.
pub trait Vcpu {
    /// Enter the guest until the next exit.
    fn run(&mut self) -> Result<(), RunError>;
    /// The exit the last successful `run` produced.
    fn exit(&mut self) -> Exit;
    /// The guest program counter, for messages.
    fn pc(&mut self) -> io::Result<u64>;
}

/// The monitor core as the loop needs it.
pub trait Core {
    /// Offer the exit to registered vmexit handlers in order; true if one
    /// handled it.
    fn vmexit_handlers(&mut self) -> bool;
    /// Run hypercall `nr`; Some(status) if the guest halted.
    fn hypercall(&mut self, nr: u64, gpa: u64) -> Result<Option<i32>, Fatal>;
}

/// What an architecture makes of an exit: None if it is no hypercall at
/// all (an unhandled exit), else the hypercall or why it is invalid.
pub type Decoded<E> = Option<Result<Hypercall, E>>;

fn pc_or(vcpu: &mut impl Vcpu, what: &'static str) -> Result<u64, Fatal> {
    vcpu.pc().map_err(|e| Fatal::Os(what.into(), e))
}

fn unhandled(vcpu: &mut impl Vcpu, reason: u32) -> Fatal {
    match pc_or(vcpu, "KVM: Dump PC failed after unhandled exit") {
        Ok(pc) => Fatal::Msg(format!(
            "KVM: unhandled exit: exit_reason=0x{reason:x}, pc=0x{pc:x}"
        )),
        Err(e) => e,
    }
}

/// Run until the guest halts (Ok(status)) or something is fatal. `decode`
/// is the architecture's hypercall decoder.
#[inline]
pub fn run_loop<V, C, D, E>(vcpu: &mut V, core: &mut C, decode: D) -> Result<i32, Fatal>
where
    V: Vcpu,
    C: Core,
    D: Fn(&Exit) -> Decoded<E>,
    E: fmt::Display,
{
    loop {
        match vcpu.run() {
            Ok(()) => {}
            Err(RunError::Interrupted) => continue,
            Err(RunError::Fault) => {
                let pc = pc_or(vcpu, "KVM: Dump PC failed after guest fault")?;
                return Err(Fatal::Msg(format!(
                    "KVM: host/guest translation fault: pc=0x{pc:x}"
                )));
            }
            Err(RunError::Os(e)) => return Err(Fatal::Os("KVM: ioctl (RUN) failed".into(), e)),
        }

        if core.vmexit_handlers() {
            continue;
        }

        let exit = vcpu.exit();
        match exit {
            Exit::FailEntry { reason } => {
                return Err(Fatal::Msg(format!(
                    "KVM: entry failure: hw_entry_failure_reason=0x{reason:x}"
                )))
            }
            Exit::InternalError { suberror } => {
                return Err(Fatal::Msg(format!(
                    "KVM: internal error exit: suberror=0x{suberror:x}"
                )))
            }
            _ => match decode(&exit) {
                Some(Ok(call)) => {
                    if let Some(status) = core.hypercall(call.nr, call.gpa)? {
                        return Ok(status);
                    }
                }
                Some(Err(e)) => return Err(Fatal::Msg(e.to_string())),
                None => return Err(unhandled(vcpu, exit.reason())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::aarch64::mmio::decode_exit;
    use crate::hv::exit::{MmioAccess, PortIo};
    use std::collections::VecDeque;

    /// A scripted vCPU: each step is what one `run` does.
    struct Script {
        steps: VecDeque<Result<Exit, i32>>,
        current: Option<Exit>,
        pc: Option<u64>,
        runs: usize,
    }

    impl Script {
        fn new(steps: Vec<Result<Exit, i32>>) -> Self {
            Script {
                steps: steps.into(),
                current: None,
                pc: Some(0x10_0040),
                runs: 0,
            }
        }
    }

    impl Vcpu for Script {
        fn run(&mut self) -> Result<(), RunError> {
            self.runs += 1;
            match self.steps.pop_front().expect("guest ran past the script") {
                Ok(e) => {
                    self.current = Some(e);
                    Ok(())
                }
                Err(errno) => Err(RunError::from_errno(errno)),
            }
        }
        fn exit(&mut self) -> Exit {
            self.current.expect("exit read before a run")
        }
        fn pc(&mut self) -> io::Result<u64> {
            self.pc
                .ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))
        }
    }

    /// A recording core: handlers claim the first `claims` exits; hypercall
    /// 10 (HALT) halts with the gpa as status.
    #[derive(Default)]
    struct Rec {
        claims: usize,
        handler_calls: usize,
        calls: Vec<(u64, u64)>,
    }

    impl Core for Rec {
        fn vmexit_handlers(&mut self) -> bool {
            self.handler_calls += 1;
            if self.claims > 0 {
                self.claims -= 1;
                true
            } else {
                false
            }
        }
        fn hypercall(&mut self, nr: u64, gpa: u64) -> Result<Option<i32>, Fatal> {
            self.calls.push((nr, gpa));
            if nr == 4 {
                return Err(Fatal::Msg("Invalid guest hypercall: num=4".into()));
            }
            Ok((nr == 10).then_some(gpa as i32))
        }
    }

    fn store(addr: u64, len: u32, v: u32) -> Exit {
        let mut data = [0u8; 8];
        data[..4].copy_from_slice(&v.to_le_bytes());
        Exit::Mmio(MmioAccess {
            addr,
            is_write: true,
            len,
            data,
        })
    }

    fn run(steps: Vec<Result<Exit, i32>>, core: &mut Rec) -> (Result<i32, Fatal>, Script) {
        let mut v = Script::new(steps);
        let r = run_loop(&mut v, core, decode_exit);
        (r, v)
    }

    #[test]
    fn hypercalls_then_halt_returns_status() {
        let mut core = Rec::default();
        let (r, v) = run(
            vec![
                Ok(store(0x1_0000_0010, 4, 0x2000)),
                Ok(store(0x1_0000_0008, 4, 0x3000)),
                Ok(store(0x1_0000_0050, 4, 7)),
            ],
            &mut core,
        );
        assert_eq!(r.unwrap(), 7);
        assert_eq!(core.calls, [(2, 0x2000), (1, 0x3000), (10, 7)]);
        assert_eq!(v.runs, 3);
    }

    #[test]
    fn eintr_is_retried() {
        let mut core = Rec::default();
        let (r, v) = run(
            vec![
                Err(libc::EINTR),
                Err(libc::EINTR),
                Ok(store(0x1_0000_0050, 4, 0)),
            ],
            &mut core,
        );
        assert_eq!(r.unwrap(), 0);
        assert_eq!(v.runs, 3);
        // Handlers only see completed exits.
        assert_eq!(core.handler_calls, 1);
    }

    #[test]
    fn handlers_come_first_and_can_claim_any_exit() {
        let mut core = Rec {
            claims: 2,
            ..Default::default()
        };
        // Both claimed exits would be fatal if the loop looked at them.
        let (r, _) = run(
            vec![
                Ok(Exit::Other { reason: 4 }),
                Ok(store(0, 8, 0)),
                Ok(store(0x1_0000_0050, 4, 3)),
            ],
            &mut core,
        );
        assert_eq!(r.unwrap(), 3);
        assert_eq!(core.calls, [(10, 3)]);
        assert_eq!(core.handler_calls, 3);
    }

    fn fatal(steps: Vec<Result<Exit, i32>>) -> String {
        let mut core = Rec::default();
        run(steps, &mut core).0.unwrap_err().to_string()
    }

    #[test]
    fn bad_mmio_is_fatal_with_upstream_messages() {
        assert_eq!(
            fatal(vec![Ok(store(0x1_0000_0010, 8, 0))]),
            "Invalid guest mmio access: mmio=0x100000010 len=8"
        );
        assert_eq!(
            fatal(vec![Ok(store(0x1_0000_0058, 4, 0))]),
            "Invalid guest mmio access: mmio=0x100000058"
        );
        let read = Exit::Mmio(MmioAccess {
            addr: 0x1_0000_0010,
            is_write: false,
            len: 4,
            data: [0; 8],
        });
        assert_eq!(
            fatal(vec![Ok(read)]),
            "Invalid guest mmio access: mmio=0x100000010 len=4"
        );
    }

    #[test]
    fn other_exits_are_fatal_with_upstream_messages() {
        assert_eq!(
            fatal(vec![Ok(Exit::FailEntry { reason: 0x1f })]),
            "KVM: entry failure: hw_entry_failure_reason=0x1f"
        );
        assert_eq!(
            fatal(vec![Ok(Exit::InternalError { suberror: 2 })]),
            "KVM: internal error exit: suberror=0x2"
        );
        assert_eq!(
            fatal(vec![Ok(Exit::Other { reason: 8 })]),
            "KVM: unhandled exit: exit_reason=0x8, pc=0x100040"
        );
        assert_eq!(
            fatal(vec![Err(libc::EFAULT)]),
            "KVM: host/guest translation fault: pc=0x100040"
        );
        let e = fatal(vec![Err(libc::ENOEXEC)]);
        assert!(e.starts_with("KVM: ioctl (RUN) failed: "), "{e}");
    }

    #[test]
    fn hypercall_errors_end_the_loop() {
        assert_eq!(
            fatal(vec![
                Ok(store(0x1_0000_0020, 4, 0)),
                Ok(store(0x1_0000_0050, 4, 0))
            ]),
            "Invalid guest hypercall: num=4"
        );
    }

    #[test]
    fn exits_the_architecture_does_not_decode_are_unhandled() {
        let io = Exit::Io(PortIo {
            port: 0x501,
            is_out: true,
            size: 4,
            count: 1,
            data: [0; 8],
        });
        assert_eq!(
            fatal(vec![Ok(io)]),
            "KVM: unhandled exit: exit_reason=0x2, pc=0x100040"
        );
        // The same exit, decoded by x86_64's rule, is a hypercall.
        let mut core = Rec::default();
        let mut v = Script::new(vec![
            Ok(io),
            Ok(Exit::Io(PortIo {
                port: 0x50a,
                ..match io {
                    Exit::Io(p) => p,
                    _ => unreachable!(),
                }
            })),
        ]);
        let r = run_loop(&mut v, &mut core, crate::arch::x86_64::pio::decode_exit);
        assert_eq!(r.unwrap(), 0);
        assert_eq!(core.calls, [(1, 0), (10, 0)]);
    }

    #[test]
    fn pc_read_failures_are_reported() {
        let mut core = Rec::default();
        let mut v = Script::new(vec![Err(libc::EFAULT)]);
        v.pc = None;
        let e = run_loop(&mut v, &mut core, decode_exit).unwrap_err();
        assert!(
            matches!(&e, Fatal::Os(m, _) if m == "KVM: Dump PC failed after guest fault"),
            "{e:?}"
        );
        let mut v = Script::new(vec![Ok(Exit::Other { reason: 0x11 })]);
        v.pc = None;
        let e = run_loop(&mut v, &mut core, decode_exit).unwrap_err();
        assert!(
            matches!(&e, Fatal::Os(m, _) if m == "KVM: Dump PC failed after unhandled exit"),
            "{e:?}"
        );
    }
}
