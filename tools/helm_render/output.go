// Turns rendered files into `helm template` output: documents split on "---", whitespace-only
// documents dropped, each parsed as YAML (a parse error names the template), sorted by Helm's
// install order of kinds (stable), hooks such as tests after the manifests, each document under a
// "# Source:" comment.
package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

var docSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// Helm's releaseutil.InstallOrder.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
}

type manifest struct {
	source  string
	content string
	kind    string
	hook    bool
}

type docHead struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

func splitManifests(source, rendered string) ([]manifest, error) {
	var out []manifest
	for _, d := range docSeparator.Split(rendered, -1) {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		var head docHead
		if err := yaml.Unmarshal([]byte(d), &head); err != nil {
			return nil, fmt.Errorf("YAML parse error on %s: %v", source, err)
		}
		if head.Kind == "" {
			return nil, fmt.Errorf("%s: a document without kind:\n%s", source, d)
		}
		_, hook := head.Metadata.Annotations["helm.sh/hook"]
		out = append(out, manifest{source: source, content: d, kind: head.Kind, hook: hook})
	}
	return out, nil
}

func kindRank(kind string) int {
	for i, k := range installOrder {
		if k == kind {
			return i
		}
	}
	return len(installOrder)
}

// formatManifests orders the documents and prints them as `helm template` does.
func formatManifests(ms []manifest) string {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].hook != ms[j].hook {
			return !ms[i].hook
		}
		ri, rj := kindRank(ms[i].kind), kindRank(ms[j].kind)
		if ri == rj && ri == len(installOrder) {
			return ms[i].kind < ms[j].kind
		}
		return ri < rj
	})
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	return b.String()
}
