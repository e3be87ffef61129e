#!/bin/sh
# A test exec credential plugin (client.authentication.k8s.io). It counts its runs in $KB_COUNTER,
# saves $KUBERNETES_EXEC_INFO next to it, and answers according to $KB_MODE.
n=$(( $(cat "$KB_COUNTER" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$KB_COUNTER"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$KB_COUNTER.info"
case "$KB_MODE" in
  fail) echo "login required: run 'sso login' first" >&2; exit 3 ;;
  garbage) echo "secret-looking-output-that-must-not-be-quoted" ;;
  cert) printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"%s","clientKeyData":"%s"}}' \
          "$KB_API" "$(cat "$KB_CERT")" "$(cat "$KB_KEY")" ;;
  *) expiry=""
     if [ -n "$KB_EXPIRY" ]; then expiry=",\"expirationTimestamp\":\"$KB_EXPIRY\""; fi
     printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"token-%s-%s"%s}}' "$KB_API" "$FOO" "$n" "$expiry" ;;
esac
