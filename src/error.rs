//! The monitor's fatal error, returned up to the one place that prints it
//! (`prog: message`, upstream's wording) and exits with status 1: the C
//! edge of `main` or of whichever C entry point met it.

use std::fmt;
use std::io;

/// A fatal error; `Display` gives upstream's wording.
#[derive(Debug)]
pub enum Fatal {
    /// No OS error attached (errx).
    Msg(String),
    /// With the OS error that caused it (err).
    Os(String, io::Error),
}

impl Fatal {
    /// Print as upstream would and exit 1. Only the C edge calls this.
    pub fn exit(self) -> ! {
        match self {
            Fatal::Msg(m) => crate::diag::die(&m),
            Fatal::Os(m, e) => crate::diag::die_os(&m, &e),
        }
    }

    /// Former name of [`exit`](Self::exit).
    pub fn die(self) -> ! {
        self.exit()
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fatal::Msg(m) => f.write_str(m),
            Fatal::Os(m, e) => write!(f, "{m}: {e}"),
        }
    }
}

impl std::error::Error for Fatal {}

impl From<String> for Fatal {
    fn from(m: String) -> Self {
        Fatal::Msg(m)
    }
}
