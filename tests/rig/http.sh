# shellcheck shell=bash
# HTTP helpers for shell tests that talk to the portal through the rig's nginx (TLS
# verified against the rig's certificate). Set before sourcing: U (base URL), H
# (headers file), B (body file), JAR (cookie jar).

# req METHOD PATH [curl args...]: headers to $H, body to $B, prints the status.
req() {
	local m=$1 p=$2; shift 2
	curl -sS --cacert "$RIG_NGINX_CERT" -X "$m" -b "$JAR" -c "$JAR" -D "$H" -o "$B" \
		-w '%{http_code}' "$@" "$U$p"
}
# hdr NAME: the header line of the last answer, without CR.
hdr() { grep -i "^$1:" "$H" | tr -d '\r'; }
# The value of the hidden csrf input (or meta csrf-token) in $B.
csrf_of() {
	python3 - "$B" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for tag in re.findall(r"<(?:input|meta)\b[^>]*>", html):
    if re.search(r'name="csrf(-token)?"', tag):
        m = re.search(r'(?:value|content)="([^"]*)"', tag)
        if m and m.group(1):
            print(m.group(1)); break
PY
}
body_has() { grep -q -- "$1" "$B"; }
body_lacks() { ! grep -q -- "$1" "$B"; }
