package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

// Network owns the host bridge, the pod address pool and the per-pod network
// namespaces. Everything it creates carries the "kbc" prefix so that
// hack/local-cluster.sh down can find and remove leftovers even if the agent died.
type Network struct {
	cfg  Config
	mu   sync.Mutex
	used map[string]bool // IPs in use
	next int             // round-robin cursor so a replaced pod gets a fresh IP
}

const (
	netnsPrefix   = "kbc-"
	vethPrefix    = "kbv"
	peerPrefix    = "kbp"
	ipForwardFile = "/proc/sys/net/ipv4/ip_forward"
)

func NewNetwork(cfg Config) *Network {
	return &Network{cfg: cfg, used: map[string]bool{}, next: 2}
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func output(args ...string) string {
	out, _ := exec.Command(args[0], args[1:]...).Output()
	return string(out)
}

// Setup creates the bridge (idempotent) and removes namespaces left by an earlier run.
func (n *Network) Setup() error {
	n.removeStaleSandboxes()
	if _, err := net.InterfaceByName(n.cfg.Bridge); err != nil {
		if err := run("ip", "link", "add", n.cfg.Bridge, "type", "bridge"); err != nil {
			return err
		}
	}
	addr := fmt.Sprintf("%s/%d", n.cfg.BridgeIP, maskBits(n.cfg.PodCIDR))
	if !strings.Contains(output("ip", "-4", "addr", "show", "dev", n.cfg.Bridge), " "+addr+" ") {
		if err := run("ip", "addr", "add", addr, "dev", n.cfg.Bridge); err != nil {
			return err
		}
	}
	if err := run("ip", "link", "set", n.cfg.Bridge, "up"); err != nil {
		return err
	}
	if n.cfg.IPTables {
		if err := n.setupIPTables(); err != nil {
			klog.Warningf("ClusterIP services disabled (iptables: %v)", err)
			n.cfg.IPTables = false
		}
	}
	return nil
}

func (n *Network) removeStaleSandboxes() {
	for _, line := range strings.Split(output("ip", "netns", "list"), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], netnsPrefix) {
			n.killAndDelete(f[0], "")
		}
	}
	for _, name := range listLinks(vethPrefix) {
		_ = run("ip", "link", "del", name)
	}
}

func listLinks(prefix string) []string {
	var out []string
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, prefix) {
			out = append(out, i.Name)
		}
	}
	return out
}

// Teardown removes everything the agent made on the host.
func (n *Network) Teardown() {
	n.removeStaleSandboxes()
	if n.cfg.IPTables {
		n.teardownIPTables()
	}
	_ = run("ip", "link", "del", n.cfg.Bridge)
}

// Sandbox is one pod's network namespace.
type Sandbox struct {
	NetNS string
	Veth  string
	IP    net.IP
}

func (s *Sandbox) NetNSPath() string { return "/run/netns/" + s.NetNS }

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:8]
}

func (n *Network) allocIP() (net.IP, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	size := 1 << (32 - maskBits(n.cfg.PodCIDR))
	for i := 0; i < size; i++ {
		idx := n.next
		n.next++
		if n.next >= size-1 {
			n.next = 2
		}
		if idx < 2 || idx >= size-1 {
			continue
		}
		ip := nthIP(n.cfg.PodCIDR, idx)
		if !n.used[ip.String()] {
			n.used[ip.String()] = true
			return ip, nil
		}
	}
	return nil, fmt.Errorf("pod network %s is full", n.cfg.PodCIDR)
}

func (n *Network) releaseIP(ip net.IP) {
	n.mu.Lock()
	delete(n.used, ip.String())
	n.mu.Unlock()
}

// CreateSandbox makes a network namespace with a veth on the bridge and a fresh IP.
func (n *Network) CreateSandbox(uid string) (*Sandbox, error) {
	ip, err := n.allocIP()
	if err != nil {
		return nil, err
	}
	h := shortHash(uid)
	sb := &Sandbox{NetNS: netnsPrefix + uid, Veth: vethPrefix + h, IP: ip}
	peer := peerPrefix + h
	// Leftovers of an earlier attempt for the same pod.
	n.killAndDelete(sb.NetNS, sb.Veth)
	cidr := fmt.Sprintf("%s/%d", ip, maskBits(n.cfg.PodCIDR))
	steps := [][]string{
		{"ip", "netns", "add", sb.NetNS},
		{"ip", "link", "add", sb.Veth, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", peer, "netns", sb.NetNS},
		{"ip", "link", "set", sb.Veth, "master", n.cfg.Bridge},
		{"ip", "link", "set", sb.Veth, "up"},
		{"ip", "-n", sb.NetNS, "link", "set", peer, "name", "eth0"},
		{"ip", "-n", sb.NetNS, "addr", "add", cidr, "dev", "eth0"},
		{"ip", "-n", sb.NetNS, "link", "set", "eth0", "up"},
		{"ip", "-n", sb.NetNS, "link", "set", "lo", "up"},
		{"ip", "-n", sb.NetNS, "route", "add", "default", "via", n.cfg.BridgeIP.String()},
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			n.killAndDelete(sb.NetNS, sb.Veth)
			n.releaseIP(ip)
			return nil, err
		}
	}
	return sb, nil
}

// DeleteSandbox kills whatever still runs in the namespace and removes it.
func (n *Network) DeleteSandbox(sb *Sandbox) {
	if sb == nil {
		return
	}
	n.killAndDelete(sb.NetNS, sb.Veth)
	n.releaseIP(sb.IP)
}

func (n *Network) killAndDelete(netns, veth string) {
	if _, err := os.Stat("/run/netns/" + netns); err == nil {
		for i := 0; i < 50; i++ {
			pids := strings.Fields(output("ip", "netns", "pids", netns))
			if len(pids) == 0 {
				break
			}
			for _, p := range pids {
				if pid, err := strconv.Atoi(p); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := run("ip", "netns", "del", netns); err != nil {
			klog.Warningf("%v", err)
		}
	}
	if veth != "" {
		if _, err := net.InterfaceByName(veth); err == nil {
			_ = run("ip", "link", "del", veth)
		}
	}
}

func maskBits(n *net.IPNet) int {
	ones, _ := n.Mask.Size()
	return ones
}
