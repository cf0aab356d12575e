//! Host-side module API types of `ukvm.h`: `struct ukvm_hv`, `struct
//! ukvm_hvb` (KVM backend), `struct ukvm_module` and the callback types.

use std::os::raw::{c_char, c_int, c_void};

use super::guest::ukvm_gpa_t;

/// `struct ukvm_hv`: the backend-independent monitor state handed to
/// modules. Guest memory is `mem[0..mem_size]`.
#[repr(C)]
#[derive(Debug)]
pub struct UkvmHv {
    pub mem: *mut u8,
    pub mem_size: usize,
    pub b: *mut UkvmHvb,
}

/// `struct ukvm_hvb` of the KVM backend (`ukvm_hv_kvm.h`); C modules that
/// know the backend (gdb, dumpcore) read these fields directly.
#[repr(C)]
#[derive(Debug)]
pub struct UkvmHvb {
    pub kvmfd: c_int,
    pub vmfd: c_int,
    pub vcpufd: c_int,
    /// `struct kvm_run *`, the vCPU's mmap'ed run area.
    pub vcpurun: *mut c_void,
}

/// `ukvm_hypercall_fn_t`: handler for one hypercall number.
pub type HypercallFn = Option<unsafe extern "C" fn(hv: *mut UkvmHv, gpa: ukvm_gpa_t)>;

/// `ukvm_vmexit_fn_t`: returns 0 if it handled the vmexit, -1 if not.
pub type VmexitFn = Option<unsafe extern "C" fn(hv: *mut UkvmHv) -> c_int>;

/// `ukvm_halt_fn_t`: called on guest halt with its status and cookie.
pub type HaltFn = Option<unsafe extern "C" fn(hv: *mut UkvmHv, status: c_int, cookie: *mut c_void)>;

/// `struct ukvm_module`. `name` and `setup` are required.
#[repr(C)]
#[derive(Debug)]
pub struct UkvmModule {
    pub name: *const c_char,
    pub setup: Option<unsafe extern "C" fn(hv: *mut UkvmHv) -> c_int>,
    pub handle_cmdarg: Option<unsafe extern "C" fn(cmdarg: *mut c_char) -> c_int>,
    pub usage: Option<unsafe extern "C" fn() -> *mut c_char>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// bindgen's reading of include/ukvm.h and include/ukvm_hv_kvm.h.
    #[allow(non_camel_case_types, dead_code, clippy::all)]
    mod c {
        include!(concat!(env!("OUT_DIR"), "/ukvm_host.rs"));
    }

    macro_rules! same_layout {
        ($ours:ty, $theirs:ty, [$($f:ident),*]) => {{
            assert_eq!(size_of::<$ours>(), size_of::<$theirs>(), "size of {}", stringify!($ours));
            assert_eq!(align_of::<$ours>(), align_of::<$theirs>(), "align of {}", stringify!($ours));
            $(assert_eq!(offset_of!($ours, $f), offset_of!($theirs, $f), "{}.{}", stringify!($ours), stringify!($f));)*
        }};
    }

    #[test]
    fn layouts_match_the_committed_headers() {
        same_layout!(UkvmHv, c::ukvm_hv, [mem, mem_size, b]);
        same_layout!(UkvmHvb, c::ukvm_hvb, [kvmfd, vmfd, vcpufd, vcpurun]);
        same_layout!(
            UkvmModule,
            c::ukvm_module,
            [name, setup, handle_cmdarg, usage]
        );
        assert_eq!(
            size_of::<HypercallFn>(),
            size_of::<c::ukvm_hypercall_fn_t>()
        );
        assert_eq!(size_of::<HaltFn>(), size_of::<c::ukvm_halt_fn_t>());
        assert_eq!(size_of::<VmexitFn>(), size_of::<c::ukvm_vmexit_fn_t>());
    }

    #[test]
    fn hv_layout_matches_c() {
        assert_eq!(size_of::<UkvmHv>(), 24);
        assert_eq!(offset_of!(UkvmHv, mem), 0);
        assert_eq!(offset_of!(UkvmHv, mem_size), 8);
        assert_eq!(offset_of!(UkvmHv, b), 16);
    }

    #[test]
    fn hvb_layout_matches_c() {
        assert_eq!(size_of::<UkvmHvb>(), 24);
        assert_eq!(offset_of!(UkvmHvb, kvmfd), 0);
        assert_eq!(offset_of!(UkvmHvb, vmfd), 4);
        assert_eq!(offset_of!(UkvmHvb, vcpufd), 8);
        assert_eq!(offset_of!(UkvmHvb, vcpurun), 16);
    }

    #[test]
    fn module_layout_matches_c() {
        assert_eq!(size_of::<UkvmModule>(), 32);
        assert_eq!(offset_of!(UkvmModule, name), 0);
        assert_eq!(offset_of!(UkvmModule, setup), 8);
        assert_eq!(offset_of!(UkvmModule, handle_cmdarg), 16);
        assert_eq!(offset_of!(UkvmModule, usage), 24);
    }

    #[test]
    fn callbacks_are_one_pointer_wide() {
        assert_eq!(size_of::<HypercallFn>(), size_of::<*const c_void>());
        assert_eq!(size_of::<VmexitFn>(), size_of::<*const c_void>());
        assert_eq!(size_of::<HaltFn>(), size_of::<*const c_void>());
    }
}
