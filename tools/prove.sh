#!/usr/bin/env bash
# The proof runs (docs/benchmarks.md "Function app under load", docs/reliability.md). Not part of the test run:
# they take minutes and measure speed, which only means something on a quiet machine (check /proc/loadavg).
#
#   tools/prove.sh quick            every run at small sizes (a smoke test of the runs, about 2-3 minutes)
#   tools/prove.sh full             every run at full size, results appended to artifacts/prove-results.md
#   tools/prove.sh <run> [options]  one run, e.g. tools/prove.sh ingest --rates 50 100 200 400 --seconds 10
#
# Runs: ingest, e2e, startup, kill, azurite-restart, faults, bad-input (dotnet <Prove.dll> --help lists options).
# Each starts Azurite (npm ci installs it), the AlipayHK simulator and the app as a separate process
# (dotnet functions/AlipayFunctions/bin/Release/net10.0/AlipayFunctions.dll --urls http://127.0.0.1:<port>,
# configured by environment variables) on free loopback ports, and exits 1 when a target or invariant fails.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
dotnet build functions/AlipayFunctions/AlipayFunctions.csproj -c Release --nologo -v quiet
dotnet build tools/AlipayFunctions.Prove/AlipayFunctions.Prove.csproj -c Release --nologo -v quiet
prove() { dotnet tools/AlipayFunctions.Prove/bin/Release/net10.0/AlipayFunctions.Prove.dll "$@"; }

case "${1:-quick}" in
  full)
    mkdir -p artifacts
    out=artifacts/prove-results.md
    status=0
    prove ingest --rates 50 100 200 400 --seconds 10 --concurrency 32 --markdown "$out" || status=1
    prove e2e --members 1000 --payments 10 --rate 200 --converge-timeout 2400 --markdown "$out" || status=1
    prove startup --starts 10 --target-ms 300 --markdown "$out" || status=1
    # The shipped handler: tools/publish.sh's Native AOT executable.
    bash tools/publish.sh
    prove startup --starts 10 --target-ms 100 --app artifacts/app/AlipayFunctions --markdown "$out" || status=1
    prove kill --members 200 --payments 10 --rate 100 --kills 10 --markdown "$out" || status=1
    prove azurite-restart --members 200 --payments 10 --rate 100 --markdown "$out" || status=1
    prove faults --members 200 --payments 10 --rate 100 --markdown "$out" || status=1
    prove bad-input --markdown "$out" || status=1
    exit $status
    ;;
  *)
    prove "$@"
    ;;
esac
