"""allowlist.py: the accepted differences (allowlist.tsv) and the verdict on one case of compat/compare.

Pure code, no host and no I/O but reading the allowlist: compare and
harness judge the host's records with it, and test_allowlist.py feeds it
synthetic ones.

A record is one monitor's run of a case: a dict with
    status   exit status as text ("0".."255"), or "timeout" when the case's
             timer fired (the monitor was still running and got SIGTERM)
    console, diag, disk   hashes of the normalised stdout, stderr, disk
    pings    pings answered in a net case ("-" elsewhere)
    o, e     the normalised stdout and stderr lines (as shown, cut)

An allowlist line has five TAB-separated columns:
    CASE          the case's name, or a glob over names
    FIELDS        the fields that may differ, comma-separated: status,
                  console, diag, disk, or diag+ (our diagnostics may differ
                  only by extending each of upstream's lines); or `-`: no
                  field may differ, the entry only says that both monitors
                  run until the case's timer ends them (OURS-STATUS timeout)
    OURS-STATUS   the status ours must have: 0-255 or timeout
    OURS-PATTERN  what our output must be: one or more FIELD~REGEX joined by
                  " && ", FIELD console or diag; the REGEX must match the
                  whole of that output (its lines joined by newlines;
                  Python re, use (?s) for .* across lines; FIELD~ alone
                  means empty). Every text field an entry lets differ
                  (console, diag, diag+) needs a term.
    WHY           why ours differs (docs/differences.md has more)

A difference is accepted only by an entry naming the case and the field
whose status and pattern our record meets. An entry naming a case exactly
is checked whenever that case runs: our status and pattern must hold, and
each field it lists must really differ (else the entry is stale). A glob
entry must accept at least one difference in a full run.

Never accepted, whatever the entries say: our monitor killed by a signal
(status 129-191: 128 + the signal; 255 is a guest's abort, not a signal),
our output containing "internal error" or "panicked at" (the library's
panic guard), our monitor still running when the case's timer fired
unless an entry with OURS-STATUS timeout names the case, and a net case
in which either monitor's guest answered no ping.
"""
import fnmatch
import re

FIELDS = ("status", "console", "diag", "disk")
ENTRY_FIELDS = FIELDS + ("diag+",)
TEXT_OF = {"console": "o", "diag": "e"}
NO_FIELD = "-"
TIMEOUT = "timeout"
# Our output with these words is a bug of ours (src/ffi/guard.rs).
CRASH_WORDS = ("internal error", "panicked at")


class AllowlistError(Exception):
    pass


def is_signal_status(status):
    """True for 129-191: a process killed by signal 1-63, as sh reports it."""
    return status.isdigit() and 129 <= int(status) <= 191


class Entry:
    def __init__(self, case, fields, status, terms, why, line):
        self.case = case
        self.fields = fields
        self.status = status
        self.terms = terms  # [(field, compiled regex, source)]
        self.why = why
        self.line = line
        self.used = 0

    @property
    def exact(self):
        return not any(ch in self.case for ch in "*?[")

    def where(self):
        return f"allowlist.tsv:{self.line}"

    def lets_differ(self, fld):
        return fld in self.fields or (fld == "diag" and "diag+" in self.fields)

    def mismatch(self, ours):
        """Why our record is not what this entry says ours is (None if it is)."""
        if ours["status"] != self.status:
            return f"{self.where()} expects ours to end with status {self.status}, got {ours['status']}"
        for fld, rx, src in self.terms:
            text = "\n".join(ours[TEXT_OF[fld]])
            if not rx.fullmatch(text):
                first = ours[TEXT_OF[fld]][0] if ours[TEXT_OF[fld]] else ""
                return (f"{self.where()} expects our {fld} to match /{src}/, "
                        f"got {len(ours[TEXT_OF[fld]])} line(s) starting {first[:100]!r}")
        return None


