package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/klog/v2"
)

// A minimal kube-proxy: ClusterIP service ports are DNATed (iptables, nat table) to
// ready endpoints, for traffic from pods (PREROUTING) and from the host (OUTPUT).
// Pod-to-service-to-pod traffic on the same bridge is masqueraded so replies return
// through the host. Everything lives in chains named KBC-*.

const (
	chainServices = "KBC-SERVICES"
	chainPost     = "KBC-POSTROUTING"
)

var ipForwardSaved []byte

func (n *Network) setupIPTables() error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return fmt.Errorf("iptables not installed")
	}
	n.teardownIPTables()
	for _, c := range [][]string{
		{"-t", "nat", "-N", chainServices},
		{"-t", "nat", "-N", chainPost},
		{"-t", "nat", "-I", "PREROUTING", "-j", chainServices},
		{"-t", "nat", "-I", "OUTPUT", "-j", chainServices},
		{"-t", "nat", "-I", "POSTROUTING", "-j", chainPost},
		{"-t", "nat", "-A", chainPost, "-s", n.cfg.PodCIDR.String(), "-d", n.cfg.PodCIDR.String(),
			"-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"},
	} {
		if err := run(append([]string{"iptables", "-w"}, c...)...); err != nil {
			return err
		}
	}
	// Forwarding is needed for pod -> ClusterIP -> other pod (routed back out the bridge).
	if b, err := os.ReadFile(ipForwardFile); err == nil && strings.TrimSpace(string(b)) != "1" {
		ipForwardSaved = b
		_ = os.WriteFile(ipForwardFile, []byte("1\n"), 0o644)
	}
	return nil
}

func (n *Network) teardownIPTables() {
	for _, c := range [][]string{
		{"-t", "nat", "-D", "PREROUTING", "-j", chainServices},
		{"-t", "nat", "-D", "OUTPUT", "-j", chainServices},
		{"-t", "nat", "-D", "POSTROUTING", "-j", chainPost},
		{"-t", "nat", "-F", chainServices},
		{"-t", "nat", "-X", chainServices},
		{"-t", "nat", "-F", chainPost},
		{"-t", "nat", "-X", chainPost},
	} {
		_ = exec.Command("iptables", append([]string{"-w"}, c...)...).Run()
	}
	if ipForwardSaved != nil {
		_ = os.WriteFile(ipForwardFile, ipForwardSaved, 0o644)
		ipForwardSaved = nil
	}
}

func (a *Agent) kickServices() {
	select {
	case a.hostsKick <- struct{}{}:
	default:
	}
}

// serviceLoop rewrites the DNAT rules and every pod's /etc/hosts after changes,
// at most every 200ms, and at least every 10s.
func (a *Agent) serviceLoop(ctx context.Context) {
	var lastRules string
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.hostsKick:
		case <-t.C:
		}
		time.Sleep(200 * time.Millisecond)
		if !a.svcInformer.HasSynced() || !a.epsInformer.HasSynced() {
			continue
		}
		services, slices := a.snapshotServices()
		if a.net.cfg.IPTables {
			rules := a.renderRules(services, slices)
			if rules != lastRules {
				cmd := exec.Command("iptables-restore", "-w", "--noflush")
				cmd.Stdin = strings.NewReader(rules)
				if out, err := cmd.CombinedOutput(); err != nil {
					klog.Warningf("iptables-restore: %v: %s", err, out)
				} else {
					lastRules = rules
				}
			}
		}
		a.writeHostsFiles(services, slices)
	}
}

// refreshHosts writes every pod's /etc/hosts now (a new pod gets its full hosts file
// before its first container starts).
func (a *Agent) refreshHosts() {
	if a.svcInformer == nil || !a.svcInformer.HasSynced() || !a.epsInformer.HasSynced() {
		return
	}
	services, slices := a.snapshotServices()
	a.writeHostsFiles(services, slices)
}

func (a *Agent) snapshotServices() ([]*v1.Service, map[string][]*discoveryv1.EndpointSlice) {
	var services []*v1.Service
	for _, o := range a.svcInformer.GetStore().List() {
		services = append(services, o.(*v1.Service))
	}
	sort.Slice(services, func(i, j int) bool {
		return services[i].Namespace+"/"+services[i].Name < services[j].Namespace+"/"+services[j].Name
	})
	slices := map[string][]*discoveryv1.EndpointSlice{}
	for _, o := range a.epsInformer.GetStore().List() {
		s := o.(*discoveryv1.EndpointSlice)
		svc := s.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		key := s.Namespace + "/" + svc
		slices[key] = append(slices[key], s)
	}
	return services, slices
}

type endpoint struct{ ip, port string }

