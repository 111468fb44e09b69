#!/usr/bin/env bash
# `make demo` (until the web service lands): the README's five-minute tour, run in a temporary folder.
set -euo pipefail
BADGES="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/badges"
export BADGES_DEFS_DIR="$(cd "$(dirname "$0")/.." && pwd)/badge_defs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export BADGES_KEY_STORE="$work/keystore"
# A throwaway passphrase for this demo's throwaway keys.
export BADGES_KEY_PASSPHRASE="demo-$(date +%s)-$RANDOM"
DID=did:web:badges.example.edu
export BADGES_ISSUER_NAME="Lincoln High School"
LEARNER=did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$BADGES" keys generate --alg EdDSA
step "$BADGES" keys generate --alg RS256
step "$BADGES" keys publish --did "$DID" --out site
step "$BADGES" issue --def weld-smaw-3f --level 3 --recipient ana@example.org --issuer "$DID" \
  --attester-name "R. Okafor" --attester-role supervisor --out weld.json
step "$BADGES" issue --def math-7rp-proportional --level 4 --recipient "$LEARNER" --format both \
  --issuer "$DID" --attester-name "J. Rivera" --attester-role teacher --out math
step "$BADGES" verify weld.json math.json math.jwt --resolve site/resolve-map.json --offline
echo; echo "Tampering with the level of weld.json:"
python3 - <<'PY'
import json
c = json.load(open("weld.json"))
c["credentialSubject"]["result"][0]["achievedLevel"] = c["credentialSubject"]["result"][0]["achievedLevel"].replace("level-3", "level-4")
json.dump(c, open("tampered.json", "w"))
PY
step "$BADGES" verify tampered.json --resolve site/resolve-map.json --offline || echo "(exit $? : invalid, as it should be)"
echo; echo "The same badge checked in 2031, after its 3-year validity:"
step "$BADGES" verify weld.json --resolve site/resolve-map.json --offline --at 2031-01-01T00:00:00Z || echo "(exit $?)"
echo; echo "Tour done; its files were in $work (removed now)."
