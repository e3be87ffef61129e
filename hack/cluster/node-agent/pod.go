package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// PodWorker runs one pod from sandbox creation to final deletion.
type PodWorker struct {
	agent *Agent
	uid   types.UID
	dir   string

	mu        sync.Mutex
	pod       *v1.Pod
	sandbox   *Sandbox
	hostsFile string
	initDone  bool
	initFail  bool
	inits     []*ContainerRunner
	runners   []*ContainerRunner
	conds     map[v1.PodConditionType]v1.PodCondition
	startTime metav1.Time
	published *v1.PodStatus

	updated  chan struct{}
	gone     chan struct{}
	goneOnce sync.Once
	shutdown chan time.Duration
	finished chan struct{}
}

func NewPodWorker(a *Agent, pod *v1.Pod) *PodWorker {
	return &PodWorker{
		agent:     a,
		uid:       pod.UID,
		dir:       filepath.Join(a.cfg.StateDir, "pods", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID)),
		pod:       pod,
		conds:     map[v1.PodConditionType]v1.PodCondition{},
		startTime: metav1.Now(),
		updated:   make(chan struct{}, 1),
		gone:      make(chan struct{}),
		shutdown:  make(chan time.Duration, 1),
		finished:  make(chan struct{}),
	}
}

func (w *PodWorker) Pod() *v1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod
}

func (w *PodWorker) PodIP() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sandbox == nil {
		return ""
	}
	return w.sandbox.IP.String()
}

func (w *PodWorker) HostsFile() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hostsFile
}

func (w *PodWorker) Update(pod *v1.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	select {
	case w.updated <- struct{}{}:
	default:
	}
}

// Gone: the pod object no longer exists (force-deleted): kill at once.
func (w *PodWorker) Gone() { w.goneOnce.Do(func() { close(w.gone) }) }

// Shutdown stops the pod because the agent stops (the pod object stays).
func (w *PodWorker) Shutdown(grace time.Duration) {
	select {
	case w.shutdown <- grace:
	default:
	}
	<-w.finished
}

func (w *PodWorker) event(typ, reason, format string, args ...any) {
	w.agent.recorder.Eventf(w.Pod(), typ, reason, format, args...)
}

func (w *PodWorker) deleting() bool {
	select {
	case <-w.gone:
		return true
	default:
	}
	return w.Pod().DeletionTimestamp != nil
}

// sleep waits d, or less if the pod is being deleted; it reports whether to go on.
func (w *PodWorker) sleep(d time.Duration) bool {
	deadline := time.After(d)
	for {
		if w.deleting() {
			return false
		}
		select {
		case <-deadline:
			return true
		case <-w.gone:
			return false
		case <-w.updated:
			select { // leave the notification for the main loop as well
			case w.updated <- struct{}{}:
			default:
			}
			if w.deleting() {
				return false
			}
			time.Sleep(50 * time.Millisecond)
		case g := <-w.shutdown:
			w.shutdown <- g
			return false
		}
	}
}

func (w *PodWorker) Run() {
	defer close(w.finished)
	defer w.agent.workerDone(w.uid)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pod := w.Pod()
	klog.Infof("pod %s/%s (%s): starting", pod.Namespace, pod.Name, pod.UID)
	_ = os.MkdirAll(filepath.Join(w.dir, "logs"), 0o755)

	for _, c := range pod.Spec.InitContainers {
		w.inits = append(w.inits, newRunner(w, c, true))
	}
	for _, c := range pod.Spec.Containers {
		w.runners = append(w.runners, newRunner(w, c, false))
	}
	w.publish(ctx)

	if w.setup(ctx) {
		w.runInits(ctx)
		if w.initDone {
			for _, r := range w.runners {
				go r.loop(ctx)
			}
		}
	}

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastRefresh := time.Now()
	for {
		if w.deleting() {
			break
		}
		select {
		case <-w.updated:
		case <-tick.C:
		case <-w.gone:
		case g := <-w.shutdown:
			w.stopAll(g)
			w.teardown(false)
			return
		}
		if w.deleting() {
			break
		}
		if w.sandbox != nil && time.Since(lastRefresh) > 5*time.Minute {
			lastRefresh = time.Now()
			if err := w.prepareVolumes(ctx); err != nil {
				klog.Warningf("pod %s/%s: refreshing volumes: %v", pod.Namespace, pod.Name, err)
			}
		}
		w.publish(ctx)
	}

	// Deletion: SIGTERM, then SIGKILL after the grace period, then confirm.
	grace := int64(30)
	if p := w.Pod(); p.DeletionGracePeriodSeconds != nil {
		grace = *p.DeletionGracePeriodSeconds
	} else if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	select {
	case <-w.gone:
		grace = 0
	default:
	}
	pod = w.Pod()
	klog.Infof("pod %s/%s: deleting (grace %ds)", pod.Namespace, pod.Name, grace)
	w.stopAll(time.Duration(grace) * time.Second)
	w.teardown(true)
	select {
	case <-w.gone:
	default:
		w.agent.finalDelete(w.Pod())
	}
}

