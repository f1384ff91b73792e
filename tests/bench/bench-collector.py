#!/usr/bin/env python3
"""Helpers of bench-collector.sh: the two yardsticks of a collector poll.

  bench-collector.py pyvmomi URL USER PASSFILE CAFILE
      The reference: a pyvmomi script that fetches the same properties of the same
      types as the collector (ContainerView + PropertyCollector.RetrievePropertiesEx
      pages of 1000, as pyvmomi users write it) and counts the objects. Run it under
      Debian's /usr/bin/python3 (python3-pyvmomi).
  bench-collector.py replay URL USER PASSFILE CAFILE WORKDIR [CHUNK [CONNECTIONS]]
      The simulator's own time: logs in, creates the views and lists the VMs
      (untimed), writes the collector's RetrievePropertiesEx bodies to files in the
      order a full poll sends them -- the VM listing (the ContainerView's `view`), one
      ContainerView pass per other type, then the VMs' properties in chunks of
      explicit objects as the collector cuts them (CHUNK, default 1000, the
      collector's page_size, made smaller so that each of CONNECTIONS, default 2, gets
      two chunks, but not below 100) -- and replays them
      with ONE curl process over one keep-alive connection, one after the other,
      answers discarded; prints the wall seconds of that curl run, then destroys the
      views and logs out. With BENCH_SAVE=1 in the environment the answers are kept
      instead, as WORKDIR/answer-NNN.xml (for bench-parse; the time then includes
      writing them). With BENCH_GO=FILE it creates FILE.ready.PID once set up and
      starts the timed run only when FILE exists (replays of several simulators
      started together, as the collector polls them).

The types and property paths are read from collector/inv_specs.c, so all three runs
ask for exactly what the collector asks for.
"""
import os
import re
import ssl
import subprocess
import sys
import time
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


def poll_bodies(s, pc, vm, root, chunk, connections):
    """The bodies of one full poll in the collector's order; the views to destroy."""
    views, small, big = [], [], []
    for vim_type, paths in specs():
        v = tag(s.call("CreateContainerView", '<_this type="ViewManager">%s</_this><container type="Folder">'
                       '%s</container><type>%s</type><recursive>true</recursive>' % (vm, root, vim_type)),
                "returnval")
        views.append(v)
        if vim_type != "VirtualMachine":
            small.append(view_body(pc, vim_type, paths, v))
            continue
        listing = listing_body(pc, v)
        refs = re.findall(r'<ManagedObjectReference type="VirtualMachine"[^>]*>([^<]+)<',
                          s.call_body(listing))
        # vc_bulk's chunk_size(): two chunks per connection at least, 100 objects at least
        n = min(chunk, max(100, -(-len(refs) // (2 * connections))))
        big = [listing] + [chunk_body(pc, vim_type, paths, refs[i:i + n])
                           for i in range(0, len(refs), n)]
    return views, big[:1] + small + big[1:]


def out_path(workdir, i):
    if os.environ.get("BENCH_SAVE") == "1":
        return os.path.join(workdir, "answer-%03d.xml" % i)
    return "/dev/null"


def replay(url, user, passfile, cafile, workdir, chunk="1000", connections="2"):
    s = Soap(url, cafile)
    sc = s.call("RetrieveServiceContent", '<_this type="ServiceInstance">ServiceInstance</_this>')
    pc, vm, sm, root = (tag(sc, n) for n in ("propertyCollector", "viewManager", "sessionManager", "rootFolder"))
    s.call("Login", '<_this type="SessionManager">%s</_this><userName>%s</userName><password>%s</password>'
           % (sm, escape(user), escape(read_password(passfile))))
    views, bodies = poll_bodies(s, pc, vm, root, int(chunk), int(connections))
    cfg = []
    for i, body in enumerate(bodies):
        path = os.path.join(workdir, "body-%03d.xml" % i)
        with open(path, "w") as f:
            f.write(body)
        cfg.append('url = "%s"\ndata-binary = "@%s"\nheader = "Content-Type: text/xml; charset=utf-8"\n'
                   'header = "SOAPAction: urn:vim25/6.5"\nheader = "Cookie: %s"\ncacert = "%s"\n'
                   'output = "%s"\nsilent\n' % (url, path, s.cookie, cafile, out_path(workdir, i)))
    conf = os.path.join(workdir, "replay.curl")
    with open(conf, "w") as f:
        f.write("next\n".join(cfg))
    go = os.environ.get("BENCH_GO")
    if go:
        open("%s.ready.%d" % (go, os.getpid()), "w").close()
        while not os.path.exists(go):
            time.sleep(0.005)
    t0 = time.monotonic()
    subprocess.run(["curl", "-K", conf], check=True)
    print("%.3f" % (time.monotonic() - t0))
    for v in views:
        s.call("DestroyView", '<_this type="ContainerView">%s</_this>' % escape(v))
    s.call("Logout", '<_this type="SessionManager">%s</_this>' % sm)


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
