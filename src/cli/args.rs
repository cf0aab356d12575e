//! Argument parsing: core options, module options (through a callback that
//! asks each module's handle_cmdarg), `--`, the kernel and its arguments.

use std::ops::Range;

use crate::abi::CMDLINE_SIZE;

/// Guest memory when `--mem` is not given: 512 MB.
pub const DEFAULT_MEM_SIZE: usize = 0x2000_0000;

/// A successfully parsed command line. Indexes refer to the `args` slice
/// given to `parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Requested guest memory in bytes (before the backend rounds it).
    pub mem_size: usize,
    /// Index of the KERNEL operand.
    pub kernel: usize,
    /// Indexes of the guest's arguments.
    pub guest_args: Range<usize>,
    /// The guest command line: guest arguments joined with single spaces
    /// (without the terminating NUL).
    pub cmdline: Vec<u8>,
}

/// Why the command line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Print the optional warning, then the usage text, and exit 1
    /// (`--help`, an unknown option, a missing KERNEL).
    Usage(Option<String>),
    /// Print this message and exit 1.
    Fatal(String),
}

fn show(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// Parse the value of `--mem=MB` (`arg` is the whole argument) into bytes.
///
/// Stricter than upstream's `sscanf("%zd")`: only decimal digits, nothing
/// after them, at least 1 MB, and no wrap-around when scaled to bytes.
/// What upstream already refuses (no value, zero) gets upstream's exact
/// message; what it wrongly accepts gets the reason appended.
pub fn parse_mem(arg: &[u8]) -> Result<usize, String> {
    const MALFORMED: &str = "Malformed argument to --mem";
    let val = arg.strip_prefix(b"--mem=").unwrap_or(arg);
    let bad = |why: String| Err(format!("{MALFORMED}: {why}"));
    if val.is_empty() {
        return Err(MALFORMED.into());
    }
    if !val.iter().all(u8::is_ascii_digit) {
        return bad(format!(
            "`{}' is not a whole number of megabytes",
            show(val)
        ));
    }
    let mb = std::str::from_utf8(val)
        .ok()
        .and_then(|s| s.parse::<u64>().ok());
    let bytes = mb
        .and_then(|mb| usize::try_from(mb).ok())
        .and_then(|mb| mb.checked_mul(1 << 20));
    match (mb, bytes) {
        (Some(0), _) => Err(MALFORMED.into()),
        (_, Some(b)) => Ok(b),
        _ => bad(format!("{} MB is too large", show(val))),
    }
}

/// Join the guest arguments with spaces; the result plus its NUL must fit
/// in UKVM_CMDLINE_SIZE bytes.
pub fn join_cmdline(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(a);
        if out.len() >= CMDLINE_SIZE {
            break;
        }
    }
    if out.len() >= CMDLINE_SIZE {
        return Err(format!(
            "Guest command line too long (max={} characters)",
            CMDLINE_SIZE - 1
        ));
    }
    Ok(out)
}