// setup creates the sandbox and the volumes, retrying until it works or the pod goes.
func (w *PodWorker) setup(ctx context.Context) bool {
	pod := w.Pod()
	for {
		sb, err := w.agent.net.CreateSandbox(string(pod.UID))
		if err == nil {
			w.mu.Lock()
			w.sandbox = sb
			w.hostsFile = filepath.Join(w.dir, "hosts")
			w.mu.Unlock()
			break
		}
		w.event(v1.EventTypeWarning, "FailedCreatePodSandBox", "network namespace: %v", err)
		if !w.sleep(3 * time.Second) {
			return false
		}
	}
	_ = os.WriteFile(w.hostsFile, []byte("127.0.0.1\tlocalhost\n"+w.PodIP()+"\t"+podHostname(pod)+"\n"), 0o644)
	w.agent.refreshHosts()
	w.agent.kickServices()
	w.setCond(v1.PodReadyToStartContainers, true, "")
	w.publish(ctx)
	for {
		err := w.prepareVolumes(ctx)
		if err == nil {
			return true
		}
		msg := err.Error()
		for _, r := range append(append([]*ContainerRunner{}, w.inits...), w.runners...) {
			r.setWaiting("CreateContainerConfigError", msg)
		}
		w.event(v1.EventTypeWarning, "FailedMount", "%s", msg)
		w.publish(ctx)
		if !w.sleep(3 * time.Second) {
			return false
		}
	}
}

func (w *PodWorker) runInits(ctx context.Context) {
	for _, r := range w.inits {
		r.loop(ctx) // returns when the init container succeeded, gave up, or the pod goes
		if w.deleting() {
			return
		}
		if !r.succeeded() {
			w.initFail = true
			w.publish(ctx)
			return
		}
		w.publish(ctx)
	}
	w.initDone = true
	w.publish(ctx)
}

func (w *PodWorker) stopAll(grace time.Duration) {
	var wg sync.WaitGroup
	for _, r := range append(append([]*ContainerRunner{}, w.inits...), w.runners...) {
		wg.Add(1)
		go func() { defer wg.Done(); r.stop(grace) }()
	}
	wg.Wait()
}

// teardown removes the network namespace (killing anything left in it) and the
// pod's volumes; logs stay for post-mortems until `down`.
func (w *PodWorker) teardown(removeVolumes bool) {
	w.mu.Lock()
	sb := w.sandbox
	w.sandbox = nil
	w.mu.Unlock()
	w.agent.net.DeleteSandbox(sb)
	if removeVolumes {
		_ = os.RemoveAll(filepath.Join(w.dir, "volumes"))
		_ = os.RemoveAll(filepath.Join(w.dir, "specs"))
	}
}

func (w *PodWorker) setCond(t v1.PodConditionType, ok bool, reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := v1.ConditionFalse
	if ok {
		st = v1.ConditionTrue
	}
	old, had := w.conds[t]
	if had && old.Status == st && old.Reason == reason {
		return
	}
	c := v1.PodCondition{Type: t, Status: st, Reason: reason, LastTransitionTime: metav1.Now()}
	if had && old.Status == st {
		c.LastTransitionTime = old.LastTransitionTime
	}
	w.conds[t] = c
}

