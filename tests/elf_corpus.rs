//! The malformed-ELF corpus against the loader, in process and through the
//! C entry point `ukvm_elf_load` in a child process; plus real linker output.
//!
//! Every malformed file must give an error, and through the C path exactly
//! one line on stderr and exit status 1 (not a signal). The child is this
//! test binary run again with `UKVM_ELF_CHILD=<file>`. Skips: one
//! `skip <test>: <reason>` line each, only for an absent prerequisite
//! (skip_support/mod.rs).

#[path = "elf_support/corpus.rs"]
mod corpus;
#[path = "skip_support/mod.rs"]
mod skip;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use ukvm::elf::{self, HOST_MACHINE};

extern "C" {
    fn ukvm_elf_load(
        file: *const std::os::raw::c_char,
        mem: *mut u8,
        mem_size: usize,
        p_entry: *mut u64,
        p_end: *mut u64,
    );
}

const CHILD_ENV: &str = "UKVM_ELF_CHILD";
/// Where `write_corpus` puts the corpus files (used by `make fuzz`).
const OUT_ENV: &str = "UKVM_ELF_CORPUS_OUT";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ukvm-elf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Child side: load the file named by `UKVM_ELF_CHILD` through the C entry
/// point into fresh guest memory and print what came back, with the host
/// permissions of the text and data pages. Not a test of its own: ignored
/// in a plain run, run by `run_child`.
#[test]
#[ignore = "child-process entry point of the C-path tests"]
fn child_ukvm_elf_load() {
    let Some(file) = std::env::var_os(CHILD_ENV) else {
        panic!("run only as a child, with {CHILD_ENV} set");
    };
    let size = corpus::MEM_SIZE;
    // SAFETY: fresh anonymous mapping, never unmapped (the process ends).
    let mem = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(mem, libc::MAP_FAILED);
    let c =
        std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(file.as_os_str())).unwrap();
    // The name "(null)" stands for a NULL file pointer.
    let name = if file == "(null)" {
        std::ptr::null()
    } else {
        c.as_ptr()
    };
    let (mut entry, mut end) = (1u64, 1u64);
    // SAFETY: NULL or a valid C string, our mapping of `size` bytes, valid
    // out pointers.
    unsafe { ukvm_elf_load(name, mem.cast(), size, &mut entry, &mut end) };
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let perms = |gpa: u64| {
        let addr = mem as u64 + gpa;
        maps.lines()
            .find_map(|l| {
                let (range, rest) = l.split_once(' ')?;
                let (a, b) = range.split_once('-')?;
                let (a, b) = (
                    u64::from_str_radix(a, 16).ok()?,
                    u64::from_str_radix(b, 16).ok()?,
                );
                (a <= addr && addr < b).then(|| rest.get(..4).unwrap_or("").to_string())
            })
            .unwrap_or_default()
    };
    println!(
        "LOADED entry={entry:#x} end={end:#x} text={} data={}",
        perms(corpus::TEXT.1),
        perms(corpus::DATA.1)
    );
}

