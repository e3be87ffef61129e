{{/* The chart name, overridable. */}}
{{- define "bitcoin-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects. When the release name already contains the chart name it
is used as is, so "helm install bitcoin-controller ." does not give "bitcoin-controller-bitcoin-controller".
*/}}
{{- define "bitcoin-controller.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bitcoin-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "bitcoin-controller.labels" -}}
helm.sh/chart: {{ include "bitcoin-controller.chart" . }}
{{ include "bitcoin-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubectl-bitcoin
{{- end }}

{{/* Labels that select the controller pods. The name label is what bitcoind NetworkPolicies allow. */}}
{{- define "bitcoin-controller.selectorLabels" -}}
app.kubernetes.io/name: bitcoin-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bitcoin-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bitcoin-controller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bitcoin-controller.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
