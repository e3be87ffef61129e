package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// ContainerRunner runs one container: start, probes, restarts with back-off, stop.
type ContainerRunner struct {
	w    *PodWorker
	spec v1.Container
	init bool

	mu        sync.Mutex
	status    v1.ContainerStatus
	cmd       *exec.Cmd
	exited    chan struct{}
	stopping  bool
	stopCh    chan struct{}
	finished  bool // will not run again
	loopDone  chan struct{}
	lastEvent string
	killedBy  string // "liveness" / "startup" when a probe killed the process

	lastPrepared *prepared // of the current run, for kubectl exec
}

func newRunner(w *PodWorker, c v1.Container, init bool) *ContainerRunner {
	r := &ContainerRunner{w: w, spec: c, init: init, stopCh: make(chan struct{}), loopDone: make(chan struct{})}
	r.status = v1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "",
		State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "ContainerCreating"}}}
	if init {
		r.status.State.Waiting.Reason = "PodInitializing"
	}
	return r
}

func (r *ContainerRunner) Status() v1.ContainerStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.State = *r.status.State.DeepCopy()
	s.LastTerminationState = *r.status.LastTerminationState.DeepCopy()
	s.Started = ptrBool(r.status.Started != nil && *r.status.Started)
	return s
}

func ptrBool(b bool) *bool { return &b }

func (r *ContainerRunner) isFinished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished
}

func (r *ContainerRunner) succeeded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status.State.Terminated != nil && r.status.State.Terminated.ExitCode == 0
}

func (r *ContainerRunner) setWaiting(reason, msg string) {
	r.mu.Lock()
	r.status.State = v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason, Message: msg}}
	r.status.Ready = false
	r.status.Started = ptrBool(false)
	r.mu.Unlock()
}

// eventOnce records an event unless the same one was the last for this container.
func (r *ContainerRunner) eventOnce(typ, reason, msg string) {
	r.mu.Lock()
	dup := r.lastEvent == reason+msg
	r.lastEvent = reason + msg
	r.mu.Unlock()
	if !dup {
		r.w.event(typ, reason, "%s", msg)
	}
}

func (r *ContainerRunner) stopRequested() bool {
	select {
	case <-r.stopCh:
		return true
	default:
		return false
	}
}

func (r *ContainerRunner) wait(d time.Duration) bool {
	select {
	case <-r.stopCh:
		return false
	case <-time.After(d):
		return !r.w.deleting()
	}
}

func (r *ContainerRunner) restartPolicy() v1.RestartPolicy {
	if r.init && r.spec.RestartPolicy != nil && *r.spec.RestartPolicy == v1.ContainerRestartPolicyAlways {
		return v1.RestartPolicyAlways // sidecar: treated as a plain init container here
	}
	p := r.w.Pod().Spec.RestartPolicy
	if r.init && p == v1.RestartPolicyAlways {
		return v1.RestartPolicyOnFailure
	}
	return p
}

func (r *ContainerRunner) loop(ctx context.Context) {
	defer close(r.loopDone)
	defer func() { r.mu.Lock(); r.finished = true; r.mu.Unlock(); r.w.kick() }()
	backoff := r.w.agent.cfg.BackoffBase
	for !r.stopRequested() && !r.w.deleting() {
		prepared, err := r.prepare(ctx)
		if err != nil {
			reason := "CreateContainerConfigError"
			var nm ErrImageNotMapped
			if errors.As(err, &nm) {
				reason = "ImageNotMapped"
			}
			r.setWaiting(reason, err.Error())
			r.eventOnce(v1.EventTypeWarning, "Failed", fmt.Sprintf("container %s: %s: %v", r.spec.Name, reason, err))
			r.w.kick()
			if !r.wait(5 * time.Second) {
				return
			}
			continue
		}
		started := time.Now()
		exitCode, reason, err := r.runOnce(ctx, prepared)
		if err != nil {
			r.setWaiting("RunContainerError", err.Error())
			r.eventOnce(v1.EventTypeWarning, "Failed", fmt.Sprintf("container %s: %v", r.spec.Name, err))
		}
		if r.stopRequested() || r.w.deleting() {
			return
		}
		restart := false
		switch r.restartPolicy() {
		case v1.RestartPolicyAlways:
			restart = true
		case v1.RestartPolicyOnFailure:
			restart = exitCode != 0 || err != nil
		}
		if !restart {
			return
		}
		if time.Since(started) > 2*r.w.agent.cfg.BackoffMax {
			backoff = r.w.agent.cfg.BackoffBase
		}
		r.mu.Lock()
		r.status.RestartCount++
		r.mu.Unlock()
		msg := fmt.Sprintf("back-off %s restarting failed container %s (exit %d, %s)", backoff, r.spec.Name, exitCode, reason)
		r.mu.Lock()
		if r.status.State.Terminated != nil {
			r.status.LastTerminationState = v1.ContainerState{Terminated: r.status.State.Terminated}
		}
		r.status.State = v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: msg}}
		r.mu.Unlock()
		r.w.event(v1.EventTypeWarning, "BackOff", "%s", msg)
		r.w.kick()
		if !r.wait(backoff) {
			return
		}
		backoff *= 2
		if backoff > r.w.agent.cfg.BackoffMax {
			backoff = r.w.agent.cfg.BackoffMax
		}
	}
}

