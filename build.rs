//! Build script: generates the Rust view of include/ukvm_guest.h with
//! bindgen (for the target architecture), and compiles the module-table
//! lookup (src/ffi/default_modules.c).

use std::env;
use std::path::PathBuf;

fn clang_target(arch: &str) -> &'static str {
    match arch {
        "x86_64" => "x86_64-unknown-linux-gnu",
        "aarch64" => "aarch64-unknown-linux-gnu",
        other => panic!("ukvm_guest.h supports x86_64 and aarch64, not {other}"),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=include");
    println!("cargo:rerun-if-changed=src/ffi/default_modules.c");

    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    let bindings = bindgen::Builder::default()
        .header("include/ukvm_guest.h")
        .clang_arg("-DUKVM_HOST")
        .clang_arg(format!("--target={}", clang_target(&arch)))
        .allowlist_file(".*ukvm_guest\\.h")
        .prepend_enum_name(false)
        .derive_default(true)
        // Padding as named fields: every guest struct is then plain bytes
        // with no uninitialised gaps, so it may be ByteValued (src/abi/guest.rs).
        .explicit_padding(true)
        .layout_tests(true)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen failed on include/ukvm_guest.h: {e}"));
    bindings
        .write_to_file(out.join("ukvm_guest.rs"))
        .expect("write ukvm_guest.rs");

    // The host structs of ukvm.h and ukvm_hv_kvm.h, as C lays them out:
    // only for the layout tests of the hand-written types in src/abi/host.rs.
    let host = bindgen::Builder::default()
        .header_contents(
            "ukvm_host_wrapper.h",
            "#include \"ukvm.h\"\n#include \"ukvm_hv_kvm.h\"\n",
        )
        .clang_arg("-Iinclude")
        .clang_arg(format!("--target={}", clang_target(&arch)))
        .allowlist_type("ukvm_hv|ukvm_hvb|ukvm_module")
        .allowlist_type("ukvm_(hypercall|halt|vmexit)_fn_t")
        .layout_tests(false)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen failed on include/ukvm.h: {e}"));
    host.write_to_file(out.join("ukvm_host.rs"))
        .expect("write ukvm_host.rs");

    cc::Build::new()
        .file("src/ffi/default_modules.c")
        .include("include")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("ukvm_default_modules");
}
