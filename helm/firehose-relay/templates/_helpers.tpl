{{/* Names, labels and derived settings shared by every template of the chart. */}}

{{/* The chart name, or nameOverride. */}}
{{- define "firehose-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name of every object (63 chars: the DNS label limit). */}}
{{- define "firehose-relay.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "firehose-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the relay's pods: stable across upgrades. */}}
{{- define "firehose-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "firehose-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The standard app.kubernetes.io labels on every object. */}}
{{- define "firehose-relay.labels" -}}
helm.sh/chart: {{ include "firehose-relay.chart" . }}
{{ include "firehose-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: relay
app.kubernetes.io/part-of: firehose
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "firehose-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "firehose-relay.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "firehose-relay.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Where each referenced Secret is mounted. The config file names these paths, the Deployment
mounts the Secrets there: one definition keeps the two in step.
*/}}
{{- define "firehose-relay.paths" -}}
config: /etc/firehose-relay
serverTls: /etc/firehose-relay/tls
clientCa: /etc/firehose-relay/client-ca
upstreamCa: /etc/firehose-relay/upstream/ca
upstreamTls: /etc/firehose-relay/upstream/tls
upstreamToken: /etc/firehose-relay/upstream/token
subscriberTokens: /etc/firehose-relay/tokens
{{- end -}}

{{/*
The port of the relay's plaintext health-only listener (health.listen), or "" when there is none.
Only with server TLS: a plaintext Subscribe port answers the kubelet's gRPC probes itself.
*/}}
{{- define "firehose-relay.healthPort" -}}
{{- $ports := .Values.ports -}}
{{- if and .Values.tls.server.secretName $ports.health -}}
{{- if or (eq (int $ports.health) (int $ports.grpc)) (eq (int $ports.health) (int $ports.metrics)) -}}
{{- fail (printf "ports.health (%d) must differ from ports.grpc (%d) and ports.metrics (%d)" (int $ports.health) (int $ports.grpc) (int $ports.metrics)) -}}
{{- end -}}
{{- int $ports.health -}}
{{- end -}}
{{- end -}}

{{/*
relay.yaml (the relay's config contract) as a dict: the values' relay sections plus what the chart
owns (listen addresses from ports, TLS and token files from the mounted Secrets).
*/}}
{{- define "firehose-relay.config" -}}
{{- $p := include "firehose-relay.paths" . | fromYaml -}}
{{- $r := .Values.relay -}}
{{- $pairs := list -}}
{{- range $i, $pair := (required "relay.upstream.pairs is required: at least one {name, nodes} pair of ingest nodes to follow" $r.upstream.pairs) -}}
{{- $name := required (printf "relay.upstream.pairs[%d].name is required" $i) $pair.name -}}
{{- $nodes := required (printf "relay.upstream.pairs[%d].nodes is required" $i) $pair.nodes -}}
{{- $pairs = append $pairs (dict "name" $name "nodes" $nodes) -}}
{{- end -}}
{{- if not $pairs -}}
{{- fail "relay.upstream.pairs is required: at least one {name, nodes} pair of ingest nodes to follow" -}}
{{- end -}}
{{- $grpc := deepCopy (default dict $r.grpc) -}}
{{- $_ := set $grpc "listen" (printf "0.0.0.0:%d" (int .Values.ports.grpc)) -}}
{{- $server := .Values.tls.server -}}
{{- if $server.secretName -}}
{{- $tls := dict "cert" (printf "%s/tls.crt" $p.serverTls) "key" (printf "%s/tls.key" $p.serverTls) -}}
{{- if $server.clientCASecretName -}}
{{- $_ := set $tls "client_ca" (printf "%s/ca.crt" $p.clientCa) -}}
{{- end -}}
{{- $_ := set $grpc "tls" $tls -}}
{{- else -}}
{{- /* Plaintext off loopback needs insecure: true (same rule as ingestd). */ -}}
{{- $_ := set $grpc "insecure" true -}}
{{- end -}}
{{- if .Values.subscriberTokens.tokens -}}
{{- $tokens := list -}}
{{- range .Values.subscriberTokens.tokens -}}
{{- $t := dict "name" .name "token_file" (printf "%s/%s" $p.subscriberTokens .key) -}}
{{- if .kinds -}}{{- $_ := set $t "kinds" .kinds -}}{{- end -}}
{{- $tokens = append $tokens $t -}}
{{- end -}}
{{- $_ := set $grpc "tokens" $tokens -}}
{{- end -}}
{{- $up := dict "pairs" $pairs -}}
{{- range $k := list "reconnect_backoff_ms" "idle_timeout_ms" -}}
{{- if hasKey $r.upstream $k -}}{{- $_ := set $up $k (get $r.upstream $k) -}}{{- end -}}
{{- end -}}
{{- $ut := .Values.tls.upstream -}}
{{- if $ut.caSecretName -}}
{{- $tls := dict "ca" (printf "%s/ca.crt" $p.upstreamCa) -}}
{{- if $ut.clientSecretName -}}
{{- $_ := set $tls "cert" (printf "%s/tls.crt" $p.upstreamTls) -}}
{{- $_ := set $tls "key" (printf "%s/tls.key" $p.upstreamTls) -}}
{{- end -}}
{{- if $ut.serverName -}}{{- $_ := set $tls "server_name" $ut.serverName -}}{{- end -}}
{{- $_ := set $up "tls" $tls -}}
{{- end -}}
{{- if .Values.upstreamToken.secretName -}}
{{- $_ := set $up "token_file" (printf "%s/%s" $p.upstreamToken .Values.upstreamToken.key) -}}
{{- end -}}
{{- $cfg := dict "relay_id" (default (include "firehose-relay.fullname" .) $r.id) "grpc" $grpc "upstream" $up -}}
{{- $_ := set $cfg "metrics" (dict "listen" (printf "0.0.0.0:%d" (int .Values.ports.metrics))) -}}
{{- with include "firehose-relay.healthPort" . -}}
{{- $_ := set $cfg "health" (dict "listen" (printf "0.0.0.0:%s" .)) -}}
{{- end -}}
{{- if $r.statsd_metrics -}}{{- $_ := set $cfg "statsd_metrics" $r.statsd_metrics -}}{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
