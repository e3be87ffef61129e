package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// Agent owns the Node object and one PodWorker per pod bound to the node.
type Agent struct {
	cfg      Config
	client   kubernetes.Interface
	recorder record.EventRecorder
	net      *Network
	images   *ImageResolver

	mu      sync.Mutex
	workers map[types.UID]*PodWorker
	done    map[types.UID]bool // pods whose worker finished; late events are ignored

	podInformer cache.SharedIndexInformer
	svcInformer cache.SharedIndexInformer
	epsInformer cache.SharedIndexInformer
	hostsKick   chan struct{}
	hostsMu     sync.Mutex
}

func NewAgent(cfg Config, client kubernetes.Interface) *Agent {
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	rec := b.NewRecorder(scheme.Scheme, v1.EventSource{Component: "kubelet", Host: cfg.NodeName})
	return &Agent{
		cfg:       cfg,
		client:    client,
		recorder:  rec,
		net:       NewNetwork(cfg),
		images:    NewImageResolver(cfg),
		workers:   map[types.UID]*PodWorker{},
		done:      map[types.UID]bool{},
		hostsKick: make(chan struct{}, 1),
	}
}

func (a *Agent) Run(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(a.cfg.StateDir, "pods"), 0o755); err != nil {
		return err
	}
	// One agent per state dir: two would fight over the same pods and network.
	lock, err := os.OpenFile(filepath.Join(a.cfg.StateDir, "node-agent.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("another node-agent is running on %s", a.cfg.StateDir)
	}
	defer lock.Close() // also keeps the lock's file alive (no finalizer close) while we run
	if err := a.net.Setup(); err != nil {
		return fmt.Errorf("network setup: %w", err)
	}
	if err := a.registerNode(ctx); err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	go a.heartbeat(ctx)
	if a.cfg.KubeletPort > 0 {
		go a.serveKubeletAPI(ctx)
	}

	podFactory := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.cfg.NodeName).String()
		}))
	a.podInformer = podFactory.Core().V1().Pods().Informer()
	a.podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { a.podChanged(obj) },
		UpdateFunc: func(_, obj any) { a.podChanged(obj) },
		DeleteFunc: func(obj any) { a.podGone(obj) },
	})
	factory := informers.NewSharedInformerFactory(a.client, 0)
	a.svcInformer = factory.Core().V1().Services().Informer()
	a.epsInformer = factory.Discovery().V1().EndpointSlices().Informer()
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { a.kickServices() },
		UpdateFunc: func(any, any) { a.kickServices() },
		DeleteFunc: func(any) { a.kickServices() },
	}
	a.svcInformer.AddEventHandler(kick)
	a.epsInformer.AddEventHandler(kick)
	podFactory.Start(ctx.Done())
	factory.Start(ctx.Done())
	go a.serviceLoop(ctx)
	klog.Infof("node-agent %s running: bridge %s %s/%d, pods %s", a.cfg.NodeName, a.cfg.Bridge,
		a.cfg.BridgeIP, maskBits(a.cfg.PodCIDR), a.cfg.PodCIDR)

	<-ctx.Done()
	klog.Info("shutting down: stopping all pods")
	a.mu.Lock()
	ws := make([]*PodWorker, 0, len(a.workers))
	for _, w := range a.workers {
		ws = append(ws, w)
	}
	a.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() { defer wg.Done(); w.Shutdown(2 * time.Second) }()
	}
	wg.Wait()
	a.net.Teardown()
	return nil
}

func (a *Agent) podChanged(obj any) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	a.mu.Lock()
	w := a.workers[pod.UID]
	if w == nil {
		if a.done[pod.UID] {
			// Late events of a pod whose worker already finished.
			a.mu.Unlock()
			return
		}
		if pod.DeletionTimestamp != nil {
			// Terminating and nothing runs for it here (finished earlier, or from before
			// this agent started): confirm the deletion.
			a.done[pod.UID] = true
			a.mu.Unlock()
			go a.finalDelete(pod)
			return
		}
		if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
			a.mu.Unlock()
			return
		}
		w = NewPodWorker(a, pod)
		a.workers[pod.UID] = w
		go w.Run()
	}
	a.mu.Unlock()
	w.Update(pod)
	a.kickServices()
}

func (a *Agent) podGone(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	a.mu.Lock()
	w := a.workers[pod.UID]
	a.mu.Unlock()
	if w != nil {
		w.Gone()
	}
	a.kickServices()
}

func (a *Agent) workerDone(uid types.UID) {
	a.mu.Lock()
	delete(a.workers, uid)
	a.done[uid] = true
	a.mu.Unlock()
	a.kickServices()
}

func (a *Agent) finalDelete(pod *v1.Pod) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		klog.Warningf("final delete of %s/%s: %v", pod.Namespace, pod.Name, err)
	}
}

