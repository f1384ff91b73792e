#!/usr/bin/env python3
"""vcquery: an independent vSphere SOAP client for the collector tests (plain urllib +
xml.etree, no code shared with collector/vc*.c). It logs in, reads objects through a
ContainerView and RetrievePropertiesEx, and can set custom attributes, so a test can
compare what the collector stored with what the simulator really holds.

  test-collector-query.py URL USER PASSFILE CAFILE facts            -> JSON {"counts": {...}, "vm": {...}, ...}
  test-collector-query.py URL USER PASSFILE CAFILE set-custom FIELD VALUE TYPE:MOREF...
  test-collector-query.py URL USER PASSFILE CAFILE sessions         -> number of sessions on the server
  test-collector-query.py URL USER PASSFILE CAFILE service HOST METHOD ID -> "ok" or the fault type
"""
import base64
import json
import ssl
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

NS = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "v": "urn:vim25",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

TYPES = {"vm": "VirtualMachine", "host": "HostSystem", "cluster": "ClusterComputeResource",
         "datastore": "Datastore", "network": "Network", "dvs": "DistributedVirtualSwitch",
         "datacenter": "Datacenter", "resourcepool": "ResourcePool", "pod": "StoragePod"}

VM_PATHS = ["name", "runtime.powerState", "config.hardware.numCPU", "config.hardware.memoryMB",
            "config.guestId", "guest.ipAddress", "guest.hostName", "config.uuid",
            "config.annotation", "runtime.host", "customValue"]
HOST_PATHS = ["name", "runtime.connectionState", "runtime.inMaintenanceMode",
              "summary.hardware.numCpuCores", "summary.hardware.memorySize",
              "config.service.service", "customValue", "vm"]
DS_PATHS = ["name", "summary.capacity", "summary.freeSpace", "summary.type", "customValue", "vm"]
CLUSTER_PATHS = ["name", "summary.numHosts", "customValue"]


class Client:
    def __init__(self, url, cafile):
        self.url = url
        self.ctx = ssl.create_default_context(cafile=cafile) if url.startswith("https") else None
        self.cookie = None

    def call(self, method, inner):
        body = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                '<soapenv:Body><%s xmlns="urn:vim25">%s</%s></soapenv:Body></soapenv:Envelope>'
                % (method, inner, method))
        req = urllib.request.Request(self.url, data=body.encode(), method="POST")
        req.add_header("Content-Type", "text/xml; charset=utf-8")
        req.add_header("SOAPAction", "urn:vim25/6.5")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(req, context=self.ctx, timeout=60) as resp:
            sc = resp.headers.get("Set-Cookie")
            if sc and "vmware_soap_session" in sc:
                self.cookie = sc.split(";")[0]
            root = ET.fromstring(resp.read())
        return root.find("s:Body", NS)[0]

    def login(self, user, password):
        sc = self.call("RetrieveServiceContent",
                       '<_this type="ServiceInstance">ServiceInstance</_this>').find("v:returnval", NS)
        self.sc = {c.tag.split("}")[1]: c.text for c in sc if c.get("type")}
        self.call("Login", '<_this type="SessionManager">%s</_this><userName>%s</userName>'
                  '<password>%s</password>' % (self.sc["sessionManager"], escape(user), escape(password)))

    def collect(self, vim_type, paths):
        view = self.call("CreateContainerView",
                         '<_this type="ViewManager">%s</_this><container type="Folder">%s</container>'
                         '<type>%s</type><recursive>true</recursive>'
                         % (self.sc["viewManager"], self.sc["rootFolder"], vim_type)).find("v:returnval", NS).text
        spec = ('<specSet><propSet><type>%s</type>%s</propSet><objectSet><obj type="ContainerView">%s</obj>'
                '<skip>true</skip><selectSet xsi:type="TraversalSpec"><type>ContainerView</type>'
                '<path>view</path><skip>false</skip></selectSet></objectSet></specSet>'
                % (vim_type, "".join("<pathSet>%s</pathSet>" % p for p in paths), view))
        pc = '<_this type="PropertyCollector">%s</_this>' % self.sc["propertyCollector"]
        ret = self.call("RetrievePropertiesEx", pc + spec + "<options/>").find("v:returnval", NS)
        out = {}
        while ret is not None:
            for obj in ret.findall("v:objects", NS):
                props = {}
                for ps in obj.findall("v:propSet", NS):
                    props[ps.find("v:name", NS).text] = ps.find("v:val", NS)
                out[obj.find("v:obj", NS).text] = props
            token = ret.find("v:token", NS)
            if token is None:
                break
            ret = self.call("ContinueRetrievePropertiesEx",
                            pc + "<token>%s</token>" % token.text).find("v:returnval", NS)
        self.call("DestroyView", '<_this type="ContainerView">%s</_this>' % view)
        return out


