#!/usr/bin/env bash
# `vcompanion report` end to end: two simulators, one VM renamed through the SOAP
# API to a hostile name (formula + HTML), one snapshot taken; the collector fills
# Redis; the workbook is opened with openpyxl (tests/integration/check_xlsx.py),
# the CSV with python's csv module and the JSON with python's json, and compared
# with what `vcompanion dump` says the simulators hold. Then the error paths:
# usage errors exit 2, a tampered value exits 1 and leaves no file.
set -uo pipefail
: "${VC_RIG:=$(cd "$(dirname "$0")/../rig" && pwd)}"
# shellcheck source=../rig/lib.sh
. "$VC_RIG/lib.sh"
# Debian's python3-openpyxl lives under /usr/bin/python3 (not a pyenv python).
PY=${VC_PYTHON:-/usr/bin/python3}
CHECK="$(cd "$(dirname "$0")" && pwd)/check_xlsx.py"
VC=${VC_CLI:-$VC_BUILD/fcgi/vcompanion}
COLLECTOR=${VC_COLLECTOR:-$VC_BUILD/collector/vcompanion-collector}
HOSTILE=$'=cmd|\' /C calc\'!A0<script>"x"'
PASS=0 FAIL=0

ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
nok() { echo "not ok - $1"; FAIL=$((FAIL + 1)); }
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}

