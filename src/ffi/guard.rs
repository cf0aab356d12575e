//! The one guard around every `extern "C"` entry point: a Rust panic
//! becomes a fatal diagnostic (status 1) instead of unwinding into C.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::diag;

fn describe(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic"
    }
}

/// Run `f` for the C entry point `entry`; a panic ends the process with
/// `prog: internal error in <entry>: <panic message>` and status 1.
pub fn guard<R>(entry: &str, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => diag::die(&format!(
            "internal error in {entry}: {}",
            describe(payload.as_ref())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_passes_through() {
        assert_eq!(guard("t", || 42), 42);
    }

    #[test]
    fn panic_messages_are_extracted() {
        let p = catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(describe(p.as_ref()), "boom 1");
        let p = catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(describe(p.as_ref()), "static");
    }
}