// --- Node ----------------------------------------------------------------------------

func (a *Agent) registerNode(ctx context.Context) error {
	node := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: a.cfg.NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname":  a.cfg.NodeName,
				"kubernetes.io/os":        "linux",
				"kubernetes.io/arch":      runtime.GOARCH,
				"beta.kubernetes.io/os":   "linux",
				"beta.kubernetes.io/arch": runtime.GOARCH,
			},
		},
		Spec: v1.NodeSpec{PodCIDR: a.cfg.PodCIDR.String(), PodCIDRs: []string{a.cfg.PodCIDR.String()}},
	}
	var err error
	for i := 0; i < 60; i++ {
		_, err = a.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			err = nil
			break
		}
		klog.Warningf("creating node: %v", err)
		time.Sleep(time.Second)
	}
	if err != nil {
		return err
	}
	return a.updateNodeStatus(ctx)
}

func (a *Agent) nodeResources() v1.ResourceList {
	mem := int64(8 << 30)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				fmt.Sscanf(strings.TrimPrefix(line, "MemTotal:"), "%d", &kb)
			}
		}
		if kb > 0 {
			mem = kb * 1024
		}
	}
	return v1.ResourceList{
		v1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		v1.ResourceMemory:           *resource.NewQuantity(mem, resource.BinarySI),
		v1.ResourcePods:             *resource.NewQuantity(110, resource.DecimalSI),
		v1.ResourceEphemeralStorage: *resource.NewQuantity(50<<30, resource.BinarySI),
	}
}

func (a *Agent) updateNodeStatus(ctx context.Context) error {
	node, err := a.client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	res := a.nodeResources()
	node.Status.Capacity = res
	node.Status.Allocatable = res
	node.Status.Phase = v1.NodeRunning
	node.Status.Addresses = []v1.NodeAddress{
		{Type: v1.NodeInternalIP, Address: a.cfg.BridgeIP.String()},
		{Type: v1.NodeHostName, Address: a.cfg.NodeName},
	}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(a.cfg.KubeletPort)
	node.Status.NodeInfo = v1.NodeSystemInfo{
		MachineID: "local", SystemUUID: "local", BootID: "local",
		KernelVersion: kernelVersion(), OSImage: "local-cluster node-agent",
		ContainerRuntimeVersion: "local-process://1", KubeletVersion: kubeletVersion(),
		KubeProxyVersion: "", OperatingSystem: "linux", Architecture: runtime.GOARCH,
	}
	want := []v1.NodeCondition{
		{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady", Message: "node-agent is posting ready status"},
		{Type: v1.NodeMemoryPressure, Status: v1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "node-agent does not track memory pressure"},
		{Type: v1.NodeDiskPressure, Status: v1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "node-agent does not track disk pressure"},
		{Type: v1.NodePIDPressure, Status: v1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "node-agent does not track PID pressure"},
	}
	for _, c := range want {
		c.LastHeartbeatTime = now
		c.LastTransitionTime = now
		found := false
		for i := range node.Status.Conditions {
			old := &node.Status.Conditions[i]
			if old.Type == c.Type {
				if old.Status == c.Status {
					c.LastTransitionTime = old.LastTransitionTime
				}
				*old = c
				found = true
			}
		}
		if !found {
			node.Status.Conditions = append(node.Status.Conditions, c)
		}
	}
	_, err = a.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

func (a *Agent) heartbeat(ctx context.Context) {
	t := time.NewTicker(a.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		a.renewLease(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.updateNodeStatus(ctx); err != nil && ctx.Err() == nil {
			klog.Warningf("node status: %v", err)
		}
	}
}

func (a *Agent) renewLease(ctx context.Context) {
	leases := a.client.CoordinationV1().Leases("kube-node-lease")
	now := metav1.NewMicroTime(time.Now())
	l, err := leases.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: a.cfg.NodeName, Namespace: "kube-node-lease"},
			Spec: coordv1.LeaseSpec{HolderIdentity: ptr.To(a.cfg.NodeName),
				LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now},
		}
		_, err = leases.Create(ctx, l, metav1.CreateOptions{})
	} else if err == nil {
		l.Spec.RenewTime = &now
		l.Spec.HolderIdentity = ptr.To(a.cfg.NodeName)
		l.Spec.LeaseDurationSeconds = ptr.To[int32](40)
		_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	}
	if err != nil && ctx.Err() == nil {
		klog.V(2).Infof("lease: %v", err)
	}
}

func kernelVersion() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

// kubeletVersion reports the control plane's version so version-skew checks pass.
func kubeletVersion() string {
	if v := os.Getenv("NODE_AGENT_KUBELET_VERSION"); v != "" {
		return v
	}
	return "v1.36.3"
}
