#!/usr/bin/env python3
"""Checks the exports of `vcompanion report` the way their consumers read them:
the workbook with openpyxl (Debian's python3-openpyxl), the CSV with the csv
module, the JSON with the json module. Used by tests/integration/test-report.sh.

    check_xlsx.py xlsx FILE EXPECT.json     the inventory workbook
    check_xlsx.py rows FILE SHEET N         SHEET of the workbook has N data rows
    check_xlsx.py csv FILE EXPECT.json      vInfo as CSV
    check_xlsx.py csvsnap FILE DESCRIPTION  vSnapshot as CSV: one row, DESCRIPTION kept
    check_xlsx.py json FILE EXPECT.json     the inventory as JSON

EXPECT.json: {"hostile": the hostile VM name, "rows": {sheet: data rows}}.
Exits 1 with the list of failures on stderr.
"""
import csv
import datetime
import json
import re
import sys

import openpyxl

SHEETS = ["vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vSnapshot",
          "vTools", "vSource", "vCluster", "vHost", "vNIC", "vSwitch", "vPort", "dvSwitch",
          "dvPort", "vSC_VMK", "vDatastore", "vHealth"]
# Columns that must hold numbers / dates whenever they hold anything.
NUMERIC = {"vInfo": ["CPUs", "Memory", "NICs", "Disks", "Provisioned MiB", "In Use MiB",
                     "Total disk capacity MiB"],
           "vCPU": ["CPUs", "Sockets", "Cores p/s"], "vMemory": ["Size MiB"],
           "vDisk": ["Capacity MiB"], "vHost": ["# CPU", "# Cores", "# Memory", "Speed"],
           "vDatastore": ["Capacity MiB", "Free MiB"], "vCluster": ["NumHosts", "TotalCpu"]}
DATES = {"vHost": ["Boot time"], "vSnapshot": ["Date / time"], "vSource": ["Last collection"]}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

failures = []


def fail(msg):
    failures.append(msg)


def done():
    for f in failures:
        print("check_xlsx: " + f, file=sys.stderr)
    sys.exit(1 if failures else 0)


def rows_of(ws):
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]] if rows else []
    return header, rows[1:]


def check_types(sheet, header, rows):
    for col in NUMERIC.get(sheet, []):
        i = header.index(col)
        for r in rows:
            v = r[i].value
            if v is not None and (r[i].data_type != "n" or isinstance(v, bool)):
                fail(f"{sheet}!{r[i].coordinate} ({col}) is {r[i].data_type} {v!r}, not a number")
    for col in DATES.get(sheet, []):
        i = header.index(col)
        for r in rows:
            if r[i].value is not None and not isinstance(r[i].value, datetime.datetime):
                fail(f"{sheet}!{r[i].coordinate} ({col}) is {r[i].value!r}, not a date")
            elif r[i].value is not None and not r[i].is_date:
                fail(f"{sheet}!{r[i].coordinate} ({col}) has no date format")


def check_sheet(wb, sheet, expect):
    ws = wb[sheet]
    header, rows = rows_of(ws)
    for h in ("VI SDK Server", "VI SDK UUID"):
        if h not in header:
            fail(f"{sheet}: no '{h}' column")
            continue
        i = header.index(h)
        empty = [r[i].coordinate for r in rows if not r[i].value]
        if empty:
            fail(f"{sheet}: '{h}' empty in {empty[:5]}")
    want = expect["rows"].get(sheet)
    if want is not None and len(rows) != want:
        fail(f"{sheet}: {len(rows)} data rows, the simulators hold {want}")
    if ws.freeze_panes != "A2":
        fail(f"{sheet}: header not frozen ({ws.freeze_panes})")
    if not (ws.auto_filter.ref or "").startswith("A1:"):
        fail(f"{sheet}: no autofilter ({ws.auto_filter.ref})")
    if header and not all(c.font.b for c in ws[1]):
        fail(f"{sheet}: header not bold")
    for r in rows:
        for c in r:
            if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=") and c.data_type != "s"):
                fail(f"{sheet}!{c.coordinate} is a formula: {c.value!r}")
    check_types(sheet, header, rows)
    return header, rows


