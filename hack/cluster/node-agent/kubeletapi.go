package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/klog/v2"
)

// serveKubeletAPI answers the part of the kubelet API the apiserver uses for
// `kubectl logs` (pods/log): GET /containerLogs/{ns}/{pod}/{container} with follow,
// previous, tailLines and limitBytes. Only clients with a certificate from the
// cluster CA (the apiserver's kubelet client certificate) are served.
func (a *Agent) serveKubeletAPI(ctx context.Context) {
	if a.cfg.KubeletCert == "" || a.cfg.KubeletKey == "" {
		klog.Warning("no --kubelet-cert/--kubelet-key: kubectl logs through the API server is off")
		return
	}
	cert, err := tls.LoadX509KeyPair(a.cfg.KubeletCert, a.cfg.KubeletKey)
	if err != nil {
		klog.Errorf("kubelet API: %v", err)
		return
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if a.cfg.ClientCA != "" {
		pem, err := os.ReadFile(a.cfg.ClientCA)
		if err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			tlsCfg.ClientCAs = pool
			tlsCfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/containerLogs/", a.handleLogs)
	mux.HandleFunc("/exec/", a.handleExec)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the local-cluster node agent serves only /containerLogs and /exec (no attach, port-forward)", http.StatusNotImplemented)
	})
	addr := net.JoinHostPort(a.cfg.BridgeIP.String(), strconv.Itoa(a.cfg.KubeletPort))
	srv := &http.Server{Addr: addr, Handler: mux, TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.ListenAndServeTLS("", ""); err != nil && ctx.Err() == nil {
		klog.Errorf("kubelet API on %s: %v", addr, err)
	}
}

// findLogDir returns the newest pod directory for namespace/name.
func findPodDir(stateDir, ns, name string) string {
	matches, _ := filepath.Glob(filepath.Join(stateDir, "pods", ns+"_"+name+"_*"))
	newest, newestT := "", time.Time{}
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.ModTime().After(newestT) {
			newest, newestT = m, st.ModTime()
		}
	}
	return newest
}

// logRuns lists a container's log files, oldest first.
func logRuns(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	sort.Slice(files, func(i, j int) bool {
		ni, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(files[i]), ".log"))
		nj, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(files[j]), ".log"))
		return ni < nj
	})
	return files
}

func (a *Agent) handleLogs(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if len(parts) != 3 {
		http.Error(w, "want /containerLogs/NAMESPACE/POD/CONTAINER", http.StatusBadRequest)
		return
	}
	ns, pod, container := parts[0], parts[1], parts[2]
	dir := findPodDir(a.cfg.StateDir, ns, pod)
	if dir == "" {
		http.Error(w, fmt.Sprintf("pod %s/%s has no logs on this node", ns, pod), http.StatusNotFound)
		return
	}
	runs := logRuns(filepath.Join(dir, "logs", container))
	if len(runs) == 0 {
		http.Error(w, fmt.Sprintf("container %q in pod %s/%s has no logs", container, ns, pod), http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	file := runs[len(runs)-1]
	if q.Get("previous") == "true" {
		if len(runs) < 2 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod), http.StatusBadRequest)
			return
		}
		file = runs[len(runs)-2]
	}
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 {
		b, _ := io.ReadAll(f)
		lines := strings.SplitAfter(string(b), "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		off := int64(len(b))
		io.WriteString(w, strings.Join(lines, ""))
		f.Seek(off, io.SeekStart)
	} else {
		var src io.Reader = f
		if n, err := strconv.ParseInt(q.Get("limitBytes"), 10, 64); err == nil && n > 0 {
			src = io.LimitReader(f, n)
		}
		io.Copy(w, src)
	}
	if q.Get("follow") != "true" {
		return
	}
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		if fl != nil {
			fl.Flush()
		}
		n, _ := f.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(300 * time.Millisecond):
		}
		// A newer run or a deleted pod ends the stream, like the kubelet.
		if latest := logRuns(filepath.Join(dir, "logs", container)); len(latest) == 0 || latest[len(latest)-1] != file {
			return
		}
		if _, err := os.Stat(filepath.Join(dir, "volumes")); os.IsNotExist(err) {
			if _, err := os.Stat(filepath.Join(dir, "specs")); os.IsNotExist(err) {
				return
			}
		}
	}
}
