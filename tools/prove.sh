#!/usr/bin/env bash
# The proof runs (docs/benchmarks.md "Function app under load", docs/reliability.md). Not part of the test run:
# they take minutes and measure speed, which only means something on a quiet machine (check /proc/loadavg).
#
#   tools/prove.sh quick            every run at small sizes (a smoke test of the runs, about 2-3 minutes)
#   tools/prove.sh full             every run at full size, results appended to artifacts/prove-results.md (also
#                                   publishes ReadyToRun to artifacts/app-r2r for the start-up comparison)
#   tools/prove.sh <run> [options]  one run, e.g. tools/prove.sh ingest --rates 50 100 200 400 --seconds 10
#
# Runs: ingest, e2e, startup, kill, azurite-restart, faults, bad-input, flood (dotnet <Prove.dll> --help lists options).
# Each starts Azurite (npm ci installs it), the AlipayHK simulator and the app as it runs in Azure: the PUBLISHED
# worker (bash tools/publish.sh: artifacts/app) under the local Functions host (tools/LocalFunctionsHost; the worker
# is a process of its own, configured by app settings), on free loopback ports, and exits 1 when a target or
# invariant fails. The kill run SIGKILLs the worker process; the host starts a new one. Memory is the worker
# process's (the host runs inside the Prove process); start-up is worker process start to the first signed webhook
# answered through a freshly started host.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
if [ "${SKIP_PUBLISH:-}" != 1 ]; then
  if [ "${1:-quick}" = full ]; then
    # The start-up comparison needs both builds at once: ReadyToRun kept aside, then the default (JIT) publish.
    bash tools/publish.sh --r2r
    rm -rf artifacts/app-r2r && mv artifacts/app artifacts/app-r2r
  fi
  bash tools/publish.sh
fi
dotnet build tools/AlipayFunctions.Prove/AlipayFunctions.Prove.csproj -c Release --nologo -v quiet
prove() { dotnet tools/AlipayFunctions.Prove/bin/Release/net10.0/AlipayFunctions.Prove.dll "$@"; }

case "${1:-quick}" in
  full)
    mkdir -p artifacts
    out=artifacts/prove-results.md
    status=0
    # The issue's step is 200/s for 60 s; the other rates (10 s each) show the curve around it.
    prove ingest --rates 50 100 200 400 --seconds 10 --target-seconds 60 --concurrency 32 --markdown "$out" || status=1
    prove e2e --members 1000 --payments 10 --rate 200 --converge-timeout 2400 --markdown "$out" || status=1
    # JIT (artifacts/app) and ReadyToRun (artifacts/app-r2r) side by side, start by start.
    prove startup --starts 10 --r2r-app artifacts/app-r2r --markdown "$out" || status=1
    prove kill --members 200 --payments 10 --rate 100 --kills 10 --markdown "$out" || status=1
    # A delivery in flight when Azurite goes down cannot be released (the release is a storage call too): it comes
    # back when the host's 10-minute processing lease ends, as on Azure, so this run waits past that.
    prove azurite-restart --members 200 --payments 10 --rate 100 --converge-timeout 900 --markdown "$out" || status=1
    prove faults --members 200 --payments 10 --rate 100 --markdown "$out" || status=1
    prove bad-input --markdown "$out" || status=1
    prove flood --requests 1000 --senders 16 --mini-app-budget 5 --signing-budget 200 --quiet 30 --markdown "$out" || status=1
    exit $status
    ;;
  *)
    prove "$@"
    ;;
esac