def cmd_xlsx(path, expect_path):
    expect = json.load(open(expect_path))
    wb = openpyxl.load_workbook(path)
    if wb.sheetnames != SHEETS:
        fail(f"sheets {wb.sheetnames} != {SHEETS}")
    for sheet in wb.sheetnames:
        check_sheet(wb, sheet, expect)
    header, rows = rows_of(wb["vInfo"])
    if header[:3] != ["VM", "Powerstate", "Template"]:
        fail(f"vInfo header starts {header[:3]}")
    hostile = [r[0] for r in rows if r[0].value == expect["hostile"]]
    if len(hostile) != 1:
        fail(f"vInfo: the hostile name is not there exactly once: {[r[0].value for r in rows]}")
    elif hostile[0].data_type != "s":
        fail(f"vInfo: the hostile name is a {hostile[0].data_type} cell")
    tmpl = header.index("Template")
    if any(not isinstance(r[tmpl].value, bool) for r in rows):
        fail("vInfo: Template is not a boolean")
    done()


def cmd_rows(path, sheet, n):
    wb = openpyxl.load_workbook(path, read_only=True)
    if sheet not in wb.sheetnames:
        fail(f"no sheet {sheet} in {wb.sheetnames}")
    else:
        got = sum(1 for _ in wb[sheet].iter_rows(min_row=2))
        if got != int(n):
            fail(f"{sheet}: {got} data rows, want {n}")
    done()


def cmd_csv(path, expect_path):
    expect = json.load(open(expect_path))
    raw = open(path, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        fail("CSV starts with a BOM")
    if b"\r\n" not in raw:
        fail("CSV lines do not end in CRLF")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    if header[:3] != ["VM", "Powerstate", "Template"] or header[-2:] != ["VI SDK Server", "VI SDK UUID"]:
        fail(f"CSV header {header}")
    if len(data) != expect["rows"]["vInfo"]:
        fail(f"CSV: {len(data)} rows, want {expect['rows']['vInfo']}")
    if any(len(r) != len(header) for r in data):
        fail("CSV: a row has the wrong number of fields")
    names = [r[0] for r in data]
    if "'" + expect["hostile"] not in names:
        fail(f"CSV: hostile name not prefixed with a quote: {names}")
    if any(n.startswith(("=", "+", "-", "@")) for n in names):
        fail("CSV: a cell starts with a formula character")
    cpus = header.index("CPUs")
    if not all(r[cpus].isdigit() for r in data):
        fail("CSV: CPUs are not plain numbers")
    done()


def cmd_csvsnap(path, description):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 1:
        fail(f"vSnapshot CSV: {len(rows)} rows, want 1")
    elif rows[0]["Description"] != "'" + description:
        fail(f"vSnapshot CSV: Description {rows[0]['Description']!r}")
    elif not ISO.match(rows[0]["Date / time"]):
        fail(f"vSnapshot CSV: Date / time {rows[0]['Date / time']!r} is not ISO 8601")
    done()


def cmd_json(path, expect_path):
    expect = json.load(open(expect_path))
    doc = json.load(open(path))
    if list(doc) != SHEETS:
        fail(f"JSON keys {list(doc)}")
    for sheet, want in expect["rows"].items():
        if len(doc.get(sheet, [])) != want:
            fail(f"JSON {sheet}: {len(doc.get(sheet, []))} records, want {want}")
    for sheet, recs in doc.items():
        for r in recs:
            if not r.get("VI SDK Server") or not r.get("VI SDK UUID"):
                fail(f"JSON {sheet}: record without VI SDK Server/UUID")
                break
            if any(isinstance(v, (dict, list)) for v in r.values()):
                fail(f"JSON {sheet}: record is not flat")
                break
    vinfo = doc["vInfo"]
    if not all(isinstance(r["CPUs"], int) and isinstance(r["Template"], bool) for r in vinfo):
        fail("JSON vInfo: CPUs not numbers or Template not booleans")
    if expect["hostile"] not in [r["VM"] for r in vinfo]:
        fail("JSON vInfo: the hostile name did not round-trip")
    for r in doc["vHost"]:
        if r["Boot time"] is not None and not ISO.match(r["Boot time"]):
            fail(f"JSON vHost: Boot time {r['Boot time']!r} is not ISO 8601")
    done()


if __name__ == "__main__":
    cmds = {"xlsx": cmd_xlsx, "rows": cmd_rows, "csv": cmd_csv, "csvsnap": cmd_csvsnap,
            "json": cmd_json}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](*sys.argv[2:])