/// Parse `args` (argv without the program name). `module_arg(i)` offers
/// `args[i]` to the modules and returns true if one accepted it.
///
/// Options are read while arguments start with `-`: `--help`, `--`
/// (ends options), `--mem=MB`, or anything a module accepts. The first
/// other argument is KERNEL; the rest go to the guest.
pub fn parse(
    args: &[&[u8]],
    module_arg: &mut dyn FnMut(usize) -> bool,
) -> Result<Options, CliError> {
    let mut mem_size = DEFAULT_MEM_SIZE;
    let mut i = 0;
    while i < args.len() && args[i].first() == Some(&b'-') {
        let a = args[i];
        if a == b"--help" {
            return Err(CliError::Usage(None));
        }
        if a == b"--" {
            i += 1;
            break;
        }
        if a.starts_with(b"--mem=") {
            mem_size = parse_mem(a).map_err(CliError::Fatal)?;
        } else if !module_arg(i) {
            return Err(CliError::Usage(Some(format!(
                "Invalid option: `{}'",
                show(a)
            ))));
        }
        i += 1;
    }
    if i >= args.len() {
        return Err(CliError::Usage(Some("Missing KERNEL operand".into())));
    }
    let guest_args = i + 1..args.len();
    let cmdline = join_cmdline(&args[guest_args.clone()]).map_err(CliError::Fatal)?;
    Ok(Options {
        mem_size,
        kernel: i,
        guest_args,
        cmdline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, CliError> {
        let v: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        parse(&v, &mut |i| args[i].starts_with("--net="))
    }

    #[test]
    fn kernel_alone_uses_default_memory() {
        let o = p(&["k.ukvm"]).unwrap();
        assert_eq!(
            o,
            Options {
                mem_size: 512 << 20,
                kernel: 0,
                guest_args: 1..1,
                cmdline: vec![]
            }
        );
    }

    #[test]
    fn mem_and_module_options_then_kernel_and_args() {
        let o = p(&["--mem=64", "--net=tap0", "k", "a", "b c"]).unwrap();
        assert_eq!(o.mem_size, 64 << 20);
        assert_eq!(o.kernel, 2);
        assert_eq!(o.guest_args, 3..5);
        assert_eq!(o.cmdline, b"a b c");
    }

    #[test]
    fn last_mem_wins() {
        assert_eq!(p(&["--mem=2", "--mem=3", "k"]).unwrap().mem_size, 3 << 20);
    }

    #[test]
    fn double_dash_ends_options() {
        let o = p(&["--", "--weird-kernel", "--mem=1"]).unwrap();
        assert_eq!(o.kernel, 1);
        assert_eq!(o.mem_size, DEFAULT_MEM_SIZE);
        assert_eq!(o.cmdline, b"--mem=1");
    }

    #[test]
    fn options_after_kernel_go_to_guest() {
        let o = p(&["k", "--help"]).unwrap();
        assert_eq!(o.cmdline, b"--help");
    }

    #[test]
    fn help_unknown_and_missing_kernel_show_usage() {
        assert_eq!(p(&["--help"]), Err(CliError::Usage(None)));
        assert_eq!(p(&["--mem=1", "--help", "k"]), Err(CliError::Usage(None)));
        assert_eq!(
            p(&["--bogus", "k"]),
            Err(CliError::Usage(Some("Invalid option: `--bogus'".into())))
        );
        assert_eq!(
            p(&["-", "k"]),
            Err(CliError::Usage(Some("Invalid option: `-'".into())))
        );
        assert_eq!(
            p(&[]),
            Err(CliError::Usage(Some("Missing KERNEL operand".into())))
        );
        assert_eq!(
            p(&["--mem=4"]),
            Err(CliError::Usage(Some("Missing KERNEL operand".into())))
        );
        assert_eq!(
            p(&["--"]),
            Err(CliError::Usage(Some("Missing KERNEL operand".into())))
        );
    }

    #[test]
    fn module_callback_sees_the_right_index() {
        let args: Vec<&[u8]> = vec![b"--mem=1", b"--x", b"--y", b"k"];
        let mut seen = vec![];
        parse(&args, &mut |i| {
            seen.push(i);
            true
        })
        .unwrap();
        assert_eq!(seen, vec![1, 2], "--mem is never offered to modules");
    }

    #[test]
    fn mem_values() {
        assert_eq!(parse_mem(b"--mem=1"), Ok(1 << 20));
        assert_eq!(parse_mem(b"--mem=0512"), Ok(512 << 20));
        assert_eq!(parse_mem(b"--mem=4096"), Ok(4096 << 20));
    }

    #[test]
    fn mem_garbage_is_refused_with_reason() {
        assert_eq!(
            parse_mem(b"--mem="),
            Err("Malformed argument to --mem".into())
        );
        assert_eq!(
            parse_mem(b"--mem=0"),
            Err("Malformed argument to --mem".into())
        );
        assert_eq!(
            parse_mem(b"--mem=000"),
            Err("Malformed argument to --mem".into())
        );
        for (arg, why) in [
            ("--mem=512abc", "`512abc' is not a whole number"),
            ("--mem=-1", "`-1' is not a whole number"),
            ("--mem=+5", "not a whole number"),
            ("--mem= 5", "not a whole number"),
            ("--mem=0x10", "not a whole number"),
            ("--mem=17592186044416", "too large"),
            ("--mem=99999999999999999999999", "too large"),
        ] {
            let e = parse_mem(arg.as_bytes()).unwrap_err();
            assert!(e.starts_with("Malformed argument to --mem: "), "{arg}: {e}");
            assert!(e.contains(why), "{arg}: {e}");
        }
        assert_eq!(parse_mem(b"--mem=17592186044415"), Ok(17592186044415 << 20));
    }

    #[test]
    fn bad_mem_is_fatal_not_usage() {
        assert!(matches!(p(&["--mem=12x", "k"]), Err(CliError::Fatal(_))));
    }

    #[test]
    fn cmdline_limit_is_8191_characters() {
        let a = "x".repeat(8191);
        assert_eq!(join_cmdline(&[a.as_bytes()]).unwrap().len(), 8191);
        let b = "x".repeat(8192);
        assert_eq!(
            join_cmdline(&[b.as_bytes()]),
            Err("Guest command line too long (max=8191 characters)".into())
        );
        // Two args of 4095 plus the space: 8191, fits; one more char: not.
        let h = "y".repeat(4095);
        assert_eq!(
            join_cmdline(&[h.as_bytes(), h.as_bytes()]).unwrap().len(),
            8191
        );
        let h2 = "y".repeat(4096);
        assert!(join_cmdline(&[h.as_bytes(), h2.as_bytes()]).is_err());
        // An empty last argument still costs its separating space.
        let c = "z".repeat(8190);
        assert_eq!(join_cmdline(&[c.as_bytes(), b""]).unwrap().len(), 8191);
        let c = "z".repeat(8191);
        assert!(join_cmdline(&[c.as_bytes(), b""]).is_err());
        assert_eq!(join_cmdline(&[b"", b""]).unwrap(), b" ");
    }

    #[test]
    fn too_long_cmdline_is_fatal() {
        let a = "x".repeat(9000);
        assert!(matches!(p(&["k", &a]), Err(CliError::Fatal(_))));
    }
}
