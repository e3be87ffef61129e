// Oracle: renders a template the way Helm's engine does (text/template + sprig + helm funcs).
// usage: oracle TEMPLATE_FILE [VALUES_YAML_FILE]
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"
)

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}
func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}
func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}
func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func setMode() bool {
	if len(os.Args) < 3 || !strings.HasPrefix(os.Args[1], "--set") {
		return false
	}
	base := map[string]interface{}{}
	var err error
	for _, expr := range os.Args[2:] {
		switch os.Args[1] {
		case "--set":
			err = strvals.ParseInto(expr, base)
		case "--set-string":
			err = strvals.ParseIntoString(expr, base)
		case "--set-json":
			err = strvals.ParseJSON(expr, base)
		}
		if err != nil {
			fmt.Printf("ERROR: %v\n", err)
			return true
		}
	}
	out, _ := json.Marshal(base)
	fmt.Printf("%s %s\n", out, typesOf(base))
	return true
}

func typesOf(v interface{}) string {
	switch x := v.(type) {
	case map[string]interface{}:
		keys := make([]string, 0)
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s := "{"
		for _, k := range keys {
			s += k + ":" + typesOf(x[k]) + " "
		}
		return s + "}"
	case []interface{}:
		s := "["
		for _, e := range x {
			s += typesOf(e) + " "
		}
		return s + "]"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func main() {
	if setMode() {
		return
	}
	src, _ := os.ReadFile(os.Args[1])
	vals := map[string]interface{}{}
	if len(os.Args) > 2 {
		b, _ := os.ReadFile(os.Args[2])
		yaml.Unmarshal(b, &vals)
	}
	t := template.New("gotpl")
	t.Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(tpl string, data interface{}) (string, error) {
		c, _ := t.Clone()
		c.Option("missingkey=zero")
		c, err := c.New(t.Name()).Parse(tpl)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", tpl, err)
		}
		var buf strings.Builder
		if err := c.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, fmt.Errorf("%s", warn)
		} else if _, ok := val.(string); ok {
			if val == "" {
				return val, fmt.Errorf("%s", warn)
			}
		}
		return val, nil
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	t.Funcs(funcs)
	name := "test.tpl"
	if _, err := t.New(name).Parse(string(src)); err != nil {
		fmt.Printf("PARSE ERROR: %v\n", err)
		return
	}
	top := map[string]interface{}{
		"Values":  vals,
		"Release": map[string]interface{}{"Name": "rel", "Namespace": "ns", "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Chart":   map[string]interface{}{"Name": "mychart", "Version": "0.1.0", "AppVersion": "1.0"},
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, top); err != nil {
		fmt.Printf("EXEC ERROR: %v\n", err)
		return
	}
	fmt.Print(strings.ReplaceAll(buf.String(), "<no value>", ""))
}
