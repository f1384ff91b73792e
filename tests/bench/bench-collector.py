#!/usr/bin/env python3
"""Helpers of bench-collector.sh: the two yardsticks of a collector poll.

  bench-collector.py pyvmomi URL USER PASSFILE CAFILE
      The reference: a pyvmomi script that fetches the same properties of the same
      types as the collector (ContainerView + PropertyCollector.RetrievePropertiesEx
      pages of 1000, as pyvmomi users write it) and counts the objects. Run it under
      Debian's /usr/bin/python3 (python3-pyvmomi).
  bench-collector.py replay URL USER PASSFILE CAFILE WORKDIR [CHUNK [CONNECTIONS]]
      The simulator's own time for the requests of a full poll (--once, incremental
      and performance history off), in the order the collector sends them: the
      service versions, RetrieveServiceContent, Login; per type a CreateContainerView,
      its RetrievePropertiesEx (for the VMs the listing, the view's `view`) and a
      DestroyView; RetrieveServiceContent and the custom field names; the tags over
      the vAPI REST endpoints (session, categories, tags, attachments, logout); the
      VMs' properties in chunks of explicit objects as the collector cuts them (CHUNK,
      default 1000, the collector's page_size, made smaller so that each of
      CONNECTIONS, default 2, gets two chunks, but not below 100); the triggered
      alarms; Logout. Untimed beforehand: a session, the views the
      RetrievePropertiesEx bodies name, and the views, session and vAPI session the
      timed run destroys or ends; untimed after: what the timed run created. The
      timed run is ONE curl process over one keep-alive connection, one request after
      the other, answers discarded (the collector overlaps them on two connections
      and opens a third for the tags). Prints two wall times: the curl run, and the
      curl run less every request but the types' passes and the VM chunks (curl's
      time_total of each), i.e. the RetrievePropertiesEx requests the replay sent
      until 2026-12-05, the bench's yardstick then ("RPE only"). Any answer
      but HTTP 200 fails the run. With BENCH_SAVE=1 in the environment the
      RetrievePropertiesEx answers are kept instead, as WORKDIR/answer-NNN.xml (for
      bench-parse; the time then includes writing them). With BENCH_GO=FILE it
      creates FILE.ready.PID once set up and starts the timed run only when FILE
      exists (replays of several simulators started together, as the collector polls
      them).

The types and property paths are read from collector/inv_specs.c, so all three runs
ask for exactly what the collector asks for.
"""
import base64
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def specs():
    """[(vim type, [paths])] in the collector's order, from inv_specs.c."""
    src = open(os.path.join(TOP, "collector", "inv_specs.c")).read()
    arrays = {m.group(1): re.findall(r'"([^"]+)"', m.group(2))
              for m in re.finditer(r'static const char \*const (\w+)\[\] = \{(.*?)\};', src, re.S)}
    table = re.search(r'inv_specs\[\] = \{(.*?)\n\};', src, re.S).group(1)
    return [(t, arrays[p]) for t, p in re.findall(r'\{ "(\w+)", "\w+", (\w+),', table)]


def read_password(path):
    with open(path) as f:
        return f.readline().rstrip("\n")


def host_port(url):
    hp = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = hp.rpartition(":")
    return host, int(port)


# ---------------------------------------------------------------- pyvmomi reference

def pyvmomi_poll(url, user, passfile, cafile):
    from pyVim.connect import SmartConnect, Disconnect
    from pyVmomi import vmodl, VmomiSupport
    host, port = host_port(url)
    ctx = ssl.create_default_context(cafile=cafile)
    si = SmartConnect(host=host, port=port, user=user, pwd=read_password(passfile), sslContext=ctx)
    content = si.RetrieveContent()
    pc = content.propertyCollector
    PC = vmodl.query.PropertyCollector
    total = 0
    for vim_type, paths in specs():
        t = VmomiSupport.GetWsdlType("urn:vim25", vim_type)
        view = content.viewManager.CreateContainerView(content.rootFolder, [t], True)
        trav = PC.TraversalSpec(name="view", path="view", skip=False, type=type(view))
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[trav])],
                             propSet=[PC.PropertySpec(type=t, pathSet=paths)])
        res = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1000))
        while res:
            for obj in res.objects:
                total += 1
                {p.name: p.val for p in obj.propSet}
            res = pc.ContinueRetrievePropertiesEx(res.token) if res.token else None
        view.Destroy()
    Disconnect(si)
    print("objects %d" % total)


# ---------------------------------------------------------------- raw replay

