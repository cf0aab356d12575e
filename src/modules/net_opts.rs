//! The net module's options, parsed without side effects: `--net=TAP` or
//! `--net=@NN` (an inherited open descriptor), and `--net-mac=HWADDR`.

use std::fmt;

/// Where the guest's frames go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetTarget {
    /// An existing tap interface, by name.
    Tap(String),
    /// `@NN`: descriptor NN, already open (passed through unchecked, as
    /// upstream, except that it must be open).
    Fd(i32),
    /// `@` followed by something that is not a descriptor number. Upstream
    /// reads it with atoi (so `@x` meant stdin); we refuse it at setup.
    BadFd(String),
}

impl NetTarget {
    /// Parse the text after `--net=`.
    pub fn parse(s: &str) -> NetTarget {
        let Some(num) = s.strip_prefix('@') else {
            return NetTarget::Tap(s.to_owned());
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return NetTarget::BadFd(s.to_owned());
        }
        match num.parse::<i32>() {
            Ok(fd) => NetTarget::Fd(fd),
            Err(_) => NetTarget::BadFd(s.to_owned()),
        }
    }
}

impl fmt::Display for NetTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetTarget::Tap(n) | NetTarget::BadFd(n) => f.write_str(n),
            NetTarget::Fd(fd) => write!(f, "@{fd}"),
        }
    }
}

/// Parse a MAC address `xx:xx:xx:xx:xx:xx`: six groups of one or two hex
/// digits (either case) separated by colons, nothing before or after.
/// Upstream's sscanf also took leading blanks in a group and ignored
/// trailing text; we refuse those.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut groups = s.split(':');
    for byte in mac.iter_mut() {
        let g = groups.next()?;
        if g.is_empty() || g.len() > 2 || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *byte = u8::from_str_radix(g, 16).ok()?;
    }
    groups.next().is_none().then_some(mac)
}

/// Make random bytes a locally administered unicast MAC (as upstream).
pub fn local_unicast(mut mac: [u8; 6]) -> [u8; 6] {
    mac[0] = (mac[0] & 0xfe) | 0x02;
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_names_and_descriptors() {
        assert_eq!(NetTarget::parse("tap0"), NetTarget::Tap("tap0".into()));
        assert_eq!(NetTarget::parse(""), NetTarget::Tap("".into()));
        assert_eq!(NetTarget::parse("@3"), NetTarget::Fd(3));
        assert_eq!(NetTarget::parse("@0"), NetTarget::Fd(0));
        assert_eq!(NetTarget::parse("@007"), NetTarget::Fd(7));
        assert_eq!(NetTarget::parse("@2147483647"), NetTarget::Fd(i32::MAX));
    }

    #[test]
    fn bad_descriptors_are_not_guessed() {
        for s in [
            "@",
            "@x",
            "@3x",
            "@-1",
            "@+3",
            "@ 3",
            "@2147483648",
            "@99999999999999999999",
        ] {
            assert_eq!(NetTarget::parse(s), NetTarget::BadFd(s.into()), "{s}");
        }
        assert_eq!(NetTarget::parse("@x").to_string(), "@x");
        assert_eq!(NetTarget::parse("@5").to_string(), "@5");
    }

    #[test]
    fn macs_as_upstream_accepts_them() {
        assert_eq!(parse_mac("02:00:00:00:00:01"), Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(
            parse_mac("de:AD:be:EF:0:1"),
            Some([0xde, 0xad, 0xbe, 0xef, 0, 1])
        );
        assert_eq!(parse_mac("f:f:f:f:f:f"), Some([15; 6]));
        assert_eq!(parse_mac("ff:ff:ff:ff:ff:ff"), Some([255; 6]));
    }

    #[test]
    fn malformed_macs_are_refused() {
        for s in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "02:00:00:00:00:01 ",
            " 02:00:00:00:00:01",
            "02:00:00:00:00:001",
            "02:00:00:00:00:",
            "02::00:00:00:01",
            "0g:00:00:00:00:01",
            "02-00-00-00-00-01",
            "+2:00:00:00:00:01",
            "0x:00:00:00:00:01",
            "02:00:00:00:00:01x",
        ] {
            assert_eq!(parse_mac(s), None, "{s:?}");
        }
    }

    #[test]
    fn random_macs_become_local_unicast() {
        for b in 0..=255u8 {
            let m = local_unicast([b, 1, 2, 3, 4, 5]);
            assert_eq!(m[0] & 0x01, 0, "unicast");
            assert_eq!(m[0] & 0x02, 0x02, "locally administered");
            assert_eq!(m[0] & 0xfc, b & 0xfc, "other bits kept");
            assert_eq!(&m[1..], &[1, 2, 3, 4, 5]);
        }
    }
}
