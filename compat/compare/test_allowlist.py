#!/usr/bin/env python3
"""test_allowlist.py: unit tests of compare's matcher (allowlist.py) and log reader (records.py) on synthetic records; no host needed.

    python3 compat/compare/test_allowlist.py

The central check: for every entry of the real allowlist.tsv, a crash of
ours (status 139) and an "internal error" message of ours are rejected,
even by the widest form of the entry (its patterns replaced by .*), which
does accept an ordinary record. Ends with "matcher: N passed, N failed,
N skipped".
"""
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import allowlist  # noqa: E402
import records  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def rec(status="1", o=(), e=(), disk="-", pings="-"):
    o, e = list(o), list(e)
    return {"status": status, "console": "o:" + "\n".join(o), "diag": "e:" + "\n".join(e),
            "disk": disk, "pings": pings, "o": o, "e": e}


def entry(line):
    return allowlist.parse_line(line, 1)


def case_name(glob):
    """A case name the glob matches."""
    return re.sub(r"\[[^]]*\]", "x", glob).replace("*", "x").replace("?", "x")


def widest(e):
    """E with every pattern term replaced by .* (accepts any output)."""
    return allowlist.Entry(e.case, e.fields, e.status,
                           [(f, re.compile(".*", re.S), ".*") for f, _, _ in e.terms], e.why, e.line)


def differing(e, up_status="1"):
    """Upstream's and our records for entry E's case that differ in every
    field E lists, ours with E's status."""
    up = rec(up_status, ["upstream console"], ["MON: upstream message"], disk="aaaa")
    ours = rec(e.status, ["our console"], ["MON: upstream message, our detail"], disk="bbbb")
    if "status" in e.fields:
        up["status"] = "0" if e.status != "0" else "1"
    else:
        up["status"] = e.status
    if "console" not in e.fields:
        ours["o"], ours["console"] = up["o"], up["console"]
    if "diag" not in e.fields and "diag+" not in e.fields:
        ours["e"], ours["diag"] = up["e"], up["diag"]
    if "disk" not in e.fields:
        ours["disk"] = up["disk"]
    return up, ours


class RealEntries(unittest.TestCase):
    """Every entry of allowlist.tsv against a crash and an internal error."""

    @classmethod
    def setUpClass(cls):
        cls.entries = allowlist.load(os.path.join(HERE, "allowlist.tsv"))

    def test_there_are_entries(self):
        self.assertGreater(len(self.entries), 50)

    def test_widest_form_accepts_an_ordinary_record(self):
        # The control: without the crash, the entry would accept.
        for e in self.entries:
            w = widest(e)
            up, ours = differing(w)
            v = allowlist.judge(case_name(e.case), up, ours, [w])
            with self.subTest(entry=e.where(), case=e.case):
                self.assertEqual(v.bad, [], "the control record should pass")

    def test_crash_is_rejected_by_every_entry(self):
        for e in self.entries:
            for entries in ([e], [widest(e)]):
                up, ours = differing(entries[0])
                ours["status"] = "139"
                ours["e"] = ["Segmentation fault"]
                ours["diag"] = "e:segv"
                v = allowlist.judge(case_name(e.case), up, ours, entries)
                with self.subTest(entry=e.where(), case=e.case):
                    self.assertTrue(any("signal 11" in b for b in v.bad), v.bad)

    def test_internal_error_is_rejected_by_every_entry(self):
        for e in self.entries:
            for entries in ([e], [widest(e)]):
                up, ours = differing(entries[0])
                ours["e"] = ["MON: internal error in main: index out of bounds"]
                ours["diag"] = "e:ie"
                v = allowlist.judge(case_name(e.case), up, ours, entries)
                with self.subTest(entry=e.where(), case=e.case):
                    self.assertTrue(any("internal error" in b for b in v.bad), v.bad)
                ours["e"] = ["thread '<unnamed>' panicked at src/x.rs:1:1:", "boom"]
                v = allowlist.judge(case_name(e.case), up, ours, entries)
                with self.subTest(entry=e.where(), case=e.case, what="panic"):
                    self.assertTrue(any("panicked at" in b for b in v.bad), v.bad)

    def test_every_entry_names_our_status_and_output(self):
        for e in self.entries:
            with self.subTest(entry=e.where()):
                self.assertFalse(allowlist.is_signal_status(e.status))
                self.assertTrue(e.terms)

    def test_ours_timing_out_is_accepted_only_where_an_entry_says_so(self):
        by_case = {}
        for e in self.entries:
            by_case.setdefault(e.case, []).append(e)
        for e in self.entries:
            if e.status == allowlist.TIMEOUT:
                continue
            up = rec("1", [], ["MON: refused"])
            ours = rec("timeout", [], ["MON: Exiting on signal 15"])
            v = allowlist.judge(case_name(e.case), up, ours, [widest(x) for x in by_case[e.case]
                                                              if x.status != allowlist.TIMEOUT])
            with self.subTest(entry=e.where()):
                self.assertTrue(any("timer fired" in b for b in v.bad), v.bad)


