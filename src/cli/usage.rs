//! The usage text, laid out line for line as upstream's ukvm prints it.

/// What the usage text shows of one compiled-in module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    pub name: String,
    pub usage: Option<String>,
}

/// The full usage text for program `prog` (printed to stderr, exit 1).
pub fn usage_text(prog: &str, modules: &[ModuleInfo]) -> String {
    let mut s =
        format!("usage: {prog} [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n");
    s += "KERNEL is the filename of the unikernel to run.\n";
    s += "ARGS are optional arguments passed to the unikernel.\n";
    s += "Core options:\n";
    s += "  [ --mem=512 ] (guest memory in MB)\n";
    s += "    --help (display this help)\n";
    s += "Compiled-in modules: ";
    for m in modules {
        s += &m.name;
        s += " ";
    }
    s += "\n";
    s += "Compiled-in module options:\n";
    let mut any = false;
    for u in modules.iter().filter_map(|m| m.usage.as_deref()) {
        s += &format!("    {u}\n");
        any = true;
    }
    if !any {
        s += "    (none)\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_only() {
        let m = [ModuleInfo {
            name: "core".into(),
            usage: None,
        }];
        assert_eq!(
            usage_text("ukvm-bin", &m),
            "usage: ukvm-bin [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n\
             KERNEL is the filename of the unikernel to run.\n\
             ARGS are optional arguments passed to the unikernel.\n\
             Core options:\n\
             \x20 [ --mem=512 ] (guest memory in MB)\n\
             \x20   --help (display this help)\n\
             Compiled-in modules: core \n\
             Compiled-in module options:\n\
             \x20   (none)\n"
        );
    }

    #[test]
    fn modules_with_options() {
        let m = [
            ModuleInfo {
                name: "core".into(),
                usage: None,
            },
            ModuleInfo {
                name: "net".into(),
                usage: Some("--net=TAP (host tap device for guest networking)".into()),
            },
            ModuleInfo {
                name: "blk".into(),
                usage: Some(
                    "--disk=IMAGE (file exposed to the unikernel as a raw block device)".into(),
                ),
            },
        ];
        let t = usage_text("x", &m);
        assert!(t.contains("Compiled-in modules: core net blk \n"));
        assert!(t.ends_with(
            "Compiled-in module options:\n    --net=TAP (host tap device for guest networking)\n    --disk=IMAGE (file exposed to the unikernel as a raw block device)\n"
        ));
        assert!(!t.contains("(none)"));
    }
}
