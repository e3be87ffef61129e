package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// handleExec serves the kubelet's /exec/{namespace}/{pod}/{container}?command=... for
// `kubectl exec` (the apiserver speaks SPDY to the kubelet). The command runs like an
// exec probe: in the container's network and mount namespaces, with its environment
// and user, through the image mapping. There is no TTY: -t gets plain pipes.
func (a *Agent) handleExec(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/exec/"), "/")
	if len(parts) != 3 {
		http.Error(w, "want /exec/NAMESPACE/POD/CONTAINER", http.StatusBadRequest)
		return
	}
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "no command", http.StatusBadRequest)
		return
	}
	remotecommand.ServeExec(w, r, execAdapter{a}, parts[0]+"/"+parts[1], "", parts[2], cmd, opts,
		4*time.Hour, 30*time.Second, remotecommandconsts.SupportedStreamingProtocols)
}

type execAdapter struct{ a *Agent }

func (e execAdapter) findRunner(nsName, container string) (*ContainerRunner, error) {
	ns, name, _ := strings.Cut(nsName, "/")
	e.a.mu.Lock()
	defer e.a.mu.Unlock()
	for _, w := range e.a.workers {
		p := w.Pod()
		if p.Namespace != ns || p.Name != name {
			continue
		}
		for _, r := range append(append([]*ContainerRunner{}, w.runners...), w.inits...) {
			if r.spec.Name == container {
				return r, nil
			}
		}
		return nil, fmt.Errorf("container %q not found in pod %s", container, nsName)
	}
	return nil, fmt.Errorf("pod %s not found on this node", nsName)
}

func (e execAdapter) ExecInContainer(ctx context.Context, name, _ string, container string, cmd []string,
	in io.Reader, out, stderr io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	if resize != nil {
		go func() {
			for range resize {
			}
		}()
	}
	r, err := e.findRunner(name, container)
	if err != nil {
		return err
	}
	r.mu.Lock()
	p, running := r.lastPrepared, r.cmd != nil
	r.mu.Unlock()
	if p == nil || !running {
		return fmt.Errorf("container %q is not running", container)
	}
	argv, _, err := p.img.Argv(cmd, nil, p.spec.Env)
	if err != nil {
		return err
	}
	spec := p.spec
	spec.Argv = argv
	spec.Notes = nil
	specName := fmt.Sprintf("exec-%s-%d", container, time.Now().UnixNano())
	defer os.Remove(filepath.Join(r.w.dir, "specs", specName+".json"))
	path, err := r.writeSpec(specName, spec)
	if err != nil {
		return err
	}
	c := exec.Command(e.a.cfg.Self, "container-init", path)
	if in != nil {
		c.Stdin = in
	}
	if out != nil {
		c.Stdout = out
	}
	if stderr != nil {
		c.Stderr = stderr
	} else if tty && out != nil {
		c.Stderr = out
	}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS}
	if err := c.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 {
			code = 137
		}
		return &utilexec.CodeExitError{Err: err, Code: code}
	}
	return err
}