class Rules(unittest.TestCase):
    def test_same_records_pass_without_entries(self):
        v = allowlist.judge("x", rec("0", ["hi"]), rec("0", ["hi"]), [])
        self.assertEqual(v.bad, [])
        self.assertEqual(set(v.cells.values()), {"same"})

    def test_unlisted_difference_fails(self):
        v = allowlist.judge("x", rec("1", [], ["a"]), rec("1", [], ["b"]), [])
        self.assertEqual(v.bad, ["diag differs"])

    def test_status_of_ours_must_be_the_entry_s(self):
        e = entry("x\tstatus,diag\t1\tdiag~MON: refused\tclearer")
        self.assertEqual(allowlist.judge("x", rec("139"), rec("1", [], ["MON: refused"]), [e]).bad, [])
        v = allowlist.judge("x", rec("139"), rec("0", [], ["MON: refused"]), [e])
        self.assertTrue(any("expects ours to end with status 1, got 0" in b for b in v.bad), v.bad)

    def test_pattern_must_match_the_whole_output(self):
        e = entry("x\tdiag\t1\tdiag~MON: refused\tclearer")
        v = allowlist.judge("x", rec("1", [], ["a"]), rec("1", [], ["MON: refused, and more"]), [e])
        self.assertTrue(any("expects our diag to match" in b for b in v.bad), v.bad)
        v = allowlist.judge("x", rec("1", [], ["a"]), rec("1", [], []), [e])
        self.assertTrue(v.bad)

    def test_empty_pattern_means_empty_output(self):
        e = entry("x\tconsole,diag\t0\tconsole~hello && diag~\truns")
        self.assertEqual(allowlist.judge("x", rec("0", [], ["a"]), rec("0", ["hello"], []), [e]).bad, [])
        self.assertTrue(allowlist.judge("x", rec("0", [], ["a"]), rec("0", ["hello"], ["warn"]), [e]).bad)

    def test_exact_entry_is_stale_when_the_field_agrees(self):
        e = entry("x\tdiag\t1\tdiag~b\tclearer")
        v = allowlist.judge("x", rec("1", [], ["b"]), rec("1", [], ["b"]), [e])
        self.assertTrue(any("stale" in b for b in v.bad), v.bad)

    def test_glob_entry_unused_is_stale(self):
        e = entry("elf-*\tdiag+\t1\tdiag~.*\tclearer")
        allowlist.judge("elf-a", rec("1", [], ["a"]), rec("1", [], ["a"]), [e])
        self.assertEqual(allowlist.stale_globs([e]), [e])
        allowlist.judge("elf-b", rec("1", [], ["a"]), rec("1", [], ["a: more"]), [e])
        self.assertEqual(allowlist.stale_globs([e]), [])

    def test_diag_plus_needs_each_line_extended(self):
        e = entry("elf-*\tdiag+\t1\tdiag~.*\tclearer")
        self.assertEqual(allowlist.judge("elf-a", rec("1", [], ["f: Exec"]),
                                         rec("1", [], ["f: Exec: detail"]), [e]).bad, [])
        self.assertEqual(allowlist.judge("elf-a", rec("1", [], ["f: Exec"]),
                                         rec("1", [], ["other"]), [e]).bad, ["diag differs"])

    def test_timeout_never_matches_a_refusal(self):
        # Upstream refused (status 1); ours ran until the timer: the statuses
        # differ, and an entry for a refusal of ours does not cover it.
        e = entry("elf-x\tdiag\t1\tdiag~.*\tstricter")
        v = allowlist.judge("elf-x", rec("1", [], ["MON: f: Exec format error"]),
                            rec("timeout", [], ["MON: Exiting on signal 15"]), [e])
        self.assertIn("status differs", v.bad)
        self.assertTrue(any("timer fired" in b for b in v.bad), v.bad)

    def test_both_timing_out_needs_an_entry(self):
        up = rec("timeout", [], ["MON: Exiting on signal 15"])
        ours = rec("timeout", [], ["MON: Exiting on signal 15"])
        self.assertTrue(allowlist.judge("spin", up, ours, []).bad)
        e = entry("spin\t-\ttimeout\tdiag~MON: Exiting on signal 15\tspins")
        self.assertEqual(allowlist.judge("spin", up, ours, [e]).bad, [])
        # ... and that entry fails once ours stops timing out.
        self.assertTrue(allowlist.judge("spin", rec("0"), rec("0"), [e]).bad)

    def test_net_case_fails_when_a_guest_answers_no_ping(self):
        ok = rec("1", ["ping: answered"], pings="3")
        silent = rec("1", ["ping: no answer"], pings="0")
        self.assertEqual(allowlist.judge("net", ok, dict(ok), []).bad, [])
        both = allowlist.judge("net", silent, dict(silent), [])
        self.assertEqual(len(both.bad), 2, both.bad)
        self.assertTrue(allowlist.judge("net", ok, silent, []).bad)

    def test_crash_fails_even_when_upstream_crashes_the_same_way(self):
        v = allowlist.judge("x", rec("139"), rec("139"), [])
        self.assertTrue(any("signal 11" in b for b in v.bad), v.bad)

    def test_guest_abort_status_255_is_not_a_signal(self):
        self.assertFalse(allowlist.is_signal_status("255"))
        self.assertTrue(allowlist.is_signal_status("134"))
        self.assertEqual(allowlist.judge("x", rec("255"), rec("255"), []).bad, [])


