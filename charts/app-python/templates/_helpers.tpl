{{/* Chart name, truncated to 63 characters (DNS label). */}}
{{- define "app-python.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, plus the chart name unless the release name
already contains it; truncated to 63 characters.
*/}}
{{- define "app-python.fullname" -}}
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
{{- define "app-python.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "app-python.labels" -}}
helm.sh/chart: {{ include "app-python.chart" . }}
{{ include "app-python.selectorLabels" . }}
app.kubernetes.io/version: {{ include "app-python.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kindops-lab
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels (name + instance); components add app.kubernetes.io/component. */}}
{{- define "app-python.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app-python.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* API component selector labels. */}}
{{- define "app-python.apiSelectorLabels" -}}
{{ include "app-python.selectorLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{/* Worker component selector labels. */}}
{{- define "app-python.workerSelectorLabels" -}}
{{ include "app-python.selectorLabels" . }}
app.kubernetes.io/component: worker
{{- end }}

{{/* ServiceAccount names. */}}
{{- define "app-python.serviceAccountName" -}}
{{- include "app-python.fullname" . }}
{{- end }}
{{- define "app-python.workerServiceAccountName" -}}
{{- printf "%s-worker" (include "app-python.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Image tag: values or the chart's appVersion; `latest` is refused. */}}
{{- define "app-python.imageTag" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if eq $tag "latest" }}{{ fail "image.tag: `latest` is not allowed; pin a version" }}{{ end }}
{{- $tag }}
{{- end }}

{{/* Full image reference, with the digest when one is given. */}}
{{- define "app-python.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "app-python.imageTag" .) }}
{{- if .Values.image.digest }}{{ $ref = printf "%s@%s" $ref .Values.image.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/* Environment shared by the API and the worker. Argument: dict "ctx" . "service" name. */}}
{{- define "app-python.commonEnv" -}}
{{- $ := .ctx }}
- name: DEPLOYMENT_ENVIRONMENT
  value: {{ $.Values.environment | quote }}
- name: AWS_REGION
  value: {{ $.Values.aws.region | quote }}
{{- with $.Values.aws.endpointUrl }}
- name: AWS_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
- name: ORDERS_QUEUE_NAME
  value: {{ $.Values.aws.queueName | quote }}
- name: ORDERS_DLQ_NAME
  value: {{ $.Values.aws.dlqName | quote }}
- name: ORDERS_TABLE_NAME
  value: {{ $.Values.aws.tableName | quote }}
{{- with $.Values.adminToken.existingSecret }}
- name: ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.adminToken.key }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $.Values.otel.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: http/protobuf
- name: OTEL_TRACES_SAMPLER
  value: {{ $.Values.otel.tracesSampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $.Values.otel.tracesSamplerArg | quote }}
- name: OTEL_METRIC_EXPORT_INTERVAL
  value: {{ $.Values.otel.metricExportIntervalMs | quote }}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "service.version={{ include "app-python.imageTag" $ }},k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME)"
{{- end }}

{{/* The API pod template (Rollout or Deployment). */}}
{{- define "app-python.apiPodTemplate" -}}
metadata:
  labels:
    {{- include "app-python.labels" . | nindent 4 }}
    app.kubernetes.io/component: api
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "app-python.serviceAccountName" . }}
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.api.terminationGracePeriodSeconds }}
  containers:
    - name: api
      image: {{ include "app-python.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: ["orders-api"]
      ports:
        - name: http
          containerPort: {{ .Values.api.port }}
          protocol: TCP
      env:
        - name: API_HOST
          value: "0.0.0.0"
        - name: API_PORT
          value: {{ .Values.api.port | quote }}
        {{- include "app-python.commonEnv" (dict "ctx" . "service" "app-python") | nindent 8 }}
        {{- with .Values.api.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .Values.aws.credentialsSecret }}
      envFrom:
        - secretRef:
            name: {{ . }}
      {{- end }}
      {{- range $kind, $p := .Values.api.probes }}
      {{ $kind }}Probe:
        httpGet:
          path: {{ $p.path }}
          port: http
        periodSeconds: {{ $p.periodSeconds }}
        failureThreshold: {{ $p.failureThreshold }}
        timeoutSeconds: {{ $p.timeoutSeconds }}
      {{- end }}
      resources:
        {{- toYaml .Values.api.resources | nindent 8 }}
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
