package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
)

// runProbes drives the startup, readiness and liveness probes of one container run.
// Exec probes run inside the pod (network and mount namespace, same env); tcpSocket
// and httpGet probes connect from the host to the pod IP.
func (r *ContainerRunner) runProbes(ctx context.Context, p *prepared) {
	if sp := r.spec.StartupProbe; sp != nil {
		if !r.probeLoop(ctx, p, "startup", sp, func(ok bool) bool { return !ok }) {
			return
		}
		r.mu.Lock()
		r.status.Started = ptrBool(true)
		r.mu.Unlock()
		r.w.kick()
	}
	if lp := r.spec.LivenessProbe; lp != nil {
		go r.probeLoop(ctx, p, "liveness", lp, func(bool) bool { return true })
	}
	if rp := r.spec.ReadinessProbe; rp != nil {
		r.probeLoop(ctx, p, "readiness", rp, func(bool) bool { return true })
		return
	}
	r.mu.Lock()
	r.status.Ready = r.cmd != nil
	r.mu.Unlock()
	r.w.kick()
}

// probeLoop runs a probe until ctx ends. For the startup probe it returns true on the
// first success (keepGoing returns false then); failure thresholds kill the container
// for startup and liveness probes, and flip Ready for readiness.
func (r *ContainerRunner) probeLoop(ctx context.Context, p *prepared, kind string, pr *v1.Probe, keepGoing func(bool) bool) bool {
	period := secs(pr.PeriodSeconds, 10)
	failThr := int(pr.FailureThreshold)
	if failThr <= 0 {
		failThr = 3
	}
	succThr := int(pr.SuccessThreshold)
	if succThr <= 0 {
		succThr = 1
	}
	if !sleepCtx(ctx, secs(pr.InitialDelaySeconds, 0)) {
		return false
	}
	fails, succs := 0, 0
	for {
		err := r.probe(ctx, p, &pr.ProbeHandler, secs(pr.TimeoutSeconds, 1))
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			fails, succs = 0, succs+1
			if kind == "readiness" && succs >= succThr {
				r.setReady(true)
			}
			if !keepGoing(true) {
				return true
			}
		} else {
			succs, fails = 0, fails+1
			klog.V(2).Infof("%s probe of %s failed: %v", kind, r.spec.Name, err)
			if fails == 1 || fails == failThr {
				r.eventOnce(v1.EventTypeWarning, "Unhealthy", fmt.Sprintf("%s probe failed: %v", capitalize(kind), err))
			}
			if fails >= failThr {
				switch kind {
				case "readiness":
					r.setReady(false)
				default:
					r.mu.Lock()
					r.killedBy = kind
					r.mu.Unlock()
					r.w.event(v1.EventTypeNormal, "Killing", "Container %s failed %s probe, will be restarted", r.spec.Name, kind)
					go r.kill(time.Duration(graceSeconds(r.w.Pod())) * time.Second)
					return false
				}
			}
		}
		if !sleepCtx(ctx, period) {
			return false
		}
	}
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func (r *ContainerRunner) setReady(ok bool) {
	r.mu.Lock()
	changed := r.status.Ready != ok
	r.status.Ready = ok && r.cmd != nil
	r.mu.Unlock()
	if changed {
		r.w.kick()
	}
}

func graceSeconds(pod *v1.Pod) int64 {
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return 30
}

func secs(v int32, def int) time.Duration {
	if v <= 0 {
		return time.Duration(def) * time.Second
	}
	return time.Duration(v) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (r *ContainerRunner) resolvePort(port intstr.IntOrString) (int, error) {
	if port.Type == intstr.Int {
		return port.IntValue(), nil
	}
	for _, c := range r.spec.Ports {
		if c.Name == port.StrVal {
			return int(c.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("no container port named %q", port.StrVal)
}

func (r *ContainerRunner) probe(ctx context.Context, p *prepared, h *v1.ProbeHandler, timeout time.Duration) error {
	ip := r.w.PodIP()
	switch {
	case h.Exec != nil:
		return r.execProbe(ctx, p, h.Exec.Command, timeout)
	case h.TCPSocket != nil:
		port, err := r.resolvePort(h.TCPSocket.Port)
		if err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(port)), timeout)
		if err != nil {
			return err
		}
		return c.Close()
	case h.HTTPGet != nil:
		port, err := r.resolvePort(h.HTTPGet.Port)
		if err != nil {
			return err
		}
		scheme := strings.ToLower(string(h.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		path := h.HTTPGet.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(ip, strconv.Itoa(port)), path), nil)
		if err != nil {
			return err
		}
		for _, hd := range h.HTTPGet.HTTPHeaders {
			req.Header.Add(hd.Name, hd.Value)
		}
		req.Header.Set("User-Agent", "kube-probe/local")
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return nil
	case h.GRPC != nil:
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(int(h.GRPC.Port))), timeout)
		if err != nil {
			return err
		}
		return c.Close()
	}
	return fmt.Errorf("probe has no handler")
}

// execProbe runs the command in the container's namespaces, with its env and mounts.
func (r *ContainerRunner) execProbe(ctx context.Context, p *prepared, command []string, timeout time.Duration) error {
	// Like the kubelet, exec probe commands expand $(VAR) only for env entries with a
	// literal value (not valueFrom secrets/configMaps/fields).
	vars := map[string]string{}
	for _, e := range r.spec.Env {
		if e.ValueFrom == nil {
			vars[e.Name] = e.Value
		}
	}
	var cmdline []string
	for _, c := range command {
		cmdline = append(cmdline, expand(c, vars))
	}
	argv, _, err := p.img.Argv(cmdline, nil, p.spec.Env)
	if err != nil {
		return err
	}
	spec := p.spec
	spec.Argv = argv
	spec.Notes = nil
	out, err := os.CreateTemp("", "probe-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	specName := fmt.Sprintf("probe-%s-%d", r.spec.Name, time.Now().UnixNano())
	defer os.Remove(filepath.Join(r.w.dir, "specs", specName+".json"))
	cmd, err := r.startProcess(spec, specName, out)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("command %v timed out after %s", command, timeout)
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return ctx.Err()
	}
	if err != nil {
		b, _ := os.ReadFile(out.Name())
		msg := strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("command %v: %v: %s", command, err, msg)
	}
	return nil
}