type prepared struct {
	img  *Image
	spec InitSpec
}

// prepare resolves the image, environment, command and mounts of one run.
func (r *ContainerRunner) prepare(ctx context.Context) (*prepared, error) {
	img, err := r.w.agent.images.Resolve(r.spec.Image)
	if err != nil {
		return nil, err
	}
	env, err := r.w.buildEnv(ctx, &r.spec, img)
	if err != nil {
		return nil, err
	}
	vars := envMap(env)
	var command, args []string
	for _, c := range r.spec.Command {
		command = append(command, expand(c, vars))
	}
	for _, a := range r.spec.Args {
		args = append(args, expand(a, vars))
	}
	argv, notes, err := img.Argv(command, args, env)
	if err != nil {
		return nil, err
	}
	spec, err := r.initSpec(env, argv)
	if err != nil {
		return nil, err
	}
	spec.Notes = notes
	return &prepared{img: img, spec: spec}, nil
}

func (r *ContainerRunner) initSpec(env, argv []string) (InitSpec, error) {
	pod := r.w.Pod()
	sb := r.w.sandbox
	if sb == nil {
		return InitSpec{}, fmt.Errorf("no sandbox")
	}
	s := InitSpec{NetNS: sb.NetNSPath(), Hostname: podHostname(pod), Argv: argv, Env: env,
		WorkingDir: r.spec.WorkingDir, CreatedLog: filepath.Join(r.w.agent.cfg.StateDir, "created-paths")}
	for _, m := range r.spec.VolumeMounts {
		src, ro, err := r.w.volumeSource(m)
		if err != nil {
			return s, err
		}
		s.Mounts = append(s.Mounts, InitMount{Source: src, Target: m.MountPath, ReadOnly: ro})
	}
	if hf := r.w.HostsFile(); hf != "" {
		s.Mounts = append(s.Mounts, InitMount{Source: hf, Target: "/etc/hosts"})
	}
	// securityContext: container level wins over pod level.
	var psc = pod.Spec.SecurityContext
	var csc = r.spec.SecurityContext
	if psc != nil {
		s.UID, s.GID = psc.RunAsUser, psc.RunAsGroup
		s.Groups = append(s.Groups, psc.SupplementalGroups...)
		if psc.FSGroup != nil {
			s.Groups = append(s.Groups, *psc.FSGroup)
		}
	}
	if csc != nil {
		if csc.RunAsUser != nil {
			s.UID = csc.RunAsUser
		}
		if csc.RunAsGroup != nil {
			s.GID = csc.RunAsGroup
		}
	}
	if s.UID != nil && s.GID == nil {
		s.GID = s.UID
	}
	if s.UID != nil && *s.UID != 0 {
		// Volumes must be usable by the container's user (the kubelet does this with fsGroup).
		for _, m := range s.Mounts {
			if !m.ReadOnly && m.Target != "/etc/hosts" {
				_ = filepath.Walk(m.Source, func(p string, _ os.FileInfo, err error) error {
					if err == nil {
						_ = os.Lchown(p, int(*s.UID), int(*s.GID))
					}
					return nil
				})
			}
		}
	}
	return s, nil
}

func (w *PodWorker) kick() {
	select {
	case w.updated <- struct{}{}:
	default:
	}
}

