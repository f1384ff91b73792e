#!/usr/bin/env python3
"""test-collector-fake: misbehaving "vCenters" for the collector's error tests. Not a
vendor API: just enough HTTP for the client to get past version negotiation and then
meet a bad answer.

  test-collector-fake.py http PORTFILE       serves http://127.0.0.1:PORT/MODE/sdk where
      MODE is truncated (200, XML cut off), fault (500 SOAP fault), html (503 HTML
      error page), status500 (500, plain body)
  test-collector-fake.py blackhole PORTFILE  accepts connections and never answers
  test-collector-fake.py noupdates PORTFILE URL CAFILE
      passes every request on to the real vCenter (simulator) at URL, cookies both
      ways, except WaitForUpdatesEx, whose connection it closes without an answer
      (what the govmomi simulator does past ~15,000 VMs)

The chosen port is written to PORTFILE once listening.
"""
import socket
import ssl
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSIONS = b"""<?xml version="1.0" encoding="UTF-8"?>
<namespaces version="1.0"><namespace><name>urn:vim25</name><version>8.0.2.0</version>
<priorVersions><version>7.0.3.0</version></priorVersions></namespace></namespaces>
"""

ENV = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
       b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
       b'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
       b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>')

ANSWERS = {
    "truncated": (200, "text/xml", ENV + b'<RetrieveServiceContentResponse xmlns="urn:vim25">'
                  b'<returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCol'),
    "fault": (500, "text/xml", ENV + b'<soapenv:Fault><faultcode>ServerFaultCode</faultcode>'
              b'<faultstring>The service is shutting down (simulated)</faultstring><detail>'
              b'<SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>test</reason>'
              b'</SystemErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>'),
    "html": (503, "text/html", b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title>"
             b"</head><body><h1>Service Unavailable</h1><p>vpxd is starting</p></body></html>"),
    "status500": (500, "text/plain", b"Internal Server Error"),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.endswith("/sdk/vimServiceVersions.xml"):
            self.answer(200, "text/xml", VERSIONS)
        else:
            self.answer(404, "text/plain", b"not found")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = self.path.strip("/").split("/")[0]
        self.answer(*ANSWERS.get(mode, (404, "text/plain", b"unknown mode")))


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    target = ""
    context = None

    def log_message(self, *args):
        pass

    def relay(self, body):
        req = urllib.request.Request(self.target + self.path.split("/sdk", 1)[1] if "/sdk" in self.path
                                     else self.target, data=body, method=self.command)
        for h in ("Content-Type", "SOAPAction", "Cookie", "vmware_soap_session"):
            if self.headers.get(h):
                req.add_header(h, self.headers.get(h))
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=60) as r:
                status, headers, data = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers, e.read()
        self.send_response(status)
        for h in ("Content-Type", "Set-Cookie"):
            for v in headers.get_all(h) or []:
                self.send_header(h, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.relay(None)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if b"WaitForUpdatesEx" in body:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.relay(body)


def blackhole(portfile):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    with open(portfile, "w") as f:
        f.write(str(srv.getsockname()[1]))
    held = []
    while True:
        conn, _ = srv.accept()
        held.append(conn)   # keep it open, never read, never answer


def main():
    kind, portfile = sys.argv[1], sys.argv[2]
    if kind == "blackhole":
        blackhole(portfile)
        return
    handler = Handler
    if kind == "noupdates":
        Proxy.target = sys.argv[3]
        Proxy.context = ssl.create_default_context(cafile=sys.argv[4])
        handler = Proxy
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(portfile, "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()


if __name__ == "__main__":
    main()
