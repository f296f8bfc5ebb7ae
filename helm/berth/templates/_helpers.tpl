{{/* Name of the chart, overridable. */}}
{{- define "berth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, prefixed with the chart name unless it already holds it. */}}
{{- define "berth.fullname" -}}
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

{{/* Labels on every object. */}}
{{- define "berth.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "berth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: berth
{{- end }}

{{/* Labels the Deployment selects its Pods by (immutable once installed). */}}
{{- define "berth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* The ServiceAccount the controller runs as. */}}
{{- define "berth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "berth.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The controller image reference: repository:tag, tag defaulting to the chart's appVersion; a digest wins. */}}
{{- define "berth.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The URL agents dial, written next to every token: values.agentUrl, else the in-cluster Service. */}}
{{- define "berth.agentUrl" -}}
{{- if .Values.agentUrl }}
{{- .Values.agentUrl }}
{{- else }}
{{- printf "%s://%s.%s.svc:%v" (ternary "wss" "ws" (eq (include "berth.tlsEnabled" .) "true")) (include "berth.fullname" .) .Release.Namespace .Values.service.port }}
{{- end }}
{{- end }}

{{/* "true" when the controller serves TLS itself (a TLS Secret, or one cert-manager fills). */}}
{{- define "berth.tlsEnabled" -}}
{{- if or .Values.tls.secretName .Values.tls.certManager.enabled }}true{{ end }}
{{- end }}

{{/* The TLS Secret's name: values.tls.secretName, else <fullname>-tls for cert-manager. */}}
{{- define "berth.tlsSecretName" -}}
{{- .Values.tls.secretName | default (printf "%s-tls" (include "berth.fullname" .)) }}
{{- end }}

{{/* "true" when the controller watches every namespace (ClusterRole), "" when only values.watchNamespace. */}}
{{- define "berth.clusterWide" -}}
{{- if not .Values.watchNamespace }}true{{ end }}
{{- end }}