xml_escape() {
	local s=$1
	shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: '&' would mean the match
	s=${s//&/&amp;}
	s=${s//</&lt;}
	s=${s//>/&gt;}
	s=${s//\"/&quot;}
	s=${s//\'/&apos;}
	printf '%s' "$s"
}

# soap NAME BODY: one vim25 call to simulator NAME with the session cookie jar.
soap() {
	local v url cert
	v=$(rig_vcsim_var "$1")
	url=${v}_URL cert=${v}_CERT
	curl -sS --max-time 20 --cacert "${!cert}" -b "$RIG_DIR/$1.jar" -c "$RIG_DIR/$1.jar" \
		-H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: "urn:vim25/6.5"' \
		--data-binary "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:vim25=\"urn:vim25\"><soapenv:Body>$2</soapenv:Body></soapenv:Envelope>" \
		"${!url}"
}

soap_login() {
	local v user pass
	v=$(rig_vcsim_var "$1")
	user=${v}_USER pass=${v}_PASSWORD
	soap "$1" "<vim25:Login><vim25:_this type=\"SessionManager\">SessionManager</vim25:_this><vim25:userName>$(xml_escape "${!user}")</vim25:userName><vim25:password>$(xml_escape "${!pass}")</vim25:password></vim25:Login>" | grep -q '<key>'
}

# first_vm NAME: the moref of the VM whose name sorts first (DC0_H0_VM0).
first_vm() {
	"$VC" -c "$RIG_CONFIG" dump --vcenter "$1" --type vm |
		python3 -c 'import json,sys; v=sorted(json.load(sys.stdin), key=lambda r: r["name"]); print(v[0]["moref"], v[1]["moref"])'
}

setup() {
	rig_init
	rig_redis_start
	rig_vcsim_spawn alpha -vms=3
	rig_vcsim_spawn beta -clusters=2 -vms=2
	rig_vcsim_wait alpha
	rig_vcsim_wait beta
	rig_config "$RIG_DIR/vcompanion.json"
	"$COLLECTOR" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/c1.out" 2>&1 || rig_die "collector failed"
	read -r VM0 VM1 < <(first_vm beta)
	soap_login beta || rig_die "SOAP login to beta failed"
	soap beta "<vim25:Rename_Task><vim25:_this type=\"VirtualMachine\">$VM0</vim25:_this><vim25:newName>$(xml_escape "$HOSTILE")</vim25:newName></vim25:Rename_Task>" >/dev/null
	soap beta "<vim25:CreateSnapshot_Task><vim25:_this type=\"VirtualMachine\">$VM1</vim25:_this><vim25:name>before-upgrade</vim25:name><vim25:description>=1+1 quoted \"desc\", with comma</vim25:description><vim25:memory>false</vim25:memory><vim25:quiesce>false</vim25:quiesce></vim25:CreateSnapshot_Task>" >/dev/null
	sleep 1
	"$COLLECTOR" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/c2.out" 2>&1 || rig_die "collector failed"
	# What the simulators hold, from the CLI's own dump, as the checker's expectations.
	for t in vm host datastore cluster pnic vswitch portgroup dvs vmk; do
		"$VC" -c "$RIG_CONFIG" dump --type "$t" >"$RIG_DIR/$t.json"
	done
	HOSTILE="$HOSTILE" python3 - "$RIG_DIR" >"$RIG_DIR/expect.json" <<'EOF'
import json, os, sys
d = sys.argv[1]
load = lambda t: json.load(open(os.path.join(d, t + ".json")))
vms, pgs = load("vm"), load("portgroup")
print(json.dumps({
    "hostile": os.environ["HOSTILE"],
    "rows": {
        "vInfo": len(vms), "vCPU": len(vms), "vMemory": len(vms), "vTools": len(vms),
        "vDisk": sum(len(v["disks"]) for v in vms),
        "vPartition": sum(len(v["partitions"]) for v in vms),
        "vNetwork": sum(len(v["nics"]) for v in vms),
        "vSnapshot": sum(len(v["snapshots"]) for v in vms),
        "vSource": 2, "vHost": len(load("host")), "vCluster": len(load("cluster")),
        "vDatastore": len(load("datastore")), "vNIC": len(load("pnic")),
        "vSwitch": len(load("vswitch")), "dvSwitch": len(load("dvs")),
        "vPort": sum(p["kind"] == "standard" for p in pgs),
        "dvPort": sum(p["kind"] == "distributed" for p in pgs),
        "vSC_VMK": len(load("vmk")),
    },
}))
EOF
}

test_xlsx() {
	local out="$RIG_DIR/inv.xlsx"
	check "xlsx: report exits 0" "$VC" -c "$RIG_CONFIG" report --format xlsx -o "$out"
	check "xlsx: the workbook is private (0600)" [ "$(stat -c %a "$out")" = 600 ]
	check "xlsx: openpyxl checks (sheets, headers, counts, types, hostile name)" \
		"$PY" "$CHECK" xlsx "$out" "$RIG_DIR/expect.json"
	check "xlsx: one thread (VC_REPORT_LANES=1, VC_REPORT_ZIP_LEVEL=9) exits 0" \
		env VC_REPORT_LANES=1 VC_REPORT_ZIP_LEVEL=9 "$VC" -c "$RIG_CONFIG" report --format xlsx -o "$RIG_DIR/one.xlsx"
	# minizip records the deflate level in each entry's flag bits 1-2: 6 for level 1,
	# 2 for levels 8 and 9, 0 for zlib's default (what libxlsxwriter asks for).
	check "xlsx: parts deflated at level 1 by default, 9 when asked (report_zip.c)" \
		python3 -c 'import sys, zipfile
for path, want in ((sys.argv[1], 6), (sys.argv[2], 2)):
	parts = [i for i in zipfile.ZipFile(path).infolist() if i.compress_type == zipfile.ZIP_DEFLATED]
	assert parts and all(i.flag_bits & 6 == want for i in parts), (path, [i.flag_bits for i in parts])' \
		"$out" "$RIG_DIR/one.xlsx"
	check "xlsx: the CLI's two lanes write every sheet byte for byte as one thread does" \
		python3 -c 'import sys, zipfile
a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])
names = sorted(n for n in a.namelist() if n.startswith("xl/worksheets/"))
assert names and names == sorted(n for n in b.namelist() if n.startswith("xl/worksheets/")), names
assert all(a.read(n) == b.read(n) for n in names)' "$out" "$RIG_DIR/one.xlsx"
	check "xlsx: one vCenter only (--vcenter alpha)" \
		"$VC" -c "$RIG_CONFIG" report --vcenter alpha -o "$RIG_DIR/alpha.xlsx"
	check "xlsx: --vcenter alpha has alpha's VMs only" \
		"$PY" "$CHECK" rows "$RIG_DIR/alpha.xlsx" vInfo "$("$VC" -c "$RIG_CONFIG" dump --vcenter alpha --type vm | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
	check "xlsx: snapshots report lists the new snapshot (--days 0)" \
		"$VC" -c "$RIG_CONFIG" report --report snapshots --days 0 -o "$RIG_DIR/snap.xlsx"
	check "xlsx: snapshots sheet has 1 row" "$PY" "$CHECK" rows "$RIG_DIR/snap.xlsx" Snapshots 1
	check "xlsx: a snapshot taken today is not older than 1 day" bash -c \
		'"$0" -c "$1" report --report snapshots --days 1 -o "$2" 2>/dev/null && "$3" "$4" rows "$2" Snapshots 0' \
		"$VC" "$RIG_CONFIG" "$RIG_DIR/snap1.xlsx" "$PY" "$CHECK"
	check "xlsx: capacity report" "$VC" -c "$RIG_CONFIG" report --report capacity -o "$RIG_DIR/cap.xlsx"
	check "xlsx: a cluster row per cluster" "$PY" "$CHECK" rows "$RIG_DIR/cap.xlsx" "Cluster capacity" \
		"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$RIG_DIR/cluster.json")"
	check "xlsx: alarms report" "$VC" -c "$RIG_CONFIG" report --report alarms --days 1 -o "$RIG_DIR/alarms.xlsx"
}

test_csv() {
	local out="$RIG_DIR/vinfo.csv"
	check "csv: vInfo to stdout" bash -c '"$0" -c "$1" report --format csv --sheet vInfo -o - >"$2"' "$VC" "$RIG_CONFIG" "$out"
	check "csv: parsed back (rows, header, hostile value quoted and prefixed)" \
		"$PY" "$CHECK" csv "$out" "$RIG_DIR/expect.json"
	check "csv: vSnapshot to stdout" bash -c '"$0" -c "$1" report --format csv --sheet vsnapshot -o - >"$2"' "$VC" "$RIG_CONFIG" "$RIG_DIR/snap.csv"
	check "csv: snapshot description with quotes, comma and = survives" \
		"$PY" "$CHECK" csvsnap "$RIG_DIR/snap.csv" '=1+1 quoted "desc", with comma'
}

test_json() {
	local out="$RIG_DIR/inv.json"
	check "json: report exits 0" "$VC" -c "$RIG_CONFIG" report --format json -o "$out"
	check "json: parsed back (sheets, counts, types, ISO times)" \
		"$PY" "$CHECK" json "$out" "$RIG_DIR/expect.json"
}

test_errors() {
	local rc
	"$VC" -c "$RIG_CONFIG" report --format pdf -o "$RIG_DIR/x" 2>"$RIG_DIR/err"; rc=$?
	check "usage: unknown format exits 2 ($rc)" [ "$rc" = 2 ]
	check "usage: the message names the formats" grep -q "xlsx, csv or json" "$RIG_DIR/err"
	"$VC" -c "$RIG_CONFIG" report --sheet vNope -o "$RIG_DIR/x" 2>"$RIG_DIR/err"; rc=$?
	check "usage: unknown sheet exits 2 ($rc)" [ "$rc" = 2 ]
	check "usage: the sheets are listed" grep -q "vInfo" "$RIG_DIR/err"
	"$VC" -c "$RIG_CONFIG" report --report nope -o "$RIG_DIR/x" 2>/dev/null; rc=$?
	check "usage: unknown report exits 2 ($rc)" [ "$rc" = 2 ]
	"$VC" -c "$RIG_CONFIG" report --vcenter nope -o "$RIG_DIR/x" 2>/dev/null; rc=$?
	check "usage: unknown vCenter exits 2 ($rc)" [ "$rc" = 2 ]
	check "usage: --help exits 0" bash -c '"$0" -c "$1" report --help | grep -q -- "--format"' "$VC" "$RIG_CONFIG"
	check "usage: nothing was written" [ ! -e "$RIG_DIR/x" ]
	rig_redis_cli SET 'vc:{beta}:vm' "not a sealed value" >/dev/null
	"$VC" -c "$RIG_CONFIG" report -o "$RIG_DIR/t.xlsx" 2>"$RIG_DIR/err"; rc=$?
	check "tampered: exits 1 ($rc)" [ "$rc" = 1 ]
	check "tampered: says which value failed to open" grep -q "vc:{beta}:vm failed to open" "$RIG_DIR/err"
	check "tampered: no file left behind" [ -z "$(ls -A "$RIG_DIR" | grep -E '^(t\.xlsx|\.report)')" ]
	check "tampered: the other vCenter still reports" "$VC" -c "$RIG_CONFIG" report --vcenter alpha -o "$RIG_DIR/a2.xlsx"
}

# The web side: log in to beta only, then the page and a download must show beta's
# inventory and nothing of alpha.
test_web() {
	local jar="$RIG_DIR/web.jar" body="$RIG_DIR/web.body" hdrs="$RIG_DIR/web.h" pre st
	RIG_WEB_WORKERS=2 rig_web_start "${VC_WEB_BIN:-$VC_BUILD/fcgi/vcompanion-web}"
	rig_nginx_start
	web() { curl -sS --cacert "$RIG_NGINX_CERT" -b "$jar" -c "$jar" -D "$hdrs" -o "$body" -w '%{http_code}' "$@"; }
	web "$RIG_NGINX_URL/login" >/dev/null
	pre=$(grep -o 'name="csrf"[^>]*value="[^"]*"' "$body" | sed 's/.*value="//; s/"$//' | head -1)
	st=$(web -X POST --data-urlencode "username=$RIG_VCSIM_BETA_USER" \
		--data-urlencode "password=$RIG_VCSIM_BETA_PASSWORD" -d vcenter=beta \
		--data-urlencode "csrf=$pre" "$RIG_NGINX_URL/login")
	check "web: login to beta ($st)" [ "$st" = 303 ]
	st=$(web "$RIG_NGINX_URL/reports")
	check "web: GET /reports 200 ($st)" [ "$st" = 200 ]
	check "web: the page offers the downloads" grep -q 'action="/reports/download"' "$body"
	check "web: the page lists only the session's vCenters" \
		bash -c 'grep -q "value=\"beta\"" "$0" && ! grep -q "value=\"alpha\"" "$0"' "$body"
	st=$(web "$RIG_NGINX_URL/reports/download?format=xlsx&report=inventory")
	check "web: xlsx download 200 ($st)" [ "$st" = 200 ]
	check "web: as an attachment" grep -qi '^content-disposition: attachment; filename="vcompanion-inventory-.*\.xlsx"' "$hdrs"
	check "web: spreadsheet content type" grep -qi '^content-type: application/vnd.openxmlformats' "$hdrs"
	check "web: Content-Length is the file's size" \
		grep -qi "^content-length: $(stat -c %s "$body")"$'\r'"\$" "$hdrs"
	cp "$body" "$RIG_DIR/web.xlsx"
	check "web: only beta's VMs in the workbook" "$PY" "$CHECK" rows "$RIG_DIR/web.xlsx" vInfo \
		"$("$VC" -c "$RIG_CONFIG" dump --vcenter beta --type vm | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
	st=$(web "$RIG_NGINX_URL/reports/download?format=csv&report=inventory&sheet=vHost")
	check "web: CSV of one sheet ($st)" bash -c '[ "$0" = 200 ] && head -1 "$1" | grep -q "^Host,Datacenter,Cluster"' "$st" "$body"
	st=$(web "$RIG_NGINX_URL/reports/download?format=json&report=inventory&vcenter=alpha")
	check "web: a vcenter outside the session selects nothing ($st)" \
		bash -c '[ "$0" = 200 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(any(d.values()))" "$1"' "$st" "$body"
	st=$(web "$RIG_NGINX_URL/reports/download?format=pdf")
	check "web: unknown format 400 ($st)" [ "$st" = 400 ]
	st=$(web "$RIG_NGINX_URL/reports/download?sheet=vNope")
	check "web: unknown sheet 400 ($st)" [ "$st" = 400 ]
	st=$(curl -sS --cacert "$RIG_NGINX_CERT" -o /dev/null -w '%{http_code}' "$RIG_NGINX_URL/reports/download")
	check "web: no session, no report ($st)" [ "$st" = 303 ]
	test_web_concurrent "$jar"
	check "web: no temp file left" [ -z "$(ls -A "${TMPDIR:-/tmp}" | grep '^\.report\.')" ]
}

# Downloads do not hold up other requests: two JSON downloads (the biggest format)
# start together with four page requests, on the rig's two FastCGI workers; every
# page must answer within 3 s and both downloads must arrive whole. (A worker is
# busy only while it makes the file and hands it to nginx in chunks; nginx buffers
# the answer for slow clients. At the rig's size a download takes well under a
# second, so this guards against a download holding a worker, e.g. one waiting on
# its client; curl's --limit-rate cannot make a slow client of a 40 KB answer.)
test_web_concurrent() {
	local jar=$1 url="$RIG_NGINX_URL/reports/download?format=json&report=inventory" p1 p2 st vms fast=0
	curl -sS --cacert "$RIG_NGINX_CERT" -b "$jar" -o "$RIG_DIR/dl1.json" "$url" &
	p1=$!
	curl -sS --cacert "$RIG_NGINX_CERT" -b "$jar" -o "$RIG_DIR/dl2.json" "$url" &
	p2=$!
	for _ in 1 2 3 4; do
		st=$(curl -sS --max-time 3 --cacert "$RIG_NGINX_CERT" -b "$jar" -o /dev/null -w '%{http_code}' \
			"$RIG_NGINX_URL/reports")
		[ "$st" = 200 ] && fast=$((fast + 1))
	done
	check "web: 4 of 4 pages answered within 3 s beside two downloads ($fast)" [ "$fast" = 4 ]
	wait "$p1" "$p2"
	vms=$("$VC" -c "$RIG_CONFIG" dump --vcenter beta --type vm | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	for f in dl1 dl2; do
		check "web: download $f arrives whole ($(stat -c %s "$RIG_DIR/$f.json") bytes)" python3 -c \
			'import json,sys; sys.exit(len(json.load(open(sys.argv[1]))["vInfo"]) != int(sys.argv[2]))' \
			"$RIG_DIR/$f.json" "$vms"
	done
}

setup
test_xlsx
test_csv
test_json
[ -n "${VC_REPORT_NO_WEB:-}" ] || test_web
test_errors
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
