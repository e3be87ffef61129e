package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// InitSpec is what container-init needs to turn itself into a container's process.
// The agent starts "node-agent container-init SPEC.json" in fresh mount and UTS
// namespaces; container-init joins the pod's network namespace, bind-mounts the
// volumes, sets the hostname, user and working directory, and execs the program, so
// the container's main process keeps the PID the agent started.
type InitSpec struct {
	NetNS      string      `json:"netns"`
	Hostname   string      `json:"hostname"`
	Mounts     []InitMount `json:"mounts"`
	Argv       []string    `json:"argv"`
	Env        []string    `json:"env"`
	WorkingDir string      `json:"workingDir"`
	UID        *int64      `json:"uid,omitempty"`
	GID        *int64      `json:"gid,omitempty"`
	Groups     []int64     `json:"groups,omitempty"`
	CreatedLog string      `json:"createdLog"` // host paths created as mount points are appended here
	Notes      []string    `json:"notes,omitempty"`
}

type InitMount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly"`
}

func containerInit(args []string) {
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "container-init: "+format+"\n", a...)
		os.Exit(127)
	}
	if len(args) != 1 {
		fail("usage: container-init SPEC.json")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		fail("%v", err)
	}
	var s InitSpec
	if err := json.Unmarshal(b, &s); err != nil {
		fail("%v", err)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(os.Stderr, "[node-agent] %s\n", n)
	}
	if s.NetNS != "" {
		fd, err := unix.Open(s.NetNS, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			fail("open netns %s: %v", s.NetNS, err)
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			fail("setns %s: %v", s.NetNS, err)
		}
		unix.Close(fd)
	}
	// Our mount namespace was created by the agent (CLONE_NEWNS); make sure nothing we
	// mount propagates back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fail("make / private: %v", err)
	}
	for _, m := range s.Mounts {
		st, err := os.Stat(m.Source)
		if err != nil {
			fail("mount source %s: %v", m.Source, err)
		}
		if err := ensureMountPoint(m.Target, st.IsDir(), s.CreatedLog); err != nil {
			fail("mount point %s: %v", m.Target, err)
		}
		if err := unix.Mount(m.Source, m.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			fail("bind %s on %s: %v", m.Source, m.Target, err)
		}
		if m.ReadOnly {
			if err := unix.Mount("", m.Target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC, ""); err != nil {
				fail("read-only %s: %v", m.Target, err)
			}
		}
	}
	if s.UID != nil && *s.UID != 0 {
		exposeExecutables(&s)
	}
	setHome(&s)
	if s.Hostname != "" {
		_ = unix.Sethostname([]byte(s.Hostname))
	}
	if s.WorkingDir != "" {
		if err := ensureMountPoint(s.WorkingDir, true, s.CreatedLog); err != nil {
			fail("workingDir %s: %v", s.WorkingDir, err)
		}
		if err := os.Chdir(s.WorkingDir); err != nil {
			fail("workingDir %s: %v", s.WorkingDir, err)
		}
	}
	if s.GID != nil || s.UID != nil {
		groups := make([]int, 0, len(s.Groups))
		for _, g := range s.Groups {
			groups = append(groups, int(g))
		}
		if err := syscall.Setgroups(groups); err != nil {
			fail("setgroups: %v", err)
		}
		if s.GID != nil {
			if err := syscall.Setgid(int(*s.GID)); err != nil {
				fail("setgid %d: %v", *s.GID, err)
			}
		}
		if s.UID != nil {
			if err := syscall.Setuid(int(*s.UID)); err != nil {
				fail("setuid %d: %v", *s.UID, err)
			}
		}
	}
	err = syscall.Exec(s.Argv[0], s.Argv, s.Env)
	fail("exec %s: %v", s.Argv[0], err)
}

