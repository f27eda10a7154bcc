#!/usr/bin/env bash
# Seals the lab's Secrets for Argo CD. See gitops/secrets/README.md.
#
#   gitops/secrets/seal.sh [--cert FILE] [--out DIR] [SECRET ...]
#   gitops/secrets/seal.sh --list
#
# Every Secret of the catalog below (or only the SECRETs named: `name` or `namespace/name`) is
# built with `kubectl create secret generic --dry-run=client` from environment variables (asked
# for when unset and stdin is a terminal) or a file of this repository, encrypted by `kubeseal`
# with the certificate of the cluster's Sealed Secrets controller (or --cert FILE, a certificate
# saved with `kubeseal --fetch-cert`), and written to gitops/secrets/sealed/<namespace>-<name>.yaml,
# which the Argo CD Application `kindops-secrets` applies. Plain values never touch the
# repository and never appear on a command line.
#
# Every value is checked before anything is sealed, and nothing is written unless every Secret
# asked for was sealed. Exit codes: 0 sealed; 2 bad usage or a missing/invalid value;
# 3 kubectl or kubeseal missing, the controller unreachable, or sealing failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/gitops/secrets/sealed
CERT=""
CONTROLLER=sealed-secrets-controller
CONTROLLER_NS=kube-system

# The catalog: one line per key.
#   namespace  secret  key  source  minimum-length
# source is env:VARIABLE (the environment, or a prompt) or file:PATH (a file of this repository).
# Minimum length 0 marks an optional key: left out of the Secret when its variable is unset.
CATALOG="
observability alertmanager-kindops alertmanager.yaml file:observability/alertmanager/alertmanager.yaml 1
observability alertmanager-automation-token token env:ALERTMANAGER_AUTOMATION_TOKEN 16
observability grafana-admin admin-user env:GRAFANA_ADMIN_USER 1
observability grafana-admin admin-password env:GRAFANA_ADMIN_PASSWORD 12
kindops-jobs kindops-aws AWS_ACCESS_KEY_ID env:KINDOPS_AWS_ACCESS_KEY_ID 1
kindops-jobs kindops-aws AWS_SECRET_ACCESS_KEY env:KINDOPS_AWS_SECRET_ACCESS_KEY 1
kindops-jobs kindops-aws AWS_REGION env:KINDOPS_AWS_REGION 1
kindops-jobs kindops-grafana KINDOPS_GRAFANA_TOKEN env:BACKUP_GRAFANA_TOKEN 1
kindops-jobs kindops-gameday KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN env:APP_PYTHON_ADMIN_TOKEN 16
kindops-jobs kindops-gameday KINDOPS_GAMEDAY_APP_JAVA_ADMIN_TOKEN env:APP_JAVA_ADMIN_TOKEN 16
kindops-jobs kindops-gameday KINDOPS_GRAFANA_TOKEN env:GAMEDAY_GRAFANA_TOKEN 1
kindops-jobs kindops-gameday KINDOPS_GAMEDAY_ARGOCD_TOKEN env:GAMEDAY_ARGOCD_TOKEN 0
apps app-python-admin admin-token env:APP_PYTHON_ADMIN_TOKEN 16
apps app-python-aws AWS_ACCESS_KEY_ID env:APP_PYTHON_AWS_ACCESS_KEY_ID 1
apps app-python-aws AWS_SECRET_ACCESS_KEY env:APP_PYTHON_AWS_SECRET_ACCESS_KEY 1
apps app-java-admin admin-token env:APP_JAVA_ADMIN_TOKEN 16
"

die() {  # die MESSAGE [EXIT-CODE]: one line on stderr
  printf 'seal.sh: %s\n' "$1" >&2
  exit "${2:-2}"
}

