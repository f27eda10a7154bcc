{{/* Labels of every object of the app of apps. */}}
{{- define "kindops-apps.labels" -}}
app.kubernetes.io/part-of: kindops-lab
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* This repository's URL: set by the root Application from its own source. */}}
{{- define "kindops-apps.repoURL" -}}
{{- required "repoURL is required: the root Application sets it to $ARGOCD_APP_SOURCE_REPO_URL" .Values.repoURL -}}
{{- end }}

{{/* This repository's revision: set by the root Application from its own source. */}}
{{- define "kindops-apps.targetRevision" -}}
{{- required "targetRevision is required: the root Application sets it to $ARGOCD_APP_SOURCE_TARGET_REVISION" .Values.targetRevision -}}
{{- end }}

{{/* A boolean option of an application that defaults to true when absent. */}}
{{- define "kindops-apps.true-unless" -}}
{{- if hasKey .app .key }}{{ get .app .key }}{{ else }}true{{ end -}}
{{- end }}