def text(props, path):
    v = props.get(path)
    return None if v is None else v.text


def number(props, path):
    t = text(props, path)
    return None if t is None else int(t)


def boolean(props, path):
    t = text(props, path)
    return None if t is None else t == "true"


def service(props, key):
    """(running, policy) of the host service `key` in config.service.service."""
    for e in (props.get("config.service.service") or []):
        if e.find("v:key", NS).text == key:
            return e.find("v:running", NS).text == "true", e.find("v:policy", NS).text
    return None, None


def count(props, path):
    """Items of an array property: the object's own `vm` list, which the collector
    does not fetch (it counts VMs from their side)."""
    v = props.get(path)
    return 0 if v is None else len(list(v))


def custom(props, names):
    out = {}
    cv = props.get("customValue")
    for e in (cv if cv is not None else []):
        key = e.find("v:key", NS).text
        val = e.find("v:value", NS)
        out[names.get(key, key)] = val.text if val is not None else None
    return out


def field_names(c):
    mgr = c.sc.get("customFieldsManager")
    if not mgr:
        return {}
    res = c.call("RetrievePropertiesEx",
                 '<_this type="PropertyCollector">%s</_this><specSet><propSet><type>CustomFieldsManager'
                 '</type><pathSet>field</pathSet></propSet><objectSet><obj type="CustomFieldsManager">%s'
                 '</obj></objectSet></specSet><options/>' % (c.sc["propertyCollector"], mgr))
    names = {}
    for d in res.iter("{urn:vim25}CustomFieldDef"):
        names[d.find("v:key", NS).text] = d.find("v:name", NS).text
    return names


def facts(c):
    names = field_names(c)
    out = {"counts": {b: len(c.collect(t, ["name"])) for b, t in TYPES.items()}}
    vms = c.collect("VirtualMachine", VM_PATHS)
    out["vm"] = {m: {"name": text(p, "name"), "power_state": text(p, "runtime.powerState"),
                     "cpus": number(p, "config.hardware.numCPU"),
                     "memory_mb": number(p, "config.hardware.memoryMB"),
                     "guest_id": text(p, "config.guestId"), "ip": text(p, "guest.ipAddress") or None,
                     "dns_name": text(p, "guest.hostName"), "uuid": text(p, "config.uuid"),
                     "annotation": text(p, "config.annotation"), "host": text(p, "runtime.host"),
                     "custom": custom(p, names)} for m, p in vms.items()}
    hosts = c.collect("HostSystem", HOST_PATHS)
    out["host"] = {m: {"name": text(p, "name"), "connection_state": text(p, "runtime.connectionState"),
                       "maintenance": boolean(p, "runtime.inMaintenanceMode"),
                       "ssh_running": service(p, "TSM-SSH")[0], "ssh_policy": service(p, "TSM-SSH")[1],
                       "cpu_cores": number(p, "summary.hardware.numCpuCores"),
                       "memory_bytes": number(p, "summary.hardware.memorySize"),
                       "vm_count": count(p, "vm"),
                       "custom": custom(p, names)} for m, p in hosts.items()}
    dss = c.collect("Datastore", DS_PATHS)
    out["datastore"] = {m: {"name": text(p, "name"), "capacity_bytes": number(p, "summary.capacity"),
                            "free_bytes": number(p, "summary.freeSpace"), "type": text(p, "summary.type"),
                            "vm_count": count(p, "vm"),
                            "custom": custom(p, names)} for m, p in dss.items()}
    cls = c.collect("ClusterComputeResource", CLUSTER_PATHS)
    out["cluster"] = {m: {"name": text(p, "name"), "host_count": number(p, "summary.numHosts"),
                          "custom": custom(p, names)} for m, p in cls.items()}
    return out


