"""host.py: the payload of monitors, guests and corpus that cases.sh runs, and one boot of the emulated AArch64 host to run it (compat/compare)."""
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
SETS = ("core", "blk", "net", "blknet")


def build_payload(out, build, mutants=None, extra=()):
    """Fill OUT/payload: c/SET and rust/SET monitors (and MUTANTS/SET from
    that directory, each name a side), the guests, the corpus, cases.sh and
    any EXTRA files. Deleted first: nothing of an earlier run is reused."""
    a64 = os.path.join(build, "aarch64")
    pay = os.path.join(out, "payload")
    shutil.rmtree(pay, ignore_errors=True)
    os.makedirs(pay)
    sides = [("c", os.path.join(out, "mon", "c")), ("rust", os.path.join(out, "mon", "rust"))]
    if mutants:
        sides += [(m, os.path.join(mutants, m)) for m in sorted(os.listdir(mutants))
                  if os.path.isdir(os.path.join(mutants, m))]
    for side, src in sides:
        for mset in SETS:
            os.makedirs(os.path.join(pay, side, mset))
            shutil.copy(os.path.join(src, mset, "ukvm-bin"), os.path.join(pay, side, mset, "ukvm-bin"))
    for d in (os.path.join(a64, "guests"), os.path.join(a64, "solo5-tests")):
        for f in sorted(os.listdir(d)):
            if f.endswith(".ukvm"):
                shutil.copy(os.path.join(d, f), pay)
    shutil.copy(os.path.join(a64, "bad-images", "lowhello.ukvm"), pay)
    shutil.copytree(os.path.join(out, "corpus"), os.path.join(pay, "corpus"))
    shutil.copy(os.path.join(HERE, "cases.sh"), pay)
    for f in extra:
        shutil.copy(f, pay)
    return pay, [s for s, _ in sides]


def run_host(pay, script, args, log, timeout=1800, progress=None):
    """Boot the host once and run SCRIPT ARGS from the payload; the console
    goes to LOG, deleted first so that a host that fails before writing it
    leaves no earlier run's output behind. PROGRESS(line) sees each console
    line. Returns testhost's exit status (the script's, 124 on timeout, 125
    when the host failed)."""
    if os.path.exists(log):
        os.remove(log)
    cmd = [os.path.join(TOP, "compat", "testhost", "testhost"), "run", "aarch64", "--timeout", str(timeout),
           "--log", log, pay, os.path.join(pay, script)] + list(args)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tail = []
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace")
        if progress:
            progress(line)
        if not line.startswith("@@"):
            tail = (tail + [line.rstrip()])[-20:]
    rc = p.wait()
    return rc, tail
