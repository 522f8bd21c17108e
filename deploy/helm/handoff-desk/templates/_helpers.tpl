{{/* The Secret with every password and token: required, so a missing one stops the install. */}}
{{- define "handoff-desk.secret" -}}
{{ required "set secretName: an existing Secret with the keys listed in values.yaml" .Values.secretName }}
{{- end -}}