/// Write the valid image and every malformed case as files, one per case
/// (`make compare`'s malformed-kernel cases and `make fuzz`'s seeds): to
/// `UKVM_ELF_CORPUS_OUT=<dir>` when set, else to a scratch directory; then
/// check that each file holds its case.
#[test]
fn write_corpus() {
    let (dir, scratch_dir) = match std::env::var_os(OUT_ENV) {
        Some(d) => (PathBuf::from(d), false),
        None => (scratch("write"), true),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = vec![("valid".to_string(), corpus::valid(HOST_MACHINE))];
    files.extend(
        corpus::malformed(HOST_MACHINE)
            .into_iter()
            .map(|c| (c.name, c.bytes)),
    );
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    for (name, bytes) in &files {
        assert_eq!(
            &std::fs::read(dir.join(name)).unwrap(),
            bytes,
            "{name}: two cases share a name?"
        );
    }
    println!("wrote {} files to {}", files.len(), dir.display());
    if scratch_dir {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

struct ChildResult {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_child(file: &Path) -> ChildResult {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_ukvm_elf_load",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, file)
        .output()
        .unwrap();
    ChildResult {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn valid_image_through_c_entry_point_sets_protections() {
    let dir = scratch("valid");
    let file = dir.join("valid.elf");
    std::fs::write(&file, corpus::valid(HOST_MACHINE)).unwrap();
    let r = run_child(&file);
    assert_eq!((r.code, r.signal), (Some(0), None), "stderr: {}", r.stderr);
    let want = format!(
        "LOADED entry={:#x} end={:#x} text=r-xp data=rw-p",
        corpus::ENTRY,
        corpus::END
    );
    assert!(r.stdout.contains(&want), "want {want:?} in:\n{}", r.stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_exec_segment_warns_like_upstream_and_loads() {
    let dir = scratch("wx");
    let file = dir.join("wx.elf");
    let mut img = corpus::valid(HOST_MACHINE);
    let flags = corpus::phdr_field(1, 4);
    img[flags..flags + 4].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(&file, img).unwrap();
    let r = run_child(&file);
    assert_eq!((r.code, r.signal), (Some(0), None), "stderr: {}", r.stderr);
    let want = format!(
        ": {}: Warning: phdr[1] requests WRITE and EXEC permissions",
        file.display()
    );
    assert!(
        r.stderr.lines().count() == 1 && r.stderr.trim_end().ends_with(&want),
        "{:?}",
        r.stderr
    );
    assert!(r.stdout.contains("text=r-xp data=rwxp"), "{}", r.stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn null_file_pointer_is_fatal() {
    let r = run_child(Path::new("(null)"));
    assert_eq!((r.code, r.signal), (Some(1), None));
    assert!(
        r.stderr
            .trim_end()
            .ends_with(": ukvm_elf_load: NULL argument")
            && r.stderr.lines().count() == 1,
        "{:?}",
        r.stderr
    );
}

#[test]
fn missing_file_reports_like_err3() {
    let dir = scratch("missing");
    let file = dir.join("no-such-kernel");
    let r = run_child(&file);
    assert_eq!((r.code, r.signal), (Some(1), None));
    let want = format!(": {}: No such file or directory", file.display());
    assert!(
        r.stderr.trim_end().ends_with(&want) && r.stderr.lines().count() == 1,
        "{:?}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_corpus_refused_in_process_and_through_c_entry_point() {
    let dir = scratch("corpus");
    let cases = corpus::malformed(HOST_MACHINE);
    let mut mem = vec![0u8; corpus::MEM_SIZE];
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let file = dir.join(&case.name);
        std::fs::write(&file, &case.bytes).unwrap();
        let problem = check_case(&file, &case.bytes, &mut mem);
        match problem {
            None => passed += 1,
            Some(p) => {
                failed += 1;
                eprintln!("FAIL {}: {p}", case.name);
            }
        }
    }
    eprintln!("{passed} passed, {failed} failed, 0 skipped");
    assert_eq!(failed, 0, "corpus cases failed (see above)");
    assert!(passed >= 400, "corpus unexpectedly small: {passed}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// None if the case is refused correctly both ways, else what went wrong.
fn check_case(file: &Path, bytes: &[u8], mem: &mut [u8]) -> Option<String> {
    let msg = match elf::load(bytes, mem, HOST_MACHINE) {
        Ok(l) => return Some(format!("accepted in process: {l:?}")),
        Err(e) => e.to_string(),
    };
    if msg.contains('\n') || !msg.starts_with("Exec format error: ") {
        return Some(format!("bad message {msg:?}"));
    }
    let r = run_child(file);
    if r.code != Some(1) || r.signal.is_some() {
        return Some(format!(
            "child exit {:?} signal {:?}, stderr {:?}",
            r.code, r.signal, r.stderr
        ));
    }
    let want = format!(": {}: {msg}", file.display());
    if r.stderr.lines().count() != 1 || !r.stderr.trim_end().ends_with(&want) {
        return Some(format!(
            "child stderr {:?}, wanted one line ending {want:?}",
            r.stderr
        ));
    }
    if r.stdout.contains("LOADED") {
        return Some("child returned from ukvm_elf_load".into());
    }
    None
}

/// Link a tiny kernel with the Solo5 linker script and the flags of
/// upstream's build, and check the loader against the linker's own `_end`.
#[test]
fn real_linker_output_loads() {
    const NAME: &str = "real_linker_output_loads";
    if !cfg!(target_arch = "x86_64") {
        skip::skip(NAME, "needs an x86_64 host toolchain");
        return;
    }
    let solo5 = std::env::var_os("SOLO5_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/solo5-v0.3.1"));
    let lds = solo5.join("kernel/ukvm/solo5.lds");
    if !lds.exists() {
        skip::skip(NAME, &format!("no {} (set SOLO5_SRC)", lds.display()));
        return;
    }
    let dir = scratch("linked");
    let src = dir.join("k.c");
    std::fs::write(
        &src,
        "volatile int counter = 5;\nchar big[3 * 4096];\nconst char msg[] = \"hello\";\n\
         void _start(void) { big[100] = msg[1]; counter += big[3]; for (;;) __asm__ volatile(\"hlt\"); }\n",
    )
    .unwrap();
    let obj = dir.join("k.o");
    let kernel = dir.join("k.ukvm");
    let cc = Command::new("cc")
        .args([
            "-ffreestanding",
            "-fno-pie",
            "-fno-stack-protector",
            "-O2",
            "-c",
            "-o",
        ])
        .arg(&obj)
        .arg(&src)
        .status();
    match cc {
        Ok(s) => assert!(s.success(), "cc failed on {}: {s}", src.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            skip::skip(NAME, "no cc on PATH");
            return;
        }
        Err(e) => panic!("cc: {e}"),
    }
    let ld = Command::new("ld")
        .args(["-nostdlib", "-z", "max-page-size=0x1000", "-static", "-T"])
        .arg(&lds)
        .arg("-o")
        .arg(&kernel)
        .arg(&obj)
        .status()
        .unwrap();
    assert!(ld.success());
    let symbols = |name: &str| -> u64 {
        let out = Command::new("nm").arg(&kernel).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("{name} in nm"));
        u64::from_str_radix(line.split(' ').next().unwrap(), 16).unwrap()
    };
    let mut mem = vec![0xeeu8; 0x200000 * 4];
    let l = elf::load_path(&kernel, &mut mem, elf::EM_X86_64).unwrap();
    assert_eq!(l.entry, symbols("_start"));
    assert_eq!(l.end, symbols("_end"));
    let msg = symbols("msg") as usize;
    assert_eq!(&mem[msg..msg + 6], b"hello\0");
    let big = symbols("big") as usize;
    assert!(
        mem[big..big + 3 * 4096].iter().all(|&b| b == 0),
        "bss zeroed"
    );
    assert_eq!(mem[symbols("counter") as usize], 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `*.ukvm` files directly in `dir`.
fn kernels_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "ukvm"));
    v.sort();
    v
}

/// Kernels built elsewhere in the project: upstream's test unikernels
/// (build/upstream-<arch>/src/tests/test_*/, built by test-upstream) and
/// our AArch64 test guests (build/aarch64/guests/). Each must load for its
/// architecture. A place not built yet is a skip; a place that exists but
/// holds no kernel is a failure (a build that went wrong, or a wrong path).
#[test]
fn project_built_kernels_load() {
    const NAME: &str = "project_built_kernels_load";
    let build = std::env::var_os("BUILD")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("build"));
    let upstream = |arch: &str| build.join(format!("upstream-{arch}/src/tests"));
    let places = [
        (
            "upstream-aarch64",
            upstream("aarch64"),
            elf::EM_AARCH64,
            "make test-upstream ARCH=aarch64",
        ),
        (
            "upstream-x86_64",
            upstream("x86_64"),
            elf::EM_X86_64,
            "make test-upstream ARCH=x86_64",
        ),
        (
            "aarch64-guests",
            build.join("aarch64/guests"),
            elf::EM_AARCH64,
            "make aarch64-guests",
        ),
    ];
    let mut mem = vec![0u8; 0x2000_0000];
    let mut empty = Vec::new();
    for (label, dir, machine, maker) in &places {
        if !dir.is_dir() {
            skip::skip(
                &format!("{NAME}[{label}]"),
                &format!("no {} (built by {maker})", dir.display()),
            );
            continue;
        }
        let kernels = if label.starts_with("upstream") {
            let mut test_dirs: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("test_"))
                })
                .collect();
            test_dirs.sort();
            // Each test_NAME/ builds test_NAME.ukvm (next to a Makefile.ukvm).
            let kernel_of =
                |d: &PathBuf| d.join(format!("{}.ukvm", d.file_name().unwrap().to_string_lossy()));
            for d in test_dirs.iter().filter(|d| !kernel_of(d).is_file()) {
                empty.push(format!("{}: not built", kernel_of(d).display()));
            }
            test_dirs
                .iter()
                .map(kernel_of)
                .filter(|k| k.is_file())
                .collect()
        } else {
            kernels_in(dir)
        };
        if kernels.is_empty() {
            empty.push(format!("{}: no *.ukvm kernel in it", dir.display()));
            continue;
        }
        for kernel in &kernels {
            let l = elf::load_path(kernel, &mut mem, *machine)
                .unwrap_or_else(|e| panic!("{}: {e}", kernel.display()));
            assert!(
                l.entry >= elf::MIN_GPA && l.entry < l.end,
                "{}: {l:?}",
                kernel.display()
            );
            assert_eq!(l.end % 0x1000, 0, "{}: end {:#x}", kernel.display(), l.end);
            println!(
                "ok {}: entry {:#x} end {:#x}",
                kernel.display(),
                l.entry,
                l.end
            );
        }
        println!("{label}: {} kernels loaded", kernels.len());
    }
    assert!(empty.is_empty(), "built places without kernels: {empty:#?}");
}