class Parsing(unittest.TestCase):
    def bad(self, line):
        with self.assertRaises(allowlist.AllowlistError):
            allowlist.parse_line(line, 1)

    def test_malformed_lines_are_refused(self):
        self.bad("x\tdiag\tclearer")                                 # old 3-column form
        self.bad("x\tdiag\t1\tdiag~a")                               # no WHY
        self.bad("x\tbogus\t1\tdiag~a\twhy")                         # unknown field
        self.bad("x\tdiag\t139\tdiag~a\twhy")                        # a signal's status
        self.bad("x\tdiag\tmaybe\tdiag~a\twhy")                      # not a status
        self.bad("x\tdiag\t1\tconsole~a\twhy")                       # diag listed, no diag term
        self.bad("x\tstatus,console\t0\tdiag~a\twhy")                # console listed, no console term
        self.bad("x\tdiag\t1\tstderr~a\twhy")                        # unknown term field
        self.bad("x\tdiag\t1\tdiag~(\twhy")                          # bad regex
        self.bad("x\t-\t1\tdiag~a\twhy")                             # '-' only for timeouts
        self.bad("x\tdiag\t1\t\twhy")                                # no pattern

    def test_good_line(self):
        e = allowlist.parse_line("mem-1\tstatus,console,diag\t0\tconsole~(?s).*ok && diag~\truns", 7)
        self.assertEqual((e.case, e.fields, e.status, [t[0] for t in e.terms]),
                         ("mem-1", ("status", "console", "diag"), "0", ["console", "diag"]))
        self.assertTrue(e.exact)


class Records(unittest.TestCase):
    def test_parse(self):
        recs, order, ended = records.parse_lines([
            "noise\n",
            "@@case a c timeout d1 d2 - -\n", "@@e a c MON: Exiting on signal 15\n",
            "@@case a rust 1 d1 d3 - -\n", "@@e a rust MON: refused\n", "@@o a rust \n",
            "@@case n c 1 x y - 3\n",
            "@@end\n"])
        self.assertEqual(order, ["a", "n"])
        self.assertTrue(ended)
        self.assertEqual(recs["a"]["c"]["status"], "timeout")
        self.assertEqual(recs["a"]["rust"]["e"], ["MON: refused"])
        self.assertEqual(recs["a"]["rust"]["o"], [""])
        self.assertEqual(recs["n"]["c"]["pings"], "3")

    def test_unfinished_log(self):
        self.assertFalse(records.parse_lines(["@@case a c 0 x y - -\n"])[2])


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    # A failed subtest is reported once per subtest: count test methods.
    bad = {getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors}
    skipped = len(result.skipped)
    print(f"matcher: {result.testsRun - len(bad) - skipped} passed, {len(bad)} failed, {skipped} skipped")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