// ensureMountPoint creates a missing mount point on the host file system (the mount
// namespace is private, the file system is not) and records what it created, so that
// hack/local-cluster.sh down can remove the empty directories again.
func ensureMountPoint(target string, dir bool, createdLog string) error {
	if _, err := os.Stat(target); err == nil {
		return nil
	}
	// Find the first missing ancestor: that is what we create and later remove.
	first := target
	for p := target; p != "/"; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		first = p
	}
	var err error
	if dir {
		err = os.MkdirAll(target, 0o755)
	} else {
		if err = os.MkdirAll(filepath.Dir(target), 0o755); err == nil {
			var f *os.File
			if f, err = os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				f.Close()
			}
		}
	}
	if err != nil {
		return err
	}
	if createdLog != "" {
		if f, err := os.OpenFile(createdLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, first)
			f.Close()
		}
	}
	return nil
}

// exposeExecutables makes the mapped executables reachable for a non-root container
// user: the cache lives under root's home (mode 0700), so a directory on the way to
// argv[0] or a PATH entry the user cannot traverse is bind-mounted (in this private
// mount namespace) at /tmp/.kbc-exec/<hash>, and argv[0] and PATH are rewritten.
// A "bin" directory is exposed with its parent, so bin/../libexec keeps working.
func exposeExecutables(s *InitSpec) {
	uid, gid := *s.UID, int64(0)
	if s.GID != nil {
		gid = *s.GID
	}
	path := ""
	pathIdx := -1
	for i, e := range s.Env {
		if strings.HasPrefix(e, "PATH=") {
			path, pathIdx = e[5:], i
		}
	}
	dirs := []string{filepath.Dir(s.Argv[0])}
	dirs = append(dirs, filepath.SplitList(path)...)
	moved := map[string]string{}
	for _, d := range dirs {
		if d == "" || reachable(d, uid, gid, s.Groups) {
			continue
		}
		src := d
		if filepath.Base(d) == "bin" {
			src = filepath.Dir(d)
		}
		if _, done := moved[src]; done {
			continue
		}
		if _, err := os.Stat(src); err != nil {
			continue
		}
		h := sha256.Sum256([]byte(src))
		target := filepath.Join("/tmp/.kbc-exec", hex.EncodeToString(h[:])[:12])
		if err := ensureMountPoint(target, true, s.CreatedLog); err != nil {
			continue
		}
		_ = os.Chmod("/tmp/.kbc-exec", 0o755)
		if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			continue
		}
		moved[src] = target
	}
	rewrite := func(p string) string {
		for src, target := range moved {
			if p == src || strings.HasPrefix(p, src+"/") {
				return target + strings.TrimPrefix(p, src)
			}
		}
		return p
	}
	s.Argv[0] = rewrite(s.Argv[0])
	if pathIdx >= 0 {
		parts := filepath.SplitList(path)
		for i := range parts {
			parts[i] = rewrite(parts[i])
		}
		s.Env[pathIdx] = "PATH=" + strings.Join(parts, ":")
	}
}

// reachable: every directory from / to dir is searchable (x) for uid/gid/groups.
func reachable(dir string, uid, gid int64, groups []int64) bool {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			return true // missing: nothing to expose
		}
		mode := st.Mode & 0o777
		ok := false
		switch {
		case int64(st.Uid) == uid:
			ok = mode&0o100 != 0
		case int64(st.Gid) == gid || containsInt64(groups, int64(st.Gid)):
			ok = mode&0o010 != 0
		default:
			ok = mode&0o001 != 0
		}
		if !ok {
			return false
		}
		if p == "/" {
			return true
		}
	}
}

func containsInt64(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// setHome gives the container a HOME when the pod sets none: /root for root, else a
// directory the user owns, /tmp/.kbc-home/<uid> (removed by down when empty), since
// programs like bitcoin-cli create files there.
func setHome(s *InitSpec) {
	for _, e := range s.Env {
		if strings.HasPrefix(e, "HOME=") {
			return
		}
	}
	home := "/root"
	if s.UID != nil && *s.UID != 0 {
		home = fmt.Sprintf("/tmp/.kbc-home/%d", *s.UID)
		if err := ensureMountPoint(home, true, s.CreatedLog); err == nil {
			gid := *s.UID
			if s.GID != nil {
				gid = *s.GID
			}
			_ = os.Chmod("/tmp/.kbc-home", 0o755)
			_ = os.Chown(home, int(*s.UID), int(gid))
			_ = os.Chmod(home, 0o700)
		}
	}
	s.Env = append(s.Env, "HOME="+home)
}
