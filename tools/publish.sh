#!/usr/bin/env bash
# The publish command: the deployable app folder and its zip.
#
#   bash tools/publish.sh              framework-dependent linux-x64 publish of the isolated worker (JIT)
#   bash tools/publish.sh --r2r        the same, compiled ReadyToRun (larger, starts faster; see docs/benchmarks.md)
#
#   artifacts/app/                     the dotnet publish output: host.json, worker.config.json, functions.metadata,
#                                      AlipayFunctions.dll and its dependencies (.azurefunctions/ holds the host-side
#                                      extensions the queue triggers need)
#   artifacts/alipayfunctions.zip      the same folder zipped, for az functionapp deploy --type zip
#
# The folder is checked by tools/AlipayFunctions.AppLayout (the same check the deployment tests run on a real publish):
# functions.metadata lists the seven functions with their routes / queues, worker.config.json names a worker that is
# there, host.json has routePrefix "" and extensions.queues and no custom handler. Installs nothing: needs the .NET
# SDK, and zip or python3 for the archive.
set -euo pipefail
cd "$(dirname "$0")/.."

artifacts=artifacts
app="$artifacts/app"
zipfile="$artifacts/alipayfunctions.zip"

r2r=false
case "${1:-}" in
  "") ;;
  --r2r) r2r=true ;;
  *) echo "usage: bash tools/publish.sh [--r2r]" >&2; exit 2 ;;
esac

rm -rf "$app"
echo "Publishing the worker (linux-x64, framework-dependent$([ "$r2r" = true ] && echo ", ReadyToRun"))..."
dotnet publish functions/AlipayFunctions/AlipayFunctions.csproj -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=$r2r -o "$app" --nologo -v quiet
# XML docs and symbols are not needed to run; keeping the zip small keeps deployments quick.
rm -f "$app"/*.xml "$app"/*.pdb

echo "Checking $app..."
dotnet run --project tools/AlipayFunctions.AppLayout -c Release -- check "$app"

echo "Zipping $zipfile..."
rm -f "$zipfile"
if command -v zip >/dev/null 2>&1; then
  (cd "$app" && zip -q -r -X "../$(basename "$zipfile")" .)
else
  (cd "$app" && python3 -m zipfile -c "../$(basename "$zipfile")" .)
fi
echo "Done: $zipfile ($(du -h "$zipfile" | cut -f1))"