// status computes the pod status from the runners.
func (w *PodWorker) status() v1.PodStatus {
	pod := w.Pod()
	var st v1.PodStatus
	st.QOSClass = pod.Status.QOSClass
	st.StartTime = &w.startTime
	st.HostIP = w.agent.cfg.BridgeIP.String()
	st.HostIPs = []v1.HostIP{{IP: st.HostIP}}
	if ip := w.PodIP(); ip != "" {
		st.PodIP = ip
		st.PodIPs = []v1.PodIP{{IP: ip}}
	}
	for _, r := range w.inits {
		st.InitContainerStatuses = append(st.InitContainerStatuses, r.Status())
	}
	allReady := len(w.runners) > 0
	anyRunning, anyStarted, allDone, anyFailed := false, false, true, false
	for _, r := range w.runners {
		cs := r.Status()
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.Ready {
			allReady = false
		}
		if cs.State.Running != nil {
			anyRunning = true
		}
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.RestartCount > 0 {
			anyStarted = true
		}
		if !r.isFinished() {
			allDone = false
		} else if cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0 {
			anyFailed = true
		}
	}
	switch {
	case w.initFail:
		st.Phase = v1.PodFailed
	case !w.initDone:
		st.Phase = v1.PodPending
	case allDone && len(w.runners) > 0:
		st.Phase = v1.PodSucceeded
		if anyFailed {
			st.Phase = v1.PodFailed
		}
	case anyRunning || anyStarted:
		st.Phase = v1.PodRunning
	default:
		st.Phase = v1.PodPending
	}
	initReason := ""
	if !w.initDone {
		initReason = "ContainersNotInitialized"
	}
	w.setCond(v1.PodInitialized, w.initDone, initReason)
	notReady := ""
	if !allReady {
		notReady = "ContainersNotReady"
	}
	if st.Phase == v1.PodSucceeded || st.Phase == v1.PodFailed {
		notReady = "PodCompleted"
		allReady = false
	}
	w.setCond(v1.ContainersReady, allReady, notReady)
	w.setCond(v1.PodReady, allReady, notReady)
	w.mu.Lock()
	for _, t := range []v1.PodConditionType{v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady} {
		if c, ok := w.conds[t]; ok {
			st.Conditions = append(st.Conditions, c)
		}
	}
	w.mu.Unlock()
	for _, c := range pod.Status.Conditions {
		if c.Type == v1.PodScheduled || c.Type == v1.DisruptionTarget {
			st.Conditions = append(st.Conditions, c)
		}
	}
	return st
}

// publish writes the status to the API server when it changed.
func (w *PodWorker) publish(ctx context.Context) {
	st := w.status()
	w.mu.Lock()
	same := w.published != nil && reflect.DeepEqual(*w.published, st)
	w.mu.Unlock()
	if same {
		return
	}
	pods := w.agent.client.CoreV1().Pods(w.Pod().Namespace)
	pod := w.Pod().DeepCopy()
	for attempt := 0; attempt < 5; attempt++ {
		pod.Status = st
		_, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if err == nil {
			w.mu.Lock()
			w.published = &st
			w.mu.Unlock()
			return
		}
		if apierrors.IsNotFound(err) {
			w.Gone()
			return
		}
		if !apierrors.IsConflict(err) {
			klog.Warningf("pod %s/%s: status: %v", pod.Namespace, pod.Name, err)
			return
		}
		fresh, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return
		}
		if fresh.UID != w.uid {
			w.Gone()
			return
		}
		pod = fresh
		for _, c := range fresh.Status.Conditions { // keep the scheduler's condition
			if c.Type == v1.PodScheduled {
				found := false
				for _, have := range st.Conditions {
					found = found || have.Type == v1.PodScheduled
				}
				if !found {
					st.Conditions = append(st.Conditions, c)
				}
			}
		}
	}
}

var _ = ptr.To[int]