usage() {
  sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

catalog_rows() {  # the catalog without blank lines
  printf '%s\n' "$CATALOG" | grep -v '^[[:space:]]*$'
}

# ---- arguments
wanted=()
while (($#)); do
  case $1 in
    --list)
      catalog_rows | while read -r ns name key source _; do
        printf '%s/%s %s %s\n' "$ns" "$name" "$key" "$source"
      done
      exit 0
      ;;
    --cert)
      (($# >= 2)) || die "--cert needs a file"
      CERT=$2
      shift 2
      ;;
    --out)
      (($# >= 2)) || die "--out needs a directory"
      OUT=$2
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      wanted+=("$1")
      shift
      ;;
  esac
done

# ---- which Secrets (catalog order, each once)
all=()
while read -r ns name _; do
  id=$ns/$name
  [[ " ${all[*]} " == *" $id "* ]] || all+=("$id")
done < <(catalog_rows)

selected=()
if ((${#wanted[@]} == 0)); then
  selected=("${all[@]}")
else
  for want in "${wanted[@]}"; do
    match=""
    for id in "${all[@]}"; do
      if [[ $want == "$id" || $want == "${id#*/}" ]]; then match=$id; fi
    done
    [[ -n $match ]] || die "unknown Secret '$want' (seal.sh --list shows the catalog)"
    [[ " ${selected[*]} " == *" $match "* ]] || selected+=("$match")
  done
fi

is_selected() { [[ " ${selected[*]} " == *" $1 "* ]]; }

# ---- every value, before anything else (prompting once per variable on a terminal; the
# catalog comes in on fd 3 so that stdin stays the terminal)
declare -A VALUES=()
while read -r -u 3 ns name key source min; do
  is_selected "$ns/$name" || continue
  case $source in
    env:*)
      var=${source#env:}
      if [[ -z ${VALUES[$var]+set} ]]; then
        value=${!var-}
        if ((min == 0)); then
          VALUES[$var]=$value
          continue
        fi
        if [[ -z $value && -t 0 ]]; then
          read -r -s -p "$var ($key of Secret $ns/$name): " value
          printf '\n' >&2
        fi
        [[ -n $value ]] || die "$var is not set (key $key of Secret $ns/$name)"
        VALUES[$var]=$value
      fi
      ((${#VALUES[$var]} >= min)) ||
        die "$var is too short: key $key of Secret $ns/$name needs at least $min characters"
      ;;
    file:*)
      [[ -r $ROOT/${source#file:} ]] ||
        die "${source#file:} not found (key $key of Secret $ns/$name)"
      ;;
    *) die "catalog: bad source '$source' for $ns/$name" ;;
  esac
done 3< <(catalog_rows)

# ---- tools and the sealing certificate
command -v kubectl >/dev/null 2>&1 ||
  die "kubectl not found on PATH (it builds the Secrets: install kubectl)" 3
command -v kubeseal >/dev/null 2>&1 ||
  die "kubeseal not found on PATH (install it: .ci/install-tools kubeseal, then add .tools/bin to PATH)" 3

WORK=$(mktemp -d)
STAGE=""
cleanup() {
  rm -rf "$WORK"
  if [[ -n $STAGE ]]; then rm -rf "$STAGE"; fi
}
trap cleanup EXIT
chmod 700 "$WORK"

if [[ -n $CERT ]]; then
  [[ -r $CERT ]] || die "--cert $CERT: no such readable file" 2
else
  CERT=$WORK/cert.pem
  if ! kubeseal --controller-name "$CONTROLLER" --controller-namespace "$CONTROLLER_NS" \
    --fetch-cert >"$CERT" 2>"$WORK/fetch.err"; then
    reason=$(head -n 1 "$WORK/fetch.err")
    die "cannot fetch the sealing certificate from $CONTROLLER in $CONTROLLER_NS (is the kind cluster up and the Application sealed-secrets synced? or pass --cert FILE): ${reason:-no answer}" 3
  fi
fi
grep -q 'BEGIN CERTIFICATE' "$CERT" || die "$CERT is not a PEM certificate" 2

# ---- seal into a staging folder beside the output, then move every file in place
mkdir -p "$OUT"
STAGE=$(mktemp -d "$OUT/.seal.XXXXXX")
umask 077
for id in "${selected[@]}"; do
  ns=${id%%/*}
  name=${id#*/}
  args=()
  annotations=()
  while read -r r_ns r_name key source _; do
    [[ $r_ns/$r_name == "$id" ]] || continue
    case $source in
      env:*)
        [[ -n ${VALUES[${source#env:}]} ]] || continue # an optional key left unset
        file=$WORK/$ns.$name.$key
        printf '%s' "${VALUES[${source#env:}]}" >"$file"
        ;;
      file:*)
        file=$ROOT/${source#file:}
        # which revision of the file was sealed (re-seal when it changes)
        annotations+=("kindops.io/source-sha256=$(sha256sum "$file" | cut -d' ' -f1)")
        ;;
    esac
    args+=("--from-file=$key=$file")
  done < <(catalog_rows)
  labels=(app.kubernetes.io/part-of=kindops-lab app.kubernetes.io/managed-by=seal.sh)
  target=$STAGE/$ns-$name.yaml
  if ! kubectl create secret generic "$name" --namespace "$ns" "${args[@]}" \
    --dry-run=client -o yaml 2>"$WORK/err" |
    kubectl label --local -f - "${labels[@]}" -o yaml 2>>"$WORK/err" |
    kubectl annotate --local -f - "${annotations[@]}" kindops.io/sealed-by=seal.sh \
      -o yaml 2>>"$WORK/err" |
    kubeseal --format yaml --cert "$CERT" 2>>"$WORK/err" |
    kubectl label --local -f - "${labels[@]}" -o yaml 2>>"$WORK/err" >"$target"; then
    die "sealing $id failed: $(head -n 1 "$WORK/err")" 3
  fi
done
for id in "${selected[@]}"; do
  ns=${id%%/*}
  name=${id#*/}
  chmod 644 "$STAGE/$ns-$name.yaml"
  mv -f "$STAGE/$ns-$name.yaml" "$OUT/$ns-$name.yaml"
  printf 'sealed %s -> %s\n' "$id" "$OUT/$ns-$name.yaml" >&2
done
printf 'commit %s: Argo CD (Application kindops-secrets) applies it\n' "$OUT" >&2
