//! Command line of the monitor, compatible with upstream's ukvm_main.c:
//! pure parsing into `Options` (or an error) and the usage text.

mod args;
mod usage;

pub use args::{join_cmdline, parse, parse_mem, CliError, Options, DEFAULT_MEM_SIZE};
pub use usage::{usage_text, ModuleInfo};
