//! The malformed-ELF corpus against the loader, in process and through the
//! C entry point `ukvm_elf_load` in a child process; plus real linker output.
//!
//! Every malformed file must give an error, and through the C path exactly
//! one line on stderr and exit status 1 (not a signal). The child is this
//! test binary run again with `UKVM_ELF_CHILD=<file>`.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use ukvm::elf::{self, corpus, HOST_MACHINE};

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
/// permissions of the text and data pages. Does nothing in a normal run.
#[test]
fn child_ukvm_elf_load() {
    let Some(file) = std::env::var_os(CHILD_ENV) else {
        return;
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
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(file.as_os_str())).unwrap();
    // The name "(null)" stands for a NULL file pointer.
    let name = if file == "(null)" { std::ptr::null() } else { c.as_ptr() };
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
                let (a, b) = (u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?);
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

/// With `UKVM_ELF_CORPUS_OUT=<dir>`, write the valid image and every
/// malformed case there (fuzz seeds); does nothing otherwise.
#[test]
fn write_corpus() {
    let Some(dir) = std::env::var_os(OUT_ENV).map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("valid"), corpus::valid(HOST_MACHINE)).unwrap();
    let cases = corpus::malformed(HOST_MACHINE);
    for case in &cases {
        std::fs::write(dir.join(&case.name), &case.bytes).unwrap();
    }
    println!("wrote {} files to {}", cases.len() + 1, dir.display());
}

struct ChildResult {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_child(file: &Path) -> ChildResult {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_ukvm_elf_load", "--nocapture", "--test-threads=1"])
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
        r.stderr.trim_end().ends_with(": ukvm_elf_load: NULL argument") && r.stderr.lines().count() == 1,
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
        return Some(format!("child stderr {:?}, wanted one line ending {want:?}", r.stderr));
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
    if !cfg!(target_arch = "x86_64") {
        eprintln!("SKIP real_linker_output_loads: needs an x86_64 host toolchain");
        return;
    }
    let solo5 = std::env::var_os("SOLO5_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/solo5-v0.3.1"));
    let lds = solo5.join("kernel/ukvm/solo5.lds");
    if !lds.exists() {
        eprintln!("SKIP real_linker_output_loads: no {} (set SOLO5_SRC)", lds.display());
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
        .args(["-ffreestanding", "-fno-pie", "-fno-stack-protector", "-O2", "-c", "-o"])
        .arg(&obj)
        .arg(&src)
        .status();
    if !matches!(cc, Ok(s) if s.success()) {
        eprintln!("SKIP real_linker_output_loads: cc not available or failed: {cc:?}");
        return;
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
    assert!(mem[big..big + 3 * 4096].iter().all(|&b| b == 0), "bss zeroed");
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
/// (build/upstream-<arch>/tests/*/) and our AArch64 test guests
/// (build/aarch64/guests/). Each must load for its architecture.
#[test]
fn project_built_kernels_load() {
    let build = std::env::var_os("BUILD")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("build"));
    let mut kernels = Vec::new();
    for (arch, machine) in [("aarch64", elf::EM_AARCH64), ("x86_64", elf::EM_X86_64)] {
        let tests = build.join(format!("upstream-{arch}/tests"));
        let dirs = std::fs::read_dir(&tests)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_else(|_| Vec::new());
        for d in dirs {
            kernels.extend(kernels_in(&d).into_iter().map(|k| (k, machine)));
        }
    }
    kernels.extend(
        kernels_in(&build.join("aarch64/guests"))
            .into_iter()
            .map(|k| (k, elf::EM_AARCH64)),
    );
    let mut mem = vec![0u8; 0x2000_0000];
    for (kernel, machine) in &kernels {
        let l = elf::load_path(kernel, &mut mem, *machine).unwrap_or_else(|e| panic!("{}: {e}", kernel.display()));
        assert!(
            l.entry >= elf::MIN_GPA && l.entry < l.end,
            "{}: {l:?}",
            kernel.display()
        );
        assert_eq!(l.end % 0x1000, 0, "{}: end {:#x}", kernel.display(), l.end);
        eprintln!("ok {}: entry {:#x} end {:#x}", kernel.display(), l.entry, l.end);
    }
    if kernels.is_empty() {
        eprintln!(
            "SKIP project_built_kernels_load: no kernels under {}/upstream-*/tests/*/ or {}/aarch64/guests/",
            build.display(),
            build.display()
        );
    }
}
