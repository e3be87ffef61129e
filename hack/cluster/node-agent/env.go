package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildEnv computes a container's environment the way the kubelet does: the
// in-cluster service variables first, then envFrom, then env in order with $(VAR)
// expansion against what came before.
func (w *PodWorker) buildEnv(ctx context.Context, c *v1.Container, img *Image) ([]string, error) {
	pod := w.Pod()
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	path := defaultPath
	if len(img.PathDirs) > 0 {
		path = strings.Join(img.PathDirs, ":") + ":" + path
	}
	set("PATH", path)
	set("HOSTNAME", podHostname(pod))
	// HOME is set by container-init when the pod does not set it (it depends on the user).
	for k, v := range w.agent.serviceEnv(pod) {
		set(k, v)
	}

	for _, ef := range c.EnvFrom {
		var data map[string]string
		optional := false
		switch {
		case ef.ConfigMapRef != nil:
			optional = ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional
			cm, err := w.agent.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && optional {
					continue
				}
				return nil, fmt.Errorf("configmap %q: %w", ef.ConfigMapRef.Name, err)
			}
			data = cm.Data
		case ef.SecretRef != nil:
			optional = ef.SecretRef.Optional != nil && *ef.SecretRef.Optional
			s, err := w.agent.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && optional {
					continue
				}
				return nil, fmt.Errorf("secret %q: %w", ef.SecretRef.Name, err)
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(ef.Prefix+k, data[k])
		}
	}

	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, vars))
			continue
		}
		v, skip, err := w.valueFrom(ctx, c, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if !skip {
			set(e.Name, v)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out, nil
}

func (w *PodWorker) valueFrom(ctx context.Context, c *v1.Container, src *v1.EnvVarSource) (string, bool, error) {
	pod := w.Pod()
	switch {
	case src.FieldRef != nil:
		v, err := w.fieldValue(src.FieldRef.FieldPath)
		return v, false, err
	case src.ResourceFieldRef != nil:
		return resourceValue(c, src.ResourceFieldRef), false, nil
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		s, err := w.agent.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", true, nil
			}
			return "", false, fmt.Errorf("secret %q: %w", ref.Name, err)
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			if optional {
				return "", true, nil
			}
			return "", false, fmt.Errorf("secret %q has no key %q", ref.Name, ref.Key)
		}
		return string(v), false, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		optional := ref.Optional != nil && *ref.Optional
		cm, err := w.agent.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", true, nil
			}
			return "", false, fmt.Errorf("configmap %q: %w", ref.Name, err)
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			if optional {
				return "", true, nil
			}
			return "", false, fmt.Errorf("configmap %q has no key %q", ref.Name, ref.Key)
		}
		return v, false, nil
	}
	return "", true, nil
}

// fieldValue answers the downward API's fieldRef paths.
func (w *PodWorker) fieldValue(path string) (string, error) {
	pod := w.Pod()
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return w.PodIP(), nil
	case "status.hostIP", "status.hostIPs":
		return w.agent.cfg.BridgeIP.String(), nil
	case "metadata.labels", "metadata.annotations":
		m := pod.Labels
		if path == "metadata.annotations" {
			m = pod.Annotations
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%q\n", k, m[k])
		}
		return b.String(), nil
	}
	for _, p := range []struct {
		prefix string
		m      map[string]string
	}{{"metadata.labels['", pod.Labels}, {"metadata.annotations['", pod.Annotations}} {
		if strings.HasPrefix(path, p.prefix) && strings.HasSuffix(path, "']") {
			return p.m[strings.TrimSuffix(strings.TrimPrefix(path, p.prefix), "']")], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldRef %q", path)
}

func resourceValue(c *v1.Container, ref *v1.ResourceFieldSelector) string {
	var q resource.Quantity
	var ok bool
	switch ref.Resource {
	case "limits.cpu":
		q, ok = c.Resources.Limits[v1.ResourceCPU]
	case "limits.memory":
		q, ok = c.Resources.Limits[v1.ResourceMemory]
	case "requests.cpu":
		q, ok = c.Resources.Requests[v1.ResourceCPU]
	case "requests.memory":
		q, ok = c.Resources.Requests[v1.ResourceMemory]
	}
	if !ok {
		if strings.HasSuffix(ref.Resource, "cpu") {
			return "2"
		}
		return "0"
	}
	div := ref.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if strings.HasSuffix(ref.Resource, "cpu") {
		v := (q.MilliValue() + div.MilliValue() - 1) / div.MilliValue()
		return strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt((q.Value()+div.Value()-1)/div.Value(), 10)
}

// expand implements Kubernetes' $(VAR) syntax: $(VAR) is replaced when VAR is
// defined, left alone otherwise; $$ is an escaped $.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		if i := strings.IndexByte(e, '='); i >= 0 {
			m[e[:i]] = e[i+1:]
		}
	}
	return m
}

// serviceEnv gives the in-cluster variables: KUBERNETES_SERVICE_HOST/PORT point at the
// "kubernetes" ClusterIP when DNAT is on, otherwise straight at the apiserver on the
// bridge IP. Docker-link style variables for the namespace's services follow, as the
// kubelet does when enableServiceLinks is not false.
func (a *Agent) serviceEnv(pod *v1.Pod) map[string]string {
	host, port := a.cfg.KubernetesSvc.String(), "443"
	if !a.net.cfg.IPTables {
		host, port = a.cfg.BridgeIP.String(), strconv.Itoa(a.cfg.APIServerPort)
	}
	env := map[string]string{
		"KUBERNETES_SERVICE_HOST":       host,
		"KUBERNETES_SERVICE_PORT":       port,
		"KUBERNETES_SERVICE_PORT_HTTPS": port,
		"KUBERNETES_PORT":               "tcp://" + host + ":" + port,
		"KUBERNETES_PORT_443_TCP":       "tcp://" + host + ":" + port,
		"KUBERNETES_PORT_443_TCP_PROTO": "tcp",
		"KUBERNETES_PORT_443_TCP_PORT":  port,
		"KUBERNETES_PORT_443_TCP_ADDR":  host,
	}
	if pod.Spec.EnableServiceLinks != nil && !*pod.Spec.EnableServiceLinks || a.svcInformer == nil || !a.net.cfg.IPTables {
		return env
	}
	for _, o := range a.svcInformer.GetStore().List() {
		s := o.(*v1.Service)
		if s.Namespace != pod.Namespace || s.Spec.ClusterIP == "" || s.Spec.ClusterIP == v1.ClusterIPNone || len(s.Spec.Ports) == 0 {
			continue
		}
		name := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
		p0 := s.Spec.Ports[0]
		env[name+"_SERVICE_HOST"] = s.Spec.ClusterIP
		env[name+"_SERVICE_PORT"] = strconv.Itoa(int(p0.Port))
		for _, p := range s.Spec.Ports {
			proto := strings.ToLower(string(p.Protocol))
			if p.Name != "" {
				env[name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))] = strconv.Itoa(int(p.Port))
			}
			pre := fmt.Sprintf("%s_PORT_%d_%s", name, p.Port, strings.ToUpper(proto))
			env[pre] = fmt.Sprintf("%s://%s:%d", proto, s.Spec.ClusterIP, p.Port)
			env[pre+"_PROTO"] = proto
			env[pre+"_PORT"] = strconv.Itoa(int(p.Port))
			env[pre+"_ADDR"] = s.Spec.ClusterIP
		}
		env[name+"_PORT"] = fmt.Sprintf("%s://%s:%d", strings.ToLower(string(p0.Protocol)), s.Spec.ClusterIP, p0.Port)
	}
	return env
}