class Soap:
    def __init__(self, url, cafile):
        self.url, self.cookie = url, None
        self.ctx = ssl.create_default_context(cafile=cafile)

    def call(self, method, inner):
        return self.call_body(envelope(method, inner))

    def call_body(self, body):
        req = urllib.request.Request(self.url, data=body.encode(), method="POST")
        req.add_header("Content-Type", "text/xml; charset=utf-8")
        req.add_header("SOAPAction", "urn:vim25/6.5")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(req, context=self.ctx, timeout=600) as resp:
            sc = resp.headers.get("Set-Cookie")
            if sc and "vmware_soap_session" in sc:
                self.cookie = sc.split(";")[0]
            return resp.read().decode()


def envelope(method, inner):
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            '<%s xmlns="urn:vim25">%s</%s></soapenv:Body></soapenv:Envelope>' % (method, inner, method))


def tag(xml, name):
    return re.search(r"<%s[^>]*>([^<]*)</%s>" % (name, name), xml).group(1)


def propset(vim_type, paths):
    return "<propSet><type>%s</type><all>false</all>%s</propSet>" % (
        vim_type, "".join("<pathSet>%s</pathSet>" % p for p in paths))


def view_body(pc, vim_type, paths, view):
    """One ContainerView pass (vc_collect)."""
    return envelope("RetrievePropertiesEx",
                    '<_this type="PropertyCollector">%s</_this><specSet>%s<objectSet>'
                    '<obj type="ContainerView">%s</obj><skip>true</skip><selectSet xsi:type='
                    '"TraversalSpec"><name>view</name><type>ContainerView</type><path>view</path>'
                    '<skip>false</skip></selectSet></objectSet></specSet><options><maxObjects>1000'
                    '</maxObjects></options>' % (pc, propset(vim_type, paths), escape(view)))


def listing_body(pc, view):
    """The VM listing (vc_bulk): the ContainerView's own `view` property."""
    return envelope("RetrievePropertiesEx",
                    '<_this type="PropertyCollector">%s</_this><specSet>%s<objectSet>'
                    '<obj type="ContainerView">%s</obj><skip>false</skip></objectSet></specSet>'
                    '<options><maxObjects>1</maxObjects></options>'
                    % (pc, propset("ContainerView", ["view"]), escape(view)))


def chunk_body(pc, vim_type, paths, morefs):
    """One chunk of explicit objects (vc_bulk)."""
    objs = "".join('<objectSet><obj type="%s">%s</obj><skip>false</skip></objectSet>'
                   % (vim_type, escape(m)) for m in morefs)
    return envelope("RetrievePropertiesEx",
                    '<_this type="PropertyCollector">%s</_this><specSet>%s%s'
                    '<reportMissingObjectsInResults>true</reportMissingObjectsInResults></specSet>'
                    '<options><maxObjects>%d</maxObjects></options>'
                    % (pc, propset(vim_type, paths), objs, len(morefs)))


def ccv_inner(vm, root, vim_type):
    return ('<_this type="ViewManager">%s</_this><container type="Folder">%s</container>'
            '<type>%s</type><recursive>true</recursive>' % (vm, root, vim_type))


def poll_order():
    """The types in the order a full poll asks for them: the VMs first (their listing;
    the chunks follow in parallel), then the others as inv_specs.c lists them."""
    return sorted(specs(), key=lambda tp: tp[0] != "VirtualMachine")


