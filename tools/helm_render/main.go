// helm_render: `helm template` without helm. Loads a chart directory, merges values files like
// `helm -f` (later wins), validates them against values.schema.json, renders every template with
// Go text/template + sprig and Helm's own functions, and prints multi-document YAML.
//
//	helm_render [--name R] [--namespace N] [--kube-version v1.29.0] [--api-versions X]...
//	            [-f values.yaml]... [--notes] [--skip-schema-validation] CHART_DIR
//
// Exit 1 with the error on stderr (schema violations list every field) when rendering fails.
package main

import (
	"flag"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/Masterminds/semver"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// The API versions of a stock cluster that charts commonly test with .Capabilities.APIVersions.Has.
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
	"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1",
}

func main() {
	var valueFiles, apiVersions listFlag
	name := flag.String("name", "release-name", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	kubeVersion := flag.String("kube-version", "v1.29.0", "Kubernetes version (.Capabilities.KubeVersion)")
	notes := flag.Bool("notes", false, "print the rendered templates/NOTES.txt instead of the manifests")
	skipSchema := flag.Bool("skip-schema-validation", false, "do not check values against values.schema.json (as helm's flag)")
	flag.Var(&valueFiles, "f", "values file (repeatable, later wins)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helm_render [flags] CHART_DIR")
		os.Exit(2)
	}
	out, err := run(flag.Arg(0), *name, *namespace, *kubeVersion, valueFiles, apiVersions, *notes, *skipSchema)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

func run(dir, name, namespace, kubeVersion string, valueFiles, apiVersions []string, notes, skipSchema bool) (string, error) {
	c, err := loadChart(dir)
	if err != nil {
		return "", err
	}
	vals := c.Values
	for _, f := range valueFiles {
		v, err := readValuesFile(f)
		if err != nil {
			return "", err
		}
		vals = mergeValues(vals, v)
	}
	if !skipSchema {
		if err := validateValues(c.Metadata.Name, c.Schema, vals); err != nil {
			return "", err
		}
	}
	kv := strings.TrimPrefix(kubeVersion, "v")
	parts := strings.SplitN(kv, ".", 3)
	if len(parts) < 2 {
		return "", fmt.Errorf("--kube-version %q: want vMAJOR.MINOR.PATCH", kubeVersion)
	}
	// Like helm: the chart's kubeVersion constraint must admit the target Kubernetes version.
	if c.Metadata.KubeVersion != "" {
		constraint, err := semver.NewConstraint(c.Metadata.KubeVersion)
		if err != nil {
			return "", fmt.Errorf("%s/Chart.yaml: kubeVersion %q: %v", dir, c.Metadata.KubeVersion, err)
		}
		v, err := semver.NewVersion(kv)
		if err != nil {
			return "", fmt.Errorf("--kube-version %q: %v", kubeVersion, err)
		}
		if !constraint.Check(v) {
			return "", fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s",
				c.Metadata.KubeVersion, kv)
		}
	}
	top := map[string]interface{}{
		"Values": vals,
		"Chart":  c.Metadata,
		"Files":  Files(c.Files),
		"Release": map[string]interface{}{
			"Name": name, "Namespace": namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": Capabilities{
			KubeVersion: KubeVersion{Version: "v" + kv, Major: parts[0], Minor: parts[1]},
			APIVersions: append(append(VersionSet{}, defaultAPIVersions...), apiVersions...),
		},
	}
	t, err := newTemplateSet(c)
	if err != nil {
		return "", err
	}
	if notes {
		if _, ok := c.Templates["templates/NOTES.txt"]; !ok {
			return "", fmt.Errorf("%s has no templates/NOTES.txt", dir)
		}
		return renderTemplate(t, c, "templates/NOTES.txt", top)
	}
	var all []manifest
	for _, tn := range sortedKeys(c.Templates) {
		base := path.Base(tn)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		rendered, err := renderTemplate(t, c, tn, top)
		if err != nil {
			return "", err
		}
		ms, err := splitManifests(path.Join(c.Metadata.Name, tn), rendered)
		if err != nil {
			return "", err
		}
		all = append(all, ms...)
	}
	return formatManifests(all), nil
}
