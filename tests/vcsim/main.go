// vcsim: the vCenter simulator the tests, the demo and the benchmarks talk to. A
// small main over govmomi's simulator package (Debian's golang-github-vmware-govmomi-dev,
// built in GOPATH mode): it builds an inventory of the requested size, makes the VMs
// look like a real estate (CPUs, memory, guest OS, IPs, host names, tools, power),
// serves vim25 SOAP (and the vAPI REST tagging endpoints in VPX mode) on loopback over
// TLS with a certificate of its own, and prints where it listens. Each host gets a
// HostServiceSystem of ours (hostservice.go), which govmomi's simulator lacks.
//
// Output contract (stdout, the rig reads it):
//
//	URL https://127.0.0.1:PORT/sdk
//	VMS n HOSTS n CLUSTERS n DATASTORES n
//
// VM count: -vms is govmomi's Model.Machine, i.e. VMs per compute resource, namely
// per standalone host and per cluster (in the cluster's root resource pool). So in
// VPX mode total VMs = datacenters * (standalone + clusters) * vms; in ESX mode the
// single host gets -vms VMs. The VMS line prints the real total.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"math/big"
	mrand "math/rand"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers the vAPI REST endpoints
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type options struct {
	datacenters, clusters, hosts, standalone int
	vms, datastores, portgroups, pods        int
	user, password, listen, certOut          string
	port                                     int
	tls, esx                                 bool
	seed                                     int64
}

func parseFlags() *options {
	o := new(options)
	flag.IntVar(&o.datacenters, "datacenters", 1, "datacenters (VPX only)")
	flag.IntVar(&o.clusters, "clusters", 1, "clusters per datacenter")
	flag.IntVar(&o.hosts, "hosts", 3, "hosts per cluster")
	flag.IntVar(&o.standalone, "standalone", 1, "standalone hosts per datacenter")
	flag.IntVar(&o.vms, "vms", 2, "VMs per compute resource (each standalone host, each cluster); ESX: VMs on the host")
	flag.IntVar(&o.datastores, "datastores", 1, "local datastores per datacenter, mounted on all its hosts")
	flag.IntVar(&o.portgroups, "portgroups", 1, "distributed portgroups per datacenter")
	flag.IntVar(&o.pods, "pods", 0, "storage pods per datacenter")
	flag.StringVar(&o.user, "user", "administrator@vsphere.local", "the only user name accepted by SessionManager.Login")
	flag.StringVar(&o.password, "password", "vcsim-pass", "its password (wrong ones get InvalidLogin)")
	flag.IntVar(&o.port, "port", 0, "TCP port, 0 = a free one")
	flag.StringVar(&o.listen, "listen", "127.0.0.1", "address to listen on")
	flag.BoolVar(&o.tls, "tls", true, "serve HTTPS with a fresh self-signed certificate")
	flag.BoolVar(&o.esx, "esx", false, "simulate a standalone ESX host instead of a vCenter")
	flag.Int64Var(&o.seed, "seed", 1, "seed for the VM variations (same seed, same data)")
	flag.StringVar(&o.certOut, "cert-out", "", "write the server certificate (PEM) to this file")
	flag.Parse()
	return o
}

func main() {
	o := parseFlags()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
		os.Exit(1)
	}
}

func run(o *options) error {
	// The model puts one folder per datastore (and files per VM) under TMPDIR: give
	// this simulator a directory of its own so parallel simulators never share one.
	tmp, err := ioutil.TempDir("", "vcsim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Setenv("TMPDIR", tmp); err != nil {
		return err
	}

	model := newModel(o)
	if err := model.Create(); err != nil {
		return fmt.Errorf("creating the inventory: %w", err)
	}
	defer model.Remove()
	vary(o.seed)
	addServiceSystems()

	server, cert, err := serve(o, model)
	if err != nil {
		return err
	}
	defer server.Close()
	if o.certOut != "" {
		if err := writeCert(o.certOut, cert); err != nil {
			return err
		}
	}

	c := model.Count()
	fmt.Printf("URL %s\n", sdkURL(server.URL))
	fmt.Printf("VMS %d HOSTS %d CLUSTERS %d DATASTORES %d\n", c.Machine, c.Host, c.Cluster, c.Datastore)
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	return nil
}

