{{/* Chart name, truncated to 63 characters (DNS label). */}}
{{- define "app-java.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, plus the chart name unless the release name
already contains it; truncated to 63 characters.
*/}}
{{- define "app-java.fullname" -}}
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

{{/* Chart name and version for the helm.sh/chart label. */}}
{{- define "app-java.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "app-java.labels" -}}
helm.sh/chart: {{ include "app-java.chart" . }}
{{ include "app-java.selectorLabels" . }}
app.kubernetes.io/version: {{ include "app-java.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kindops-lab
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels. */}}
{{- define "app-java.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app-java.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "app-java.serviceAccountName" -}}
{{- include "app-java.fullname" . }}
{{- end }}

{{/* Image tag: values or the chart's appVersion; `latest` is refused. */}}
{{- define "app-java.imageTag" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if eq $tag "latest" }}{{ fail "image.tag: `latest` is not allowed; pin a version" }}{{ end }}
{{- $tag }}
{{- end }}

{{/* Full image reference, with the digest when one is given. */}}
{{- define "app-java.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "app-java.imageTag" .) }}
{{- if .Values.image.digest }}{{ $ref = printf "%s@%s" $ref .Values.image.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/* The pod template (Rollout or Deployment). */}}
{{- define "app-java.podTemplate" -}}
metadata:
  labels:
    {{- include "app-java.labels" . | nindent 4 }}
    app.kubernetes.io/component: api
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "app-java.serviceAccountName" . }}
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  containers:
    - name: app
      image: {{ include "app-java.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      ports:
        - name: http
          containerPort: {{ .Values.port }}
          protocol: TCP
      env:
        - name: SERVER_PORT
          value: {{ .Values.port | quote }}
        - name: SHUTDOWN_TIMEOUT
          value: {{ .Values.shutdownTimeout | quote }}
        - name: DEPLOYMENT_ENVIRONMENT
          value: {{ .Values.environment | quote }}
        - name: JAVA_TOOL_OPTIONS
          value: {{ .Values.javaToolOptions | quote }}
        {{- with .Values.adminToken.existingSecret }}
        - name: ADMIN_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $.Values.adminToken.key }}
        {{- end }}
        - name: OTEL_SERVICE_NAME
          value: app-java
        - name: OTEL_EXPORTER_OTLP_ENDPOINT
          value: {{ .Values.otel.endpoint | quote }}
        - name: OTEL_EXPORTER_OTLP_PROTOCOL
          value: http/protobuf
        - name: OTEL_TRACES_SAMPLER
          value: {{ .Values.otel.tracesSampler | quote }}
        - name: OTEL_TRACES_SAMPLER_ARG
          value: {{ .Values.otel.tracesSamplerArg | quote }}
        - name: OTEL_METRIC_EXPORT_INTERVAL
          value: {{ .Values.otel.metricExportIntervalMs | quote }}
        - name: K8S_POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: K8S_NAMESPACE_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: OTEL_RESOURCE_ATTRIBUTES
          value: "k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME)"
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- range $kind, $p := .Values.probes }}
      {{ $kind }}Probe:
        httpGet:
          path: {{ $p.path }}
          port: http
        periodSeconds: {{ $p.periodSeconds }}
        failureThreshold: {{ $p.failureThreshold }}
        timeoutSeconds: {{ $p.timeoutSeconds }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}
