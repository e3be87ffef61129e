package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	authv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Volumes live in <pod dir>/volumes/<name>; container-init bind-mounts them at
// their mountPath inside the pod's private mount namespace.

type fileSpec struct {
	path string
	data []byte
	mode os.FileMode
}

// prepareVolumes writes every volume of the pod. It is called before the first
// container starts and again periodically (token rotation, secret/configMap changes).
func (w *PodWorker) prepareVolumes(ctx context.Context) error {
	pod := w.Pod()
	for _, vol := range pod.Spec.Volumes {
		dir := filepath.Join(w.dir, "volumes", vol.Name)
		var files []fileSpec
		var err error
		switch {
		case vol.EmptyDir != nil:
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return err
			}
			_ = os.Chmod(dir, 0o777)
			continue
		case vol.HostPath != nil:
			continue // mounted straight from the host path
		case vol.Secret != nil:
			files, err = w.secretFiles(ctx, vol.Secret.SecretName, vol.Secret.Items, vol.Secret.Optional, vol.Secret.DefaultMode)
		case vol.ConfigMap != nil:
			files, err = w.configMapFiles(ctx, vol.ConfigMap.Name, vol.ConfigMap.Items, vol.ConfigMap.Optional, vol.ConfigMap.DefaultMode)
		case vol.DownwardAPI != nil:
			files, err = w.downwardFiles(vol.DownwardAPI.Items, vol.DownwardAPI.DefaultMode)
		case vol.Projected != nil:
			for _, src := range vol.Projected.Sources {
				var fs []fileSpec
				switch {
				case src.ServiceAccountToken != nil:
					fs, err = w.tokenFile(ctx, src.ServiceAccountToken, vol.Projected.DefaultMode)
				case src.ConfigMap != nil:
					fs, err = w.configMapFiles(ctx, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, vol.Projected.DefaultMode)
				case src.Secret != nil:
					fs, err = w.secretFiles(ctx, src.Secret.Name, src.Secret.Items, src.Secret.Optional, vol.Projected.DefaultMode)
				case src.DownwardAPI != nil:
					fs, err = w.downwardFiles(src.DownwardAPI.Items, vol.Projected.DefaultMode)
				}
				if err != nil {
					break
				}
				files = append(files, fs...)
			}
		default:
			return fmt.Errorf("volume %q: unsupported volume type (supported: emptyDir, hostPath, secret, configMap, downwardAPI, projected)", vol.Name)
		}
		if err != nil {
			return fmt.Errorf("volume %q: %w", vol.Name, err)
		}
		if err := writeFiles(dir, files); err != nil {
			return fmt.Errorf("volume %q: %w", vol.Name, err)
		}
	}
	return nil
}

// volumeSource is the host path that a volumeMount binds.
func (w *PodWorker) volumeSource(m v1.VolumeMount) (string, bool, error) {
	pod := w.Pod()
	for _, vol := range pod.Spec.Volumes {
		if vol.Name != m.Name {
			continue
		}
		src := filepath.Join(w.dir, "volumes", vol.Name)
		ro := m.ReadOnly
		if vol.HostPath != nil {
			src = vol.HostPath.Path
			if vol.HostPath.Type != nil && (*vol.HostPath.Type == v1.HostPathDirectoryOrCreate) {
				_ = os.MkdirAll(src, 0o755)
			}
		}
		if vol.Secret != nil || vol.ConfigMap != nil || vol.Projected != nil || vol.DownwardAPI != nil {
			ro = true
		}
		if m.SubPath != "" {
			src = filepath.Join(src, m.SubPath)
			if _, err := os.Stat(src); os.IsNotExist(err) {
				_ = os.MkdirAll(src, 0o777)
			}
		}
		return src, ro, nil
	}
	return "", false, fmt.Errorf("volumeMount %q names no volume of the pod", m.Name)
}

func mode(def *int32, item *int32) os.FileMode {
	if item != nil {
		return os.FileMode(*item)
	}
	if def != nil {
		return os.FileMode(*def)
	}
	return 0o644
}

func pick(data map[string][]byte, items []v1.KeyToPath, def *int32) ([]fileSpec, error) {
	var out []fileSpec
	if len(items) == 0 {
		for k, v := range data {
			out = append(out, fileSpec{k, v, mode(def, nil)})
		}
		return out, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return nil, fmt.Errorf("no key %q", it.Key)
		}
		out = append(out, fileSpec{it.Path, v, mode(def, it.Mode)})
	}
	return out, nil
}

func (w *PodWorker) secretFiles(ctx context.Context, name string, items []v1.KeyToPath, optional *bool, def *int32) ([]fileSpec, error) {
	s, err := w.agent.client.CoreV1().Secrets(w.Pod().Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) && optional != nil && *optional {
			return nil, nil
		}
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return pick(s.Data, items, def)
}

func (w *PodWorker) configMapFiles(ctx context.Context, name string, items []v1.KeyToPath, optional *bool, def *int32) ([]fileSpec, error) {
	cm, err := w.agent.client.CoreV1().ConfigMaps(w.Pod().Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) && optional != nil && *optional {
			return nil, nil
		}
		return nil, fmt.Errorf("configmap %q: %w", name, err)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return pick(data, items, def)
}

func (w *PodWorker) downwardFiles(items []v1.DownwardAPIVolumeFile, def *int32) ([]fileSpec, error) {
	var out []fileSpec
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = w.fieldValue(it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			var c *v1.Container
			for i := range w.Pod().Spec.Containers {
				if w.Pod().Spec.Containers[i].Name == it.ResourceFieldRef.ContainerName {
					c = &w.Pod().Spec.Containers[i]
				}
			}
			if c != nil {
				v = resourceValue(c, it.ResourceFieldRef)
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fileSpec{it.Path, []byte(v), mode(def, it.Mode)})
	}
	return out, nil
}

// tokenFile asks the TokenRequest API for a token bound to this pod, like the kubelet.
func (w *PodWorker) tokenFile(ctx context.Context, src *v1.ServiceAccountTokenProjection, def *int32) ([]fileSpec, error) {
	pod := w.Pod()
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	exp := int64(3600)
	if src.ExpirationSeconds != nil {
		exp = *src.ExpirationSeconds
	}
	tr := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
		ExpirationSeconds: ptr.To(exp),
		BoundObjectRef:    &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if src.Audience != "" {
		tr.Spec.Audiences = []string{src.Audience}
	}
	res, err := w.agent.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for service account %q: %w", sa, err)
	}
	m := mode(def, nil)
	if def == nil {
		m = 0o600
	}
	return []fileSpec{{src.Path, []byte(res.Status.Token), m}}, nil
}

// writeFiles makes dir hold exactly files, replacing each atomically (rename in the
// same directory, so a bind mount of dir sees the new content).
func writeFiles(dir string, files []fileSpec) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(dir, filepath.Clean("/"+f.path))
		want[p] = true
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if old, err := os.ReadFile(p); err == nil && string(old) == string(f.data) {
			_ = os.Chmod(p, f.mode)
			continue
		}
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, f.data, f.mode); err != nil {
			return err
		}
		_ = os.Chmod(tmp, f.mode)
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !want[p] && !strings.HasSuffix(p, ".tmp") {
			_ = os.Remove(p)
		}
		return nil
	})
	return nil
}