func newModel(o *options) *simulator.Model {
	var m *simulator.Model
	if o.esx {
		m = simulator.ESX()
	} else {
		m = simulator.VPX()
		m.Datacenter = o.datacenters
		m.Cluster = o.clusters
		m.ClusterHost = o.hosts
		m.Host = o.standalone
		m.Portgroup = o.portgroups
		m.Pod = o.pods
	}
	m.Machine = o.vms
	m.Datastore = o.datastores
	return m
}

// serve starts the SOAP server with the credentials and the certificate of this run.
func serve(o *options, model *simulator.Model) (*simulator.Server, *x509.Certificate, error) {
	svc := model.Service
	// A user other than simulator.DefaultLogin makes validLogin compare name and
	// password exactly, so a wrong password gets an InvalidLogin fault.
	svc.Listen = &url.URL{
		Host: net.JoinHostPort(o.listen, strconv.Itoa(o.port)),
		User: url.UserPassword(o.user, o.password),
	}
	svc.RegisterEndpoints = true
	var cert *x509.Certificate
	if o.tls {
		pair, parsed, err := selfSigned(o.listen)
		if err != nil {
			return nil, nil, err
		}
		svc.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		cert = parsed
	}
	return svc.NewServer(), cert, nil
}

// selfSigned makes a certificate of this run's own (not the well-known httptest one),
// so each simulator has its own fingerprint and tests can pin it or use it as CA.
func selfSigned(addr string) (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vcsim " + addr, Organization: []string{"vCompanion test rig"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own CA for --cacert / ca_file
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	if ip := net.ParseIP(addr); ip != nil && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, parsed, nil
}

