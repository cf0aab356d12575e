//! Header drift: the prototypes cbindgen (pinned in Cargo.toml) derives
//! from our `extern "C"` items must match the declarations in the
//! committed include/ukvm.h, item for item (types compared, parameter
//! names ignored), and every C API symbol must be both exported and
//! declared.

use std::collections::BTreeMap;
use std::path::Path;

fn strip_comments(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i + 2..].split_once("*/").map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    // Preprocessor lines go, continuation lines included; so do the
    // bodies of structs and enums (their fields are not declarations).
    let joined = out.replace("\\\n", " ");
    let code: Vec<&str> = joined
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let mut flat = String::new();
    let mut depth = 0usize;
    for c in code.join("\n").chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => flat.push(c),
            _ => {}
        }
    }
    flat
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' {
            cur.push(c);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// A parameter's type: its tokens without a trailing parameter name.
fn param_type(p: &[String]) -> String {
    let keep = match p {
        [.., last]
            if p.len() > 1 && is_ident(last) && !matches!(last.as_str(), "const" | "struct") =>
        {
            &p[..p.len() - 1]
        }
        _ => p,
    };
    keep.join(" ")
}

/// Normalised declarations by symbol name: functions as
/// `ret name(type, type)`, data as `extern type name[]`.
fn declarations(src: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for stmt in strip_comments(src).split(';') {
        let t = tokens(stmt);
        if t.first().map(String::as_str) == Some("typedef") {
            // Function-pointer typedefs: `typedef RET (*NAME)(PARAMS)`.
            if let Some(star) = t.windows(2).position(|w| w[0] == "(" && w[1] == "*") {
                if t.len() > star + 4
                    && t[star + 3] == ")"
                    && t[star + 4] == "("
                    && t.last().map(String::as_str) == Some(")")
                {
                    let name = t[star + 2].clone();
                    let ret = t[1..star].join(" ");
                    let inner = &t[star + 5..t.len() - 1];
                    let params: Vec<String> = inner.split(|x| x == ",").map(param_type).collect();
                    out.insert(
                        name.clone(),
                        format!("typedef {ret} (*{name})({})", params.join(", ")),
                    );
                }
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        if let Some(open) = t.iter().position(|x| x == "(") {
            // A function prototype: name just before the first '('. cbindgen
            // writes the functions Rust imports (extern blocks) with a
            // leading `extern`; those are not our exports.
            if t[0] == "extern" {
                continue;
            }
            if open == 0 || !is_ident(&t[open - 1]) || t.last().map(String::as_str) != Some(")") {
                continue;
            }
            let name = t[open - 1].clone();
            let ret = t[..open - 1].join(" ");
            let inner = &t[open + 1..t.len() - 1];
            let params: Vec<String> = inner.split(|x| x == ",").map(param_type).collect();
            out.insert(name.clone(), format!("{ret} {name}({})", params.join(", ")));
        } else if t[0] == "extern" {
            let end = t.iter().position(|x| x == "[").unwrap_or(t.len());
            let name = t[end - 1].clone();
            let array = if end < t.len() { "[]" } else { "" };
            out.insert(
                name.clone(),
                format!("extern {} {name}{array}", t[1..end - 1].join(" ")),
            );
        }
    }
    out
}

#[test]
fn committed_header_matches_our_exports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen runs on the crate");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("utf-8 header");

    let header = std::fs::read_to_string(root.join("include/ukvm.h")).expect("read include/ukvm.h");
    let exports =
        std::fs::read_to_string(root.join("mk/rust/exports.txt")).expect("read exports.txt");

    let ours = declarations(&generated);
    let theirs = declarations(&header);
    let mut problems = Vec::new();
    for name in exports
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "main")
    {
        match (ours.get(name), theirs.get(name)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                problems.push(format!("{name}:\n  Rust exports: {a}\n  ukvm.h says:  {b}"))
            }
            (None, _) => problems.push(format!(
                "{name}: not exported by the crate (cbindgen found no item)"
            )),
            (_, None) => problems.push(format!("{name}: not declared in include/ukvm.h")),
        }
    }
    // The callback types modules implement must agree too.
    for name in ["ukvm_hypercall_fn_t", "ukvm_halt_fn_t", "ukvm_vmexit_fn_t"] {
        match (ours.get(name), theirs.get(name)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => problems.push(format!("{name}:\n  Rust: {a:?}\n  ukvm.h: {b:?}")),
        }
    }
    for name in ours.keys().filter(|n| !n.ends_with("_fn_t")) {
        if !exports.lines().any(|l| l.trim() == name) {
            problems.push(format!(
                "{name}: exported by the crate but missing from mk/rust/exports.txt"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "header drift:\n{}\n\ncbindgen output:\n{generated}",
        problems.join("\n")
    );
}

#[test]
fn declaration_parser_sees_types_not_names() {
    let d = declarations(
        "/* c */ void *f(struct s *hv, const char *file, int line);\n\
         extern fn_t tbl[];\nextern fn_t tbl2[N + 1];\nint g(void);\ntypedef int t;\n",
    );
    assert_eq!(d["f"], "void * f(struct s *, const char *, int)");
    assert_eq!(d["tbl"], "extern fn_t tbl[]");
    assert_eq!(d["tbl2"], "extern fn_t tbl2[]");
    assert_eq!(d["g"], "int g(void)");
    assert!(!d.contains_key("t"));
    let f = declarations("typedef void (*cb_t)(struct s *hv, uint64_t gpa);");
    assert_eq!(f["cb_t"], "typedef void (*cb_t)(struct s *, uint64_t)");
    assert!(
        declarations("extern int h(int x);").is_empty(),
        "imports are skipped"
    );
    let m = declarations(
        "#define M(a) \\\n  g((a), __LINE__)\nstruct s {\n  int (*setup)(int x);\n};\nint k(void);",
    );
    assert_eq!(
        m.keys().collect::<Vec<_>>(),
        vec!["k"],
        "macros and struct fields are not declarations"
    );
    let e = declarations("void *f(struct s *x, const char *y, long line);");
    assert_ne!(d["f"], e["f"], "a changed type is a difference");
}