func (r *ContainerRunner) logPath(restart int32) string {
	return filepath.Join(r.w.dir, "logs", r.spec.Name, strconv.Itoa(int(restart))+".log")
}

func (r *ContainerRunner) writeSpec(name string, s InitSpec) (string, error) {
	dir := filepath.Join(r.w.dir, "specs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	p := filepath.Join(dir, name+".json")
	b, _ := json.Marshal(s)
	return p, os.WriteFile(p, b, 0o600)
}

// startProcess starts container-init for spec; the process gets its own process
// group, mount and UTS namespaces.
func (r *ContainerRunner) startProcess(spec InitSpec, specName string, stdout *os.File) (*exec.Cmd, error) {
	path, err := r.writeSpec(specName, spec)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(r.w.agent.cfg.Self, "container-init", path)
	cmd.Stdout, cmd.Stderr = stdout, stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS}
	return cmd, cmd.Start()
}

// runOnce runs the container once and returns its exit code.
func (r *ContainerRunner) runOnce(ctx context.Context, p *prepared) (int32, string, error) {
	r.mu.Lock()
	restarts := r.status.RestartCount
	r.mu.Unlock()
	lp := r.logPath(restarts)
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
		return -1, "", err
	}
	logf, err := os.OpenFile(lp, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return -1, "", err
	}
	defer logf.Close()
	cmd, err := r.startProcess(p.spec, "container-"+r.spec.Name, logf)
	if err != nil {
		return -1, "", fmt.Errorf("start: %w", err)
	}
	exited := make(chan struct{})
	now := metav1.Now()
	pod := r.w.Pod()
	r.mu.Lock()
	r.cmd, r.exited, r.killedBy, r.lastPrepared = cmd, exited, "", p
	r.status.State = v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: now}}
	r.status.ContainerID = fmt.Sprintf("local://%s-%s-%d", string(pod.UID)[:8], r.spec.Name, restarts)
	r.status.ImageID = "local://" + p.spec.Argv[0]
	r.status.Ready = false
	r.status.Started = ptrBool(r.spec.StartupProbe == nil)
	r.mu.Unlock()
	klog.Infof("pod %s/%s: container %s started (pid %d): %v", pod.Namespace, pod.Name, r.spec.Name, cmd.Process.Pid, p.spec.Argv)
	if restarts == 0 {
		r.w.event(v1.EventTypeNormal, "Started", "Started container %s (%s, pid %d)", r.spec.Name, p.spec.Argv[0], cmd.Process.Pid)
	}
	r.w.kick()

	probeCtx, cancelProbes := context.WithCancel(ctx)
	if !r.init {
		go r.runProbes(probeCtx, p)
	}
	waitErr := cmd.Wait()
	close(exited)
	cancelProbes()
	// Whatever the main process left behind in its group goes with it.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	code := int32(0)
	reason := "Completed"
	var sig syscall.Signal
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			sig = ws.Signal()
			code = 128 + int32(sig)
		} else {
			code = int32(ws.ExitStatus())
		}
	} else if waitErr != nil {
		code = -1
	}
	if code != 0 {
		reason = "Error"
	}
	r.mu.Lock()
	if r.killedBy != "" {
		reason = "Error"
	}
	r.status.State = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{
		ExitCode: code, Signal: int32(sig), Reason: reason, StartedAt: now, FinishedAt: metav1.Now(),
		ContainerID: r.status.ContainerID,
	}}
	r.status.Ready = false
	r.status.Started = ptrBool(false)
	r.cmd = nil
	r.mu.Unlock()
	klog.Infof("pod %s/%s: container %s exited with %d", pod.Namespace, pod.Name, r.spec.Name, code)
	r.w.kick()
	return code, reason, nil
}

// kill sends SIGTERM to the container's process group and SIGKILL after grace.
func (r *ContainerRunner) kill(grace time.Duration) {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// stop ends the container for good (pod deletion or agent shutdown).
func (r *ContainerRunner) stop(grace time.Duration) {
	r.mu.Lock()
	if !r.stopping {
		r.stopping = true
		close(r.stopCh)
	}
	running := r.cmd != nil
	r.mu.Unlock()
	if running {
		r.w.event(v1.EventTypeNormal, "Killing", "Stopping container %s", r.spec.Name)
	}
	r.kill(grace)
}