def parse_line(line, n):
    """One allowlist line as an Entry; AllowlistError says what is wrong."""
    cols = line.split("\t")
    if len(cols) != 5:
        raise AllowlistError(f"line {n}: want 5 TAB-separated columns "
                             f"(CASE FIELDS OURS-STATUS OURS-PATTERN WHY), got {len(cols)}")
    case, fields_s, status, pattern, why = (c.strip() for c in cols)
    if not case or not why:
        raise AllowlistError(f"line {n}: CASE and WHY must not be empty")
    if fields_s == NO_FIELD:
        fields = ()
    else:
        fields = tuple(fields_s.split(","))
        bad = [f for f in fields if f not in ENTRY_FIELDS]
        if not fields or bad:
            raise AllowlistError(f"line {n}: FIELDS '{fields_s}': each one of {', '.join(ENTRY_FIELDS)}, or '-'")
    if status != TIMEOUT and not (status.isdigit() and 0 <= int(status) <= 255):
        raise AllowlistError(f"line {n}: OURS-STATUS '{status}': want 0-255 or {TIMEOUT}")
    if is_signal_status(status):
        raise AllowlistError(f"line {n}: OURS-STATUS {status} is a signal's (a crash): never accepted")
    if not fields and status != TIMEOUT:
        raise AllowlistError(f"line {n}: FIELDS '-' is only for cases both monitors run until the timer "
                             f"(OURS-STATUS {TIMEOUT})")
    terms = []
    for term in pattern.split(" && "):
        fld, sep, rx = term.partition("~")
        if not sep or fld not in TEXT_OF:
            raise AllowlistError(f"line {n}: OURS-PATTERN term '{term}': want console~REGEX or diag~REGEX")
        try:
            terms.append((fld, re.compile(rx), rx))
        except re.error as e:
            raise AllowlistError(f"line {n}: OURS-PATTERN /{rx}/: {e}") from None
    named = {t[0] for t in terms}
    for fld in fields:
        base = "diag" if fld == "diag+" else fld
        if base in TEXT_OF and base not in named:
            raise AllowlistError(f"line {n}: FIELDS lets {fld} differ, so OURS-PATTERN needs a {base}~ term")
    return Entry(case, fields, status, terms, why, n)


def parse(text):
    entries = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        entries.append(parse_line(line, n))
    return entries


def load(path):
    with open(path, encoding="utf-8") as f:
        return parse(f.read())


def crash_of(ours):
    """What makes our record a crash or a bug of ours (None if nothing)."""
    if is_signal_status(ours["status"]):
        return f"killed by signal {int(ours['status']) - 128} (status {ours['status']})"
    for k in ("e", "o"):
        for line in ours[k]:
            for w in CRASH_WORDS:
                if w in line:
                    return f"printed '{w}' ({line[:100]!r})"
    return None


def extends(up, ours):
    """Each of our diagnostic lines is upstream's with more after it."""
    return len(up["e"]) == len(ours["e"]) and all(
        b.startswith(a) and a != b for a, b in zip(up["e"], ours["e"]))


class Verdict:
    def __init__(self):
        self.cells = {}   # field -> "same" | "allowed" | "DIFFERS"
        self.bad = []     # why the case fails
        self.notes = []   # why accepted differences are accepted

    @property
    def ok(self):
        return not self.bad


def judge(name, up, ours, entries):
    """The verdict on case NAME: upstream's record against ours."""
    v = Verdict()
    naming = [e for e in entries if fnmatch.fnmatchcase(name, e.case)]
    crash = crash_of(ours)
    if crash:
        v.bad.append(f"ours {crash}: never accepted")
    for side, rec in (("upstream's", up), ("our", ours)):
        if rec.get("pings", "-") != "-" and not (rec["pings"].isdigit() and int(rec["pings"]) > 0):
            v.bad.append(f"{side} guest answered no ping ({rec['pings']})")
    # An entry naming the case exactly always holds for it.
    for e in naming:
        if e.exact:
            why = e.mismatch(ours)
            if why:
                v.bad.append(why)
    if ours["status"] == TIMEOUT and not any(
            e.status == TIMEOUT and e.mismatch(ours) is None for e in naming):
        v.bad.append("ours was still running when the timer fired, and no allowlist entry expects that")
    for fld in FIELDS:
        same = up[fld] == ours[fld]
        if same:
            v.cells[fld] = "same"
            for e in naming:
                if e.exact and fld in e.fields:
                    v.bad.append(f"{fld}: allowlisted ({e.where()}) but now the same: stale entry")
            continue
        cands = [e for e in naming if fld in e.fields or
                 (fld == "diag" and "diag+" in e.fields and extends(up, ours))]
        fits = [e for e in cands if e.mismatch(ours) is None]
        if fits and not crash:
            v.cells[fld] = "allowed"
            for e in fits:
                e.used += 1
            v.notes.append(f"{fld}: {fits[0].why}")
        else:
            v.cells[fld] = "DIFFERS"
            if cands and not fits and not cands[0].exact:
                # (an exact entry's mismatch is reported above already)
                v.bad.append(f"{fld} differs; {cands[0].mismatch(ours)}")
            else:
                v.bad.append(f"{fld} differs")
    v.bad = list(dict.fromkeys(v.bad))
    return v


def stale_globs(entries):
    """Glob entries that accepted nothing (call after judging every case)."""
    return [e for e in entries if not e.exact and e.used == 0]
