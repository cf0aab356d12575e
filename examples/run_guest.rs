//! A monitor binary with only the core module (console, clock, poll,
//! halt): the library's own C `main` linked on its own. Used to boot our
//! test guests under the AArch64 KVM backend without any C module.
//!
//! Usage is the monitor's: `run_guest [--mem=MB] KERNEL [ARGS...]`.

#![no_main]

// Link the library; its `main` is the program's entry point.
use ukvm as _;
