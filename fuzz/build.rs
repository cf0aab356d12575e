//! Link flag for the fuzz targets: libukvm defines the monitor's C `main`,
//! and with codegen-units=1 (as cargo-fuzz builds) the object holding it is
//! pulled in with the loader. Each target defines its own `main` (starting
//! libFuzzer's driver), which comes first on the link line; allowing the
//! duplicate keeps that one. Drop this once libukvm's `main` is left out of
//! fuzzing builds (`cfg(fuzzing)`).

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--allow-multiple-definition");
}