def poll_bodies(s, pc, vm, root, chunk, connections):
    """The views; one ContainerView pass per type in poll_order() (the VMs' listing);
    the VM chunks."""
    views, passes, chunks = [], [], []
    for vim_type, paths in poll_order():
        v = tag(s.call("CreateContainerView", ccv_inner(vm, root, vim_type)), "returnval")
        views.append(v)
        if vim_type != "VirtualMachine":
            passes.append(view_body(pc, vim_type, paths, v))
            continue
        listing = listing_body(pc, v)
        passes.append(listing)
        refs = re.findall(r'<ManagedObjectReference type="VirtualMachine"[^>]*>([^<]+)<',
                          s.call_body(listing))
        # vc_bulk's chunk_size(): two chunks per connection at least, 100 objects at least
        n = min(chunk, max(100, -(-len(refs) // (2 * connections))))
        chunks = [chunk_body(pc, vim_type, paths, refs[i:i + n]) for i in range(0, len(refs), n)]
    return views, passes, chunks


def one_body(pc, vim_type, moref, paths):
    """One object's properties (vc_retrieve_one: custom field names, triggered alarms)."""
    return envelope("RetrievePropertiesEx",
                    '<_this type="PropertyCollector">%s</_this><specSet>%s<objectSet>'
                    '<obj type="%s">%s</obj><skip>false</skip></objectSet></specSet>'
                    '<options><maxObjects>1</maxObjects></options>'
                    % (pc, propset(vim_type, paths), vim_type, escape(moref)))


def destroy_body(view):
    return envelope("DestroyView", '<_this type="ContainerView">%s</_this>' % escape(view))


def logout_body(sm):
    return envelope("Logout", '<_this type="SessionManager">%s</_this>' % sm)


def basic_auth(auth):
    return "Basic " + base64.b64encode(auth.encode()).decode()


def write_private(path, text):
    """Writes a file only its owner reads (request bodies and configs with secrets)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)


def q(value):
    """VALUE as a quoted string of a curl config file: what the simulator sent (cookies,
    session ids) cannot end the string and add options of its own."""
    return '"%s"' % (value.replace("\\", "\\\\").replace('"', '\\"')
                     .replace("\n", "\\n").replace("\r", "\\r"))


def vapi_base(url):
    """The vAPI REST endpoint of the vCenter at URL (https://host:port/sdk), as tags.c."""
    return url.rsplit("/sdk", 1)[0] + "/rest/com/vmware/cis"


def rest_call(base, cafile, method, path, session=None, auth=None, body=None):
    """A vAPI REST call (the tags, tags.c); its "value"."""
    req = urllib.request.Request(base + path, data=body, method=method)
    if session:
        req.add_header("vmware-api-session-id", session)
    if auth:
        req.add_header("Authorization", basic_auth(auth))
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=cafile), timeout=600) as r:
        text = r.read().decode()
    return json.loads(text).get("value") if text else None


class Run:
    """The timed requests, one curl config entry each, in the collector's order."""

    def __init__(self, url, cafile, workdir):
        self.url, self.cafile, self.workdir = url, cafile, workdir
        self.entries, self.answers = [], 0

    def add(self, kind, url, lines, out="/dev/null"):
        self.entries.append('url = %s\n%scacert = %s\noutput = %s\n'
                            'write-out = "%s %%{http_code} %%{time_total}\\n"\nsilent\n'
                            % (q(url), "".join(l + "\n" for l in lines), q(self.cafile), q(out), kind))

    def soap(self, body, cookie, kind="other", out=None, extra=()):
        """A SOAP request; its body's file (0600: the Login's holds the password)."""
        path = os.path.join(self.workdir, "body-%03d.xml" % len(self.entries))
        write_private(path, body)
        lines = ["data-binary = " + q("@" + path), 'header = "Content-Type: text/xml; charset=utf-8"',
                 'header = "SOAPAction: urn:vim25/6.5"'] + list(extra)
        if cookie:
            lines.append("header = " + q("Cookie: " + cookie))
        if kind == "rpe" and out is None:
            out = out_path(self.workdir, self.answers)
            self.answers += 1
        self.add(kind, self.url, lines, out or "/dev/null")
        return path

    def rest(self, method, path, session=None, body=None, auth=None, out=None):
        lines = ["request = " + q(method)]
        if session:
            lines.append("header = " + q("vmware-api-session-id: " + session))
        if auth:
            lines.append("header = " + q("Authorization: " + basic_auth(auth)))
        if body is not None:
            lines += ['header = "Content-Type: application/json"', "data-binary = " + q(body)]
        self.add("other", vapi_base(self.url) + path, lines, out or "/dev/null")


def out_path(workdir, i):
    if os.environ.get("BENCH_SAVE") == "1":
        return os.path.join(workdir, "answer-%03d.xml" % i)
    return "/dev/null"


def sc_call():
    return envelope("RetrieveServiceContent", '<_this type="ServiceInstance">ServiceInstance</_this>')


def login_body(sm, user, password):
    return envelope("Login", '<_this type="SessionManager">%s</_this><userName>%s</userName>'
                    '<password>%s</password>' % (sm, escape(user), escape(password)))


def replay(url, user, passfile, cafile, workdir, chunk="1000", connections="2"):
    password = read_password(passfile)
    s = Soap(url, cafile)
    sc = s.call_body(sc_call())
    pc, vm, sm, root, cfm = (tag(sc, n) for n in ("propertyCollector", "viewManager", "sessionManager",
                                                  "rootFolder", "customFieldsManager"))
    s.call_body(login_body(sm, user, password))
    views, passes, chunks = poll_bodies(s, pc, vm, root, int(chunk), int(connections))
    # What the timed run destroys, logs out or deletes is made here, untimed: views of
    # the same types, a second session, a vAPI session; what it creates is undone after.
    doomed = [tag(s.call("CreateContainerView", ccv_inner(vm, root, t)), "returnval") for t, _ in poll_order()]
    other = Soap(url, cafile)
    other.call_body(login_body(sm, user, password))
    auth = "%s:%s" % (user, password)
    rest_base = vapi_base(url)
    rsess = rest_call(rest_base, cafile, "POST", "/session", auth=auth, body=b"")
    cats = rest_call(rest_base, cafile, "GET", "/tagging/category", session=rsess) or []
    tags = rest_call(rest_base, cafile, "GET", "/tagging/tag", session=rsess) or []

    run = Run(url, cafile, workdir)
    run.add("other", url + "/vimServiceVersions.xml", [])
    run.soap(sc_call(), None)
    login_hdr = os.path.join(workdir, "login.hdr")
    secret = run.soap(login_body(sm, user, password), None, extra=["dump-header = " + q(login_hdr)])
    created = []
    for i, (vim_type, _) in enumerate(poll_order()):
        created.append(os.path.join(workdir, "ccv-%02d.xml" % i))
        run.soap(envelope("CreateContainerView", ccv_inner(vm, root, vim_type)), s.cookie, out=created[-1])
        run.soap(passes[i], s.cookie, "rpe")
        run.soap(destroy_body(doomed[i]), s.cookie)
    run.soap(sc_call(), s.cookie)
    run.soap(one_body(pc, "CustomFieldsManager", cfm, ["field"]), s.cookie)
    rest_login = os.path.join(workdir, "rest-login.json")
    run.rest("POST", "/session", auth=auth, body="", out=rest_login)
    for path, ids in (("/tagging/category", cats), ("/tagging/tag", tags)):
        run.rest("GET", path, session=rsess)
        for i in ids:
            run.rest("GET", "%s/id:%s" % (path, urllib.parse.quote(i, safe="")), session=rsess)
    run.rest("POST", "/tagging/tag-association?~action=list-attached-objects-on-tags",
             session=rsess, body='{"tag_ids":%s}' % json.dumps(tags, separators=(",", ":")))
    run.rest("DELETE", "/session", session=rsess)
    for body in chunks:
        run.soap(body, s.cookie, "rpe")
    run.soap(one_body(pc, "Folder", root, ["triggeredAlarmState"]), s.cookie)
    run.soap(logout_body(sm), other.cookie)

    conf = os.path.join(workdir, "replay.curl")   # 0600: it holds the vAPI login
    write_private(conf, "next\n".join(run.entries))
    go = os.environ.get("BENCH_GO")
    if go:
        open("%s.ready.%d" % (go, os.getpid()), "w").close()
        while not os.path.exists(go):
            time.sleep(0.005)
    t0 = time.monotonic()
    res = subprocess.run(["curl", "-K", conf], check=True, stdout=subprocess.PIPE, text=True)
    total = time.monotonic() - t0
    os.unlink(conf)
    os.unlink(secret)
    done = [l.split() for l in res.stdout.splitlines()]
    bad = [i for i, (_, code, _) in enumerate(done) if code != "200"]
    if len(done) != len(run.entries) or bad:
        sys.exit("replay: %d of %d requests answered, not 200: %s"
                 % (len(done), len(run.entries), ", ".join("#%d %s" % (i, done[i][1]) for i in bad)))
    others = sum(float(t) for kind, _, t in done if kind == "other")
    # every request; "RPE only": the types' passes and the VM chunks (kind "rpe")
    print("%.3f %.3f" % (total, total - others))

    for path in created:
        with open(path) as f:
            s.call_body(destroy_body(tag(f.read(), "returnval")))
    with open(login_hdr) as f:
        third = Soap(url, cafile)
        third.cookie = re.search(r"(vmware_soap_session=[^;\s]+)", f.read()).group(1)
        third.call_body(logout_body(sm))
    with open(rest_login) as f:
        rest_call(rest_base, cafile, "DELETE", "/session", session=json.load(f)["value"])
    os.unlink(login_hdr)    # the two sessions' tokens, ended now
    os.unlink(rest_login)
    for v in views:
        s.call_body(destroy_body(v))
    s.call_body(logout_body(sm))


if __name__ == "__main__":
    if sys.argv[1] == "pyvmomi":
        pyvmomi_poll(*sys.argv[2:6])
    elif sys.argv[1] == "replay":
        replay(*sys.argv[2:9])
    elif sys.argv[1] == "specs":
        for t, p in specs():
            print(t, len(p))
    else:
        sys.exit(__doc__)
