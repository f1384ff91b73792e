"""The yardstick of the inventory pages benchmark: the same VM table page served by
FastAPI + Jinja2 (Debian's python3-fastapi, python3-uvicorn, python3-jinja2), as a
Python portal would do it.

It is given every advantage the C portal does not take: the VM records are read once
at start from JSON files (`vcompanion dump --type vm` of each vCenter) and kept in
memory — no Redis round trip, no decryption, no session lookup per request — and sort
orders are cached per worker, as the C workers cache theirs. A request filters (text
over name, IP, DNS name, guest OS and host; power; cluster), sorts, slices one page
and renders the same columns and pager as templates/part-table-grid.mustache with
autoescaping.

    VC_REF_DATA=dir-of-vcenter.json-files python3 -m uvicorn --app-dir tests/bench \\
        ref_fastapi:app --workers 4 --port 8099
"""
import glob
import json
import os

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment

COLUMNS = [  # key, label, record field, numeric
    ("name", "Name", "name", False),
    ("power", "Power", "power_state", False),
    ("vcenter", "vCenter", "vcenter_name", False),
    ("cluster", "Cluster", "cluster_name", False),
    ("host", "Host", "host_name", False),
    ("cpus", "vCPU", "cpus", True),
    ("memory", "Memory", "memory_mb", True),
    ("storage", "Provisioned", "provisioned_bytes", True),
    ("ip", "IP address", "ip", False),
    ("guest", "Guest OS", "guest_os", False),
    ("snapshots", "Snapshots", "snapshot_count", True),
    ("tools", "Tools", "tools_status", False),
]
BY_KEY = {c[0]: c for c in COLUMNS}
SEARCHED = ("name", "ip", "dns_name", "guest_os", "host_name")

PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Virtual machines</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><nav class="sidebar"><a href="/dashboard">Dashboard</a><a href="/vms" aria-current="page">Virtual machines</a>
<a href="/hosts">Hosts</a><a href="/datastores">Datastores</a><a href="/networks">Networks</a></nav>
<main id="main"><h1>Virtual machines</h1>
<form id="tbl-filter" method="get" action="/vms"><input type="search" name="q" value="{{ q }}">
<select name="power"><option value="">Any power</option>{% for p in powers %}<option value="{{ p }}"{% if p == power %} selected{% endif %}>{{ p }}</option>{% endfor %}</select></form>
<div id="tbl"><table class="table"><thead><tr>
{% for c in cols %}<th scope="col" aria-sort="{{ c.aria }}"><a href="{{ c.href }}">{{ c.label }}</a></th>{% endfor %}
</tr></thead><tbody>
{% for r in rows %}<tr><td><input type="checkbox" name="target" value="{{ r.vcenter }}:{{ r.moref }}"></td>
<td><a href="/vms/{{ r.vcenter }}/{{ r.moref }}">{{ r.name }}</a></td><td><span class="badge">{{ r.power_state }}</span></td>
<td>{{ r.vcenter_name }}</td><td>{{ r.cluster_name }}</td><td>{{ r.host_name }}</td><td class="num">{{ r.cpus }}</td>
<td class="num">{{ "%.1f GB"|format((r.memory_mb or 0) / 1024) }}</td><td class="num">{{ "%.1f GB"|format((r.provisioned_bytes or 0) / 1073741824) }}</td>
<td>{{ r.ip }}</td><td>{{ r.guest_os }}</td><td class="num">{{ r.snapshot_count }}</td><td>{{ r.tools_status }}</td></tr>
{% else %}<tr><td colspan="13">Nothing matches these filters.</td></tr>{% endfor %}
</tbody></table>
<nav class="pager">{{ first }}–{{ last }} of <b class="total">{{ total }}</b> · Page {{ page }} of {{ pages }}</nav></div>
</main></body></html>
""")


def load():
    records = []
    for path in sorted(glob.glob(os.path.join(os.environ["VC_REF_DATA"], "*.json"))):
        vcenter = os.path.basename(path)[:-5]
        with open(path, encoding="utf-8") as f:
            for r in json.load(f):
                r.setdefault("vcenter", vcenter)
                r.setdefault("vcenter_name", vcenter)
                records.append(r)
    return records


VMS = load()
SORTED = {}      # (column key) -> records in ascending order, built on first use


def sort_key(field, numeric):
    if numeric:
        return lambda r: (r.get(field) or 0, r.get("name") or "")
    return lambda r: ((r.get(field) or "").lower(), r.get("name") or "")


def ordered(key):
    if key not in SORTED:
        _, _, field, numeric = BY_KEY[key]
        SORTED[key] = sorted(VMS, key=sort_key(field, numeric))
    return SORTED[key]


def matches(r, q, power, cluster):
    if power and r.get("power_state") != power:
        return False
    if cluster and r.get("cluster_name") != cluster:
        return False
    if q:
        return any(q in str(r.get(f) or "").lower() for f in SEARCHED)
    return True


app = FastAPI()


@app.get("/vms", response_class=HTMLResponse)
def vms(q: str = Query("", max_length=200), sort: str = "name", order: str = "asc",
        page: int = Query(1, ge=1), per_page: int = Query(50, ge=1, le=250),
        power: str = "", cluster: str = ""):
    key = sort if sort in BY_KEY else "name"
    rows = ordered(key)
    if order == "desc":
        rows = rows[::-1]
    needle = q.lower()
    if needle or power or cluster:
        rows = [r for r in rows if matches(r, needle, power, cluster)]
    total = len(rows)
    pages = max(1, (total + per_page - 1) // per_page)
    page = min(page, pages)
    window = rows[(page - 1) * per_page:page * per_page]
    cols = [{"label": label, "aria": ("descending" if order == "desc" else "ascending") if k == key else "none",
             "href": f"/vms?sort={k}&order={'asc' if k != key or order == 'desc' else 'desc'}"}
            for k, label, _, _ in COLUMNS]
    return PAGE.render(rows=window, cols=cols, q=q, power=power, total=total, page=page, pages=pages,
                       first=(page - 1) * per_page + 1 if total else 0, last=(page - 1) * per_page + len(window),
                       powers=("poweredOn", "poweredOff", "suspended"))
