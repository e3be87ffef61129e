// Command node-agent is the local cluster's stand-in for the kubelet: it registers one
// Node and runs the containers of the pods bound to it as host processes, each pod in
// its own network namespace (an IP on a Linux bridge) and its own mount namespace.
//
// It is written against client-go, independent of the project's C++ client, so that a
// bug in one cannot hide itself in the other. See hack/README.md for what it does and
// does not do compared with a real kubelet.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func init() {
	// The container-init subcommand enters namespaces with per-thread system calls and
	// then execs; it must stay on the main OS thread throughout.
	runtime.LockOSThread()
}

// Config is what the agent needs to know about its surroundings.
type Config struct {
	NodeName       string
	StateDir       string // pods/<ns>_<name>_<uid>/ live under here
	Bridge         string // host bridge name
	PodCIDR        *net.IPNet
	BridgeIP       net.IP // host side of the bridge: gateway of the pods, apiserver reachable here
	APIServerPort  int    // where the apiserver listens (on all addresses)
	ServiceCIDR    *net.IPNet
	KubernetesSvc  net.IP // ClusterIP of the "kubernetes" Service
	ClusterDomain  string
	KubeletPort    int // the agent's log server (pods/log), on the bridge IP
	KubeletCert    string
	KubeletKey     string
	ClientCA       string
	RepoDir        string
	Self           string // this executable, used as container init
	IPTables       bool   // program DNAT for ClusterIP services
	BackoffBase    time.Duration
	BackoffMax     time.Duration
	HeartbeatEvery time.Duration
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "container-init" {
		containerInit(os.Args[2:]) // never returns
		return
	}
	runtime.UnlockOSThread()

	var (
		kubeconfig = flag.String("kubeconfig", "", "admin kubeconfig")
		podCIDR    = flag.String("pod-cidr", "10.244.0.0/24", "pod network; the first address is the host's bridge IP")
		svcCIDR    = flag.String("service-cidr", "10.96.0.0/16", "service network of the apiserver")
		cfg        Config
		noIPT      bool
	)
	flag.StringVar(&cfg.NodeName, "node-name", "local-node", "name of the Node object")
	flag.StringVar(&cfg.StateDir, "state-dir", "", "directory for pod state and logs")
	flag.StringVar(&cfg.Bridge, "bridge", "kbc0", "name of the host bridge")
	flag.IntVar(&cfg.APIServerPort, "apiserver-port", 16443, "port the apiserver listens on")
	flag.StringVar(&cfg.ClusterDomain, "cluster-domain", "cluster.local", "cluster DNS domain")
	flag.IntVar(&cfg.KubeletPort, "kubelet-port", 20250, "port of the agent's kubelet-like log endpoint (0 = off)")
	flag.StringVar(&cfg.KubeletCert, "kubelet-cert", "", "serving certificate of the log endpoint")
	flag.StringVar(&cfg.KubeletKey, "kubelet-key", "", "serving key of the log endpoint")
	flag.StringVar(&cfg.ClientCA, "client-ca", "", "CA that signs the apiserver's kubelet client certificate")
	flag.StringVar(&cfg.RepoDir, "repo", "", "repository root (for the kubectl-bitcoin image mapping)")
	flag.BoolVar(&noIPT, "no-iptables", false, "do not program ClusterIP DNAT rules")
	flag.DurationVar(&cfg.BackoffBase, "backoff-base", time.Second, "first container restart delay")
	flag.DurationVar(&cfg.BackoffMax, "backoff-max", 30*time.Second, "longest container restart delay")
	flag.DurationVar(&cfg.HeartbeatEvery, "heartbeat", 10*time.Second, "node status/lease renewal period")
	klog.InitFlags(nil)
	flag.Parse()

	if cfg.StateDir == "" {
		fatal("--state-dir is required")
	}
	var err error
	_, cfg.PodCIDR, err = net.ParseCIDR(*podCIDR)
	if err != nil {
		fatal("bad --pod-cidr: %v", err)
	}
	_, cfg.ServiceCIDR, err = net.ParseCIDR(*svcCIDR)
	if err != nil {
		fatal("bad --service-cidr: %v", err)
	}
	cfg.BridgeIP = nthIP(cfg.PodCIDR, 1)
	cfg.KubernetesSvc = nthIP(cfg.ServiceCIDR, 1)
	cfg.IPTables = !noIPT
	if cfg.Self, err = os.Executable(); err != nil {
		fatal("cannot find own executable: %v", err)
	}
	cfg.StateDir, _ = filepath.Abs(cfg.StateDir)

	restCfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fatal("kubeconfig: %v", err)
	}
	restCfg.QPS, restCfg.Burst = 50, 100
	restCfg.UserAgent = "node-agent/" + cfg.NodeName
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		fatal("client: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	agent := NewAgent(cfg, client)
	if err := agent.Run(ctx); err != nil {
		fatal("%v", err)
	}
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "node-agent: "+format+"\n", args...)
	os.Exit(1)
}

// nthIP returns the n-th address of a network (n=1 is the first host address).
func nthIP(n *net.IPNet, i int) net.IP {
	ip := n.IP.To4()
	out := make(net.IP, 4)
	copy(out, ip)
	v := uint32(out[0])<<24 | uint32(out[1])<<16 | uint32(out[2])<<8 | uint32(out[3])
	v += uint32(i)
	out[0], out[1], out[2], out[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return out
}
