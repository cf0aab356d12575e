"""records.py: reads the console log of a cases.sh run (compat/compare) into per-case, per-side records.

    @@case NAME SIDE STATUS OUT_MD5 ERR_MD5 DISK_MD5 [PINGS]
    @@o NAME SIDE LINE      @@e NAME SIDE LINE      @@end

Returns (records, order, ended): records[name][side] is a dict with
status, console, diag, disk, pings, o (console lines), e (diagnostic
lines); order lists the case names as they first appeared; ended is True
when the log holds @@end (the script ran to its last case).
"""


def parse_lines(lines):
    recs, order = {}, []
    ended = False
    for line in lines:
        line = line.rstrip("\r\n")
        if line == "@@end":
            ended = True
        elif line.startswith("@@case "):
            parts = line.split(" ")
            if len(parts) < 7:
                continue
            name, side, st, out, err, disk = parts[1:7]
            pings = parts[7] if len(parts) > 7 else "-"
            if name not in recs:
                recs[name] = {}
                order.append(name)
            recs[name][side] = {"status": st, "console": out, "diag": err, "disk": disk,
                                "pings": pings, "o": [], "e": []}
        elif line.startswith("@@o ") or line.startswith("@@e "):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in recs and parts[2] in recs[parts[1]]:
                recs[parts[1]][parts[2]][parts[0][2]].append(parts[3] if len(parts) > 3 else "")
    return recs, order, ended


def parse(log):
    with open(log, encoding="utf-8", errors="replace") as f:
        return parse_lines(f)