func readyEndpoints(slices []*discoveryv1.EndpointSlice, portName string, protocol v1.Protocol) []endpoint {
	var out []endpoint
	for _, s := range slices {
		if s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		for _, p := range s.Ports {
			if p.Port == nil || ptrStr(p.Name) != portName || (p.Protocol != nil && *p.Protocol != protocol) {
				continue
			}
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && !*e.Conditions.Ready {
					continue
				}
				for _, addr := range e.Addresses {
					out = append(out, endpoint{addr, fmt.Sprint(*p.Port)})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ip+out[i].port < out[j].ip+out[j].port })
	return out
}

func ptrStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (a *Agent) renderRules(services []*v1.Service, slices map[string][]*discoveryv1.EndpointSlice) string {
	var b bytes.Buffer
	b.WriteString("*nat\n:" + chainServices + " - [0:0]\n")
	for _, s := range services {
		ip := s.Spec.ClusterIP
		if ip == "" || ip == v1.ClusterIPNone {
			continue
		}
		for _, p := range s.Spec.Ports {
			proto := strings.ToLower(string(p.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			if proto != "tcp" && proto != "udp" {
				continue
			}
			eps := readyEndpoints(slices[s.Namespace+"/"+s.Name], p.Name, p.Protocol)
			comment := fmt.Sprintf("%s/%s:%s", s.Namespace, s.Name, p.Name)
			match := fmt.Sprintf("-A %s -d %s/32 -p %s --dport %d -m comment --comment %q", chainServices, ip, proto, p.Port, comment)
			if len(eps) == 0 {
				fmt.Fprintf(&b, "%s -j REJECT\n", strings.Replace(match, "-A "+chainServices, "-A "+chainServices, 1))
				continue
			}
			for i, e := range eps {
				stat := ""
				if left := len(eps) - i; left > 1 {
					stat = fmt.Sprintf(" -m statistic --mode random --probability %.5f", 1/float64(left))
				}
				fmt.Fprintf(&b, "%s%s -j DNAT --to-destination %s:%s\n", match, stat, e.ip, e.port)
			}
		}
	}
	b.WriteString("COMMIT\n")
	// REJECT lives in the filter table, not nat: drop such lines (no endpoints simply
	// means no rule, so the connection times out or is refused by the host).
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if !strings.HasSuffix(line, "-j REJECT") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// writeHostsFiles gives every pod an /etc/hosts with: itself, the pods of its
// namespace that have hostname+subdomain (StatefulSet pods behind a headless
// Service), the ready endpoints of headless services, and every ClusterIP service.
func (a *Agent) writeHostsFiles(services []*v1.Service, slices map[string][]*discoveryv1.EndpointSlice) {
	a.hostsMu.Lock()
	defer a.hostsMu.Unlock()
	domain := a.cfg.ClusterDomain
	type entry struct{ ip, names string }
	var svcEntries = map[string][]entry{} // namespace -> entries; "" for all namespaces
	for _, s := range services {
		short := s.Name + "." + s.Namespace
		fq := fmt.Sprintf("%s.svc.%s %s.svc %s", short, domain, short, short)
		if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != v1.ClusterIPNone {
			svcEntries[""] = append(svcEntries[""], entry{s.Spec.ClusterIP, fq})
			svcEntries[s.Namespace] = append(svcEntries[s.Namespace], entry{s.Spec.ClusterIP, s.Name})
			continue
		}
		seen := map[string]bool{}
		for _, sl := range slices[s.Namespace+"/"+s.Name] {
			for _, e := range sl.Endpoints {
				if e.Conditions.Ready != nil && !*e.Conditions.Ready && !s.Spec.PublishNotReadyAddresses {
					continue
				}
				for _, ip := range e.Addresses {
					if seen[ip] {
						continue
					}
					seen[ip] = true
					svcEntries[""] = append(svcEntries[""], entry{ip, fq})
					svcEntries[s.Namespace] = append(svcEntries[s.Namespace], entry{ip, s.Name})
					if e.Hostname != nil {
						h := *e.Hostname + "." + s.Name
						svcEntries[""] = append(svcEntries[""], entry{ip,
							fmt.Sprintf("%s.%s.svc.%s %s.%s.svc %s.%s", h, s.Namespace, domain, h, s.Namespace, h, s.Namespace)})
						svcEntries[s.Namespace] = append(svcEntries[s.Namespace], entry{ip, h})
					}
				}
			}
		}
	}

	a.mu.Lock()
	workers := make([]*PodWorker, 0, len(a.workers))
	for _, w := range a.workers {
		workers = append(workers, w)
	}
	a.mu.Unlock()
	type podInfo struct{ ns, host, sub, ip string }
	var pods []podInfo
	for _, w := range workers {
		if ip := w.PodIP(); ip != "" {
			pod := w.Pod()
			pods = append(pods, podInfo{pod.Namespace, podHostname(pod), pod.Spec.Subdomain, ip})
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].ip < pods[j].ip })
	for _, w := range workers {
		path := w.HostsFile()
		ip := w.PodIP()
		if path == "" || ip == "" {
			continue
		}
		pod := w.Pod()
		var b bytes.Buffer
		b.WriteString("# Kubernetes-managed hosts file (local-cluster node-agent).\n")
		b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
		self := podHostname(pod)
		if pod.Spec.Subdomain != "" {
			sub := self + "." + pod.Spec.Subdomain + "." + pod.Namespace
			fmt.Fprintf(&b, "%s\t%s.svc.%s %s.svc %s.%s %s\n", ip, sub, domain, sub, self, pod.Spec.Subdomain, self)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", ip, self)
		}
		for _, p := range pods {
			if p.ip == ip || p.sub == "" {
				continue
			}
			sub := p.host + "." + p.sub + "." + p.ns
			if p.ns == pod.Namespace {
				fmt.Fprintf(&b, "%s\t%s.svc.%s %s.svc %s.%s\n", p.ip, sub, domain, sub, p.host, p.sub)
			} else {
				fmt.Fprintf(&b, "%s\t%s.svc.%s %s.svc\n", p.ip, sub, domain, sub)
			}
		}
		for _, e := range svcEntries[pod.Namespace] {
			fmt.Fprintf(&b, "%s\t%s\n", e.ip, e.names)
		}
		for _, e := range svcEntries[""] {
			fmt.Fprintf(&b, "%s\t%s\n", e.ip, e.names)
		}
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b.Bytes()) {
			continue
		}
		// Written in place: the file is bind-mounted over /etc/hosts by inode.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err == nil {
			_, _ = f.Write(b.Bytes())
			_ = f.Close()
		}
	}
}

func podHostname(pod *v1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}
