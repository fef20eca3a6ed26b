#!/usr/bin/env bash
# End-to-end check of the REST API against a running workbench (default http://127.0.0.1:8000):
# creates a user and token with the CLI, uploads the JFK clip, polls the job, prints the transcript.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-http://127.0.0.1:8000}
CLIP=${CLIP:-../shared/data/asr/audio/en_whisper_jfk.wav}
EMAIL=${EMAIL:-acceptance-$(date +%s)@example.com}
echo "a long acceptance password" | .venv/bin/perche user create "$EMAIL" --role interviewer --password-stdin
TOKEN=$(.venv/bin/perche token create "$EMAIL")
auth=(-H "Authorization: Bearer $TOKEN")
study=$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"name": "Acceptance", "language": "en", "guide": [{"text": "Why?"}]}' "$BASE/api/studies" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
upload=$(curl -sf "${auth[@]}" -F "file=@$CLIP" -F account=Acceptance "$BASE/api/studies/$study/interviews")
interview=$(echo "$upload" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job=$(echo "$upload" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
for _ in $(seq 1 300); do
  status=$(curl -sf "${auth[@]}" "$BASE/api/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [ "$status" = done ] || [ "$status" = failed ] && break
  sleep 1
done
echo "job $job: $status"
curl -sf "${auth[@]}" "$BASE/api/interviews/$interview/transcript" | tee /dev/stderr |
  grep -qi "ask not what your country can do for you" && echo "OK: transcript contains the phrase"
