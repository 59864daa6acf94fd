#!/usr/bin/env bash
# The test command: installs the pinned Azurite (npm ci) when it is missing or stale, builds warning-free,
# runs every test project, and ends with one summary line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing the pinned Azurite (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi

dotnet build AlipayFunctions.sln -c Release --nologo -v quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# A hung test fails the run after 10 minutes with the name of the test, instead of eating the CI budget.
dotnet test AlipayFunctions.sln -c Release --no-build --nologo --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Sum the per-project lines ("Passed!  - Failed: 0, Passed: 42, Skipped: 0, Total: 42") into one line.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:")  { f += $(i + 1) }
         if ($i == "Passed:")  { p += $(i + 1) }
         if ($i == "Skipped:") { s += $(i + 1) }
       }
       runs++
     }
     END { if (runs == 0) { print "no test project ran"; exit 1 }
           printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
if [ "$status" -ne 0 ]; then
  # A test host that crashed or was stopped as hung prints no per-project line, so the sum above can read "0 failed".
  echo "dotnet test exited with $status: a test failed, or a test host crashed or hung (see above)"
fi
exit "$status"
