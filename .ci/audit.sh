#!/usr/bin/env bash
# Supply chain: audit the installed dependencies with pip-audit (PyPI advisory data).
# Fails on any known vulnerability. Packages the index cannot describe are listed, not hidden.
set -euo pipefail
python -m pip install -q "pip-audit>=2.7,<3"
report=$(mktemp)
status=0
pip-audit --progress-spinner off -f json -o "$report" --skip-editable || status=$?
python - "$report" "$status" <<'PY'
import json, sys
path, status = sys.argv[1], int(sys.argv[2])
try:
    data = json.load(open(path))
except (OSError, ValueError):
    print(f"pip-audit produced no report (exit {status}); treating as a failure")
    sys.exit(1)
deps = data.get("dependencies", [])
vulnerable = [d for d in deps if d.get("vulns")]
skipped = [d["name"] for d in deps if d.get("skip_reason")]
for d in vulnerable:
    for v in d["vulns"]:
        print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fix: {', '.join(v.get('fix_versions', [])) or 'none'})")
print(f"pip-audit: {len(deps)} packages, {len(vulnerable)} with known vulnerabilities, "
      f"{len(skipped)} the index could not describe" + (f" ({', '.join(sorted(skipped))})" if skipped else ""))
sys.exit(1 if vulnerable else 0)
PY