def set_custom(c, field, value, morefs):
    mgr = '<_this type="CustomFieldsManager">%s</_this>' % c.sc["customFieldsManager"]
    key = None
    for k, n in field_names(c).items():
        if n == field:
            key = k
    if key is None:
        ret = c.call("AddCustomFieldDef", mgr + "<name>%s</name>" % escape(field))
        key = ret.find("v:returnval/v:key", NS).text
    for o in morefs:
        t, m = o.split(":", 1)
        c.call("SetField", mgr + '<entity type="%s">%s</entity><key>%s</key><value>%s</value>'
               % (t, m, key, escape(value)))


def rest(c, method, path, body=None, sid=None, auth=None):
    base = c.url.rsplit("/sdk", 1)[0] + "/rest/com/vmware/cis"
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if sid:
        req.add_header("vmware-api-session-id", sid)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, context=c.ctx, timeout=60) as resp:
        data = resp.read()
    return json.loads(data).get("value") if data else None


def set_tag(c, user, password, category, tag, objects):
    sid = rest(c, "POST", "/session", auth=user + ":" + password)
    cats = {rest(c, "GET", "/tagging/category/id:" + i, sid=sid)["name"]: i
            for i in rest(c, "GET", "/tagging/category", sid=sid) or []}
    cid = cats.get(category) or rest(c, "POST", "/tagging/category", {"create_spec": {
        "name": category, "description": "", "cardinality": "MULTIPLE", "associable_types": []}}, sid)
    tags = {}
    for i in rest(c, "GET", "/tagging/tag", sid=sid) or []:
        t = rest(c, "GET", "/tagging/tag/id:" + i, sid=sid)
        tags[(t["category_id"], t["name"])] = i
    tid = tags.get((cid, tag)) or rest(c, "POST", "/tagging/tag", {"create_spec": {
        "name": tag, "description": "test tag", "category_id": cid}}, sid)
    for o in objects:
        kind, moref = o.split(":", 1)
        rest(c, "POST", "/tagging/tag-association/id:%s?~action=attach" % tid,
             {"object_id": {"type": kind, "id": moref}}, sid)
    rest(c, "DELETE", "/session", sid=sid)


def main(argv):
    url, user, passfile, cafile, cmd = argv[1:6]
    with open(passfile) as f:
        password = f.readline().rstrip("\n")
    c = Client(url, cafile)
    c.login(user, password)
    if cmd == "facts":
        json.dump(facts(c), sys.stdout, indent=1, sort_keys=True)
    elif cmd == "set-custom":
        set_custom(c, argv[6], argv[7], argv[8:])
    elif cmd == "set-tag":
        set_tag(c, user, password, argv[6], argv[7], argv[8:])
    elif cmd == "service":
        # service HOST METHOD ID: StartService, StopService ... on the host's
        # HostServiceSystem; prints the fault type, or "ok".
        host, method, sid = argv[6:9]
        ss = c.call("RetrievePropertiesEx",
                    '<_this type="PropertyCollector">%s</_this><specSet><propSet><type>HostSystem</type>'
                    '<pathSet>configManager.serviceSystem</pathSet></propSet><objectSet>'
                    '<obj type="HostSystem">%s</obj></objectSet></specSet><options/>'
                    % (c.sc["propertyCollector"], escape(host))).find(".//v:val", NS).text
        try:
            c.call(method, '<_this type="HostServiceSystem">%s</_this><id>%s</id>' % (ss, escape(sid)))
            print("ok")
        except urllib.error.HTTPError as e:
            detail = ET.fromstring(e.read()).find(".//detail")
            print(detail[0].get(XSI_TYPE) or detail[0].tag.split("}")[1] if detail is not None else e.code)
    elif cmd == "rename":   # MOREF NEW_NAME [TYPE, default VirtualMachine]
        c.call("Rename_Task", '<_this type="%s">%s</_this><newName>%s</newName>'
               % (escape(argv[8] if len(argv) > 8 else "VirtualMachine"), escape(argv[6]), escape(argv[7])))
    elif cmd == "sessions":
        res = c.call("RetrievePropertiesEx",
                     '<_this type="PropertyCollector">%s</_this><specSet><propSet><type>SessionManager'
                     '</type><pathSet>sessionList</pathSet></propSet><objectSet><obj type="SessionManager">'
                     '%s</obj></objectSet></specSet><options/>'
                     % (c.sc["propertyCollector"], c.sc["sessionManager"]))
        print(len(list(res.iter("{urn:vim25}UserSession"))))
    else:
        sys.exit("unknown command " + cmd)
    c.call("Logout", '<_this type="SessionManager">%s</_this>' % c.sc["sessionManager"])


if __name__ == "__main__":
    main(sys.argv)
