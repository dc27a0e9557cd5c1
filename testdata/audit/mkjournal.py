#!/usr/bin/env python3
"""Build journal.json from raw.log the way journald stores audit records.

There is no journald on the machines these logs were recorded on, so the
`journalctl -o json` sample is derived from the real raw.log following
systemd's src/journal/journald-audit.c: for each record, MESSAGE is the
type name, a space and the record's fields; _AUDIT_TYPE, _AUDIT_ID (the
serial) and _SOURCE_REALTIME_TIMESTAMP (seconds*1e6 + millis*1e3) carry
the header. systemd built against kernel headers older than 6.15 names
type 1423 "AUDIT1423", newer ones "LANDLOCK_ACCESS": the first half of the
records uses the old spelling, the second the new. Two entries of other
transports and one MESSAGE stored as a byte array (journalctl's form for
values that are not plain text) are added.

    python3 mkjournal.py < raw.log > journal.json
"""
import json
import re
import sys

NAMES = {1423: "LANDLOCK_ACCESS", 1424: "LANDLOCK_DOMAIN", 1300: "SYSCALL",
         1327: "PROCTITLE", 1305: "CONFIG_CHANGE"}
HEADER = re.compile(r"^type=(\S+) msg=audit\((\d+)\.(\d+):(\d+)\): ?(.*)$")

lines = [l.rstrip("\n") for l in sys.stdin]
out = []
for i, line in enumerate(lines):
    m = HEADER.match(line)
    if not m:
        continue
    spelled, sec, ms, serial, body = m.groups()
    num = re.match(r"UNKNOWN\[(\d+)\]", spelled)
    typ = int(num.group(1)) if num else {v: k for k, v in NAMES.items()}.get(spelled)
    if typ is None:
        continue  # auditd's own DAEMON_* records never reach journald
    name = NAMES[typ]
    if typ in (1423, 1424) and i < len(lines) // 2:
        name = "AUDIT%d" % typ
    src = int(sec) * 1000000 + int(ms) * 1000
    entry = {
        "__CURSOR": "s=5b1f;i=%x;b=9e1c;m=%x;t=%x;x=0" % (1000 + i, 4000000 + i, src + 37),
        "__REALTIME_TIMESTAMP": str(src + 37),
        "__MONOTONIC_TIMESTAMP": str(4000000 + i),
        "_BOOT_ID": "9e1c0a3b4f6d4c58a1c1f0e3d2b4a6c8",
        "_MACHINE_ID": "2f4e6a8c0b1d3f5a7c9e1b3d5f7a9c0e",
        "_HOSTNAME": "web-1",
        "_TRANSPORT": "audit",
        "SYSLOG_FACILITY": "4",
        "SYSLOG_IDENTIFIER": "audit",
        "_AUDIT_TYPE": str(typ),
        "_AUDIT_TYPE_NAME": name,
        "_AUDIT_ID": serial,
        "_SOURCE_REALTIME_TIMESTAMP": str(src),
        "MESSAGE": name + " " + body,
    }
    if typ == 1300:
        for k, jk in (("pid", "_PID"), ("uid", "_UID")):
            f = re.search(r"\b%s=(\d+)" % k, body)
            if f:
                entry[jk] = f.group(1)
    out.append(entry)

# Entries of other transports: journalctl -o json mixes them in.
out.insert(1, {"__REALTIME_TIMESTAMP": "1795755902000000", "_TRANSPORT": "kernel",
               "_HOSTNAME": "web-1", "MESSAGE": "virtio_net virtio0 eth0: link up"})
out.insert(2, {"__REALTIME_TIMESTAMP": "1795755902100000", "_TRANSPORT": "stdout",
               "_HOSTNAME": "web-1", "SYSLOG_IDENTIFIER": "app", "MESSAGE": "listening on :8080"})
# journalctl writes a value that is not printable text as an array of bytes.
for e in out:
    if e.get("_AUDIT_TYPE") == "1423" and "fs.read_dir" in e["MESSAGE"]:
        e["MESSAGE"] = list(e["MESSAGE"].encode())
        break

for e in out:
    print(json.dumps(e, separators=(",", ":")))