func writeCert(path string, cert *x509.Certificate) error {
	if cert == nil {
		return fmt.Errorf("-cert-out needs -tls")
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := ioutil.WriteFile(path, data, 0644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "vcsim: certificate sha256 %x written to %s\n", sha256.Sum256(cert.Raw), path)
	return nil
}

func sdkURL(u *url.URL) string {
	c := *u
	c.User = nil // never print the password
	return c.String()
}

type guestOS struct{ id, name string }

var guests = []guestOS{
	{"ubuntu64Guest", "Ubuntu Linux (64-bit)"},
	{"rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)"},
	{"rhel7_64Guest", "Red Hat Enterprise Linux 7 (64-bit)"},
	{"debian11_64Guest", "Debian GNU/Linux 11 (64-bit)"},
	{"sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)"},
	{"centos7_64Guest", "CentOS 7 (64-bit)"},
	{"windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)"},
	{"windows9Server64Guest", "Microsoft Windows Server 2016 or later (64-bit)"},
	{"windows9_64Guest", "Microsoft Windows 10 (64-bit)"},
	{"freebsd12_64Guest", "FreeBSD 12 (64-bit)"},
}

var roles = []string{"web", "app", "db", "cache", "mq", "k8s", "build", "file", "mail", "dc", "mon", "proxy"}

var memoryMB = []int32{512, 1024, 2048, 4096, 8192, 12288, 16384, 32768, 65536}

var cpus = []int32{1, 2, 2, 4, 4, 4, 8, 8, 12, 16}

// vary rewrites the uniform VMs of the model through the object registry before
// anything is served. VMs are visited sorted by name so a seed always gives the same
// data; IPs and host names derive from the position, so they are unique.
func vary(seed int64) {
	rng := mrand.New(mrand.NewSource(seed))
	var vms []*simulator.VirtualMachine
	for _, e := range simulator.Map.All("VirtualMachine") {
		vms = append(vms, e.(*simulator.VirtualMachine))
	}
	sort.Slice(vms, func(i, j int) bool { return vms[i].Name < vms[j].Name })
	domain := fmt.Sprintf("s%d.example.test", seed)
	for n, vm := range vms {
		varyHardware(vm, rng)
		g := guests[rng.Intn(len(guests))]
		host := fmt.Sprintf("%s-%05d.%s", roles[rng.Intn(len(roles))], n, domain)
		ip := fmt.Sprintf("10.%d.%d.%d", (10+int(seed%50)*4+n/62500)%256, (n/250)%250, n%250+1)
		// About one VM in twelve stays powered off, the first one always (tests can
		// count on at least one).
		on := n != 0 && rng.Intn(12) != 0
		setGuest(vm, g, host, ip, on, rng)
		note := fmt.Sprintf("Owner: team-%s\nTicket: CHG-%06d\nPurpose: %s server", roles[rng.Intn(len(roles))], rng.Intn(1000000), g.name)
		vm.Config.Annotation = note
		vm.Summary.Config.Annotation = note
	}
}

func varyHardware(vm *simulator.VirtualMachine, rng *mrand.Rand) {
	c := cpus[rng.Intn(len(cpus))]
	m := memoryMB[rng.Intn(len(memoryMB))]
	vm.Config.Hardware.NumCPU = c
	vm.Config.Hardware.NumCoresPerSocket = 1
	vm.Config.Hardware.MemoryMB = m
	vm.Summary.Config.NumCpu = c
	vm.Summary.Config.MemorySizeMB = m
}

func setGuest(vm *simulator.VirtualMachine, g guestOS, host, ip string, on bool, rng *mrand.Rand) {
	vm.Config.GuestId = g.id
	vm.Config.GuestFullName = g.name
	vm.Summary.Config.GuestId = g.id
	vm.Summary.Config.GuestFullName = g.name
	gi := vm.Guest
	gi.GuestId = g.id
	gi.GuestFullName = g.name
	gi.HostName = host
	gi.ToolsVersion = "12352"
	gi.ToolsVersionStatus2 = "guestToolsCurrent"
	noTools := on && rng.Intn(10) == 0
	if noTools || !on {
		// Without running tools vCenter knows no guest IP (the host name stays, as
		// after a shutdown).
		if !on {
			powerOff(&vm.VirtualMachine)
		}
		gi.IpAddress = ""
		gi.GuestState = "notRunning"
		gi.ToolsStatus = types.VirtualMachineToolsStatusToolsNotRunning
		gi.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
		for i := range gi.Net {
			gi.Net[i].IpAddress = nil
		}
		if noTools {
			gi.GuestState = "running"
			gi.ToolsStatus = types.VirtualMachineToolsStatusToolsNotInstalled
			gi.ToolsVersion = "0"
			gi.ToolsVersionStatus2 = "guestToolsNotInstalled"
		}
	} else {
		gi.IpAddress = ip
		gi.GuestState = "running"
		gi.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		gi.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		if rng.Intn(10) == 0 {
			gi.ToolsStatus = types.VirtualMachineToolsStatusToolsOld
			gi.ToolsVersionStatus2 = "guestToolsSupportedOld"
		}
		for i := range gi.Net {
			gi.Net[i].IpAddress = []string{ip}
		}
	}
	s := vm.Summary.Guest
	s.GuestId, s.GuestFullName, s.HostName, s.IpAddress = g.id, g.name, gi.HostName, gi.IpAddress
	s.ToolsStatus, s.ToolsRunningStatus, s.ToolsVersionStatus2 = gi.ToolsStatus, gi.ToolsRunningStatus, gi.ToolsVersionStatus2
}

func powerOff(vm *mo.VirtualMachine) {
	vm.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
	vm.Runtime.BootTime = nil
	vm.Summary.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
	vm.Summary.Runtime.BootTime = nil
}
