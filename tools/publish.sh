#!/usr/bin/env bash
# The publish command: builds the deployable Azure Functions app folder and its zip.
#
#   artifacts/app/                 host.json, one folder per function with its function.json, and the handler
#                                  (AlipayFunctions: self-contained linux-x64 single-file executable, as host.json's
#                                  customHandler.description.defaultExecutablePath names it)
#   artifacts/alipayfunctions.zip  the same folder zipped (executable bit kept), for az functionapp deploy
#
# The folder is assembled and checked by tools/AlipayFunctions.AppLayout (the same code the deployment tests run):
# every function folder has a function.json naming a route or queue the handler serves, and the executable exists
# and is executable. Installs nothing: needs the .NET SDK, and zip or python3 for the archive.
set -euo pipefail
cd "$(dirname "$0")/.."

artifacts=artifacts
handler="$artifacts/publish"
app="$artifacts/app"
zipfile="$artifacts/alipayfunctions.zip"

echo "Publishing the handler (self-contained, linux-x64, single file)..."
rm -rf "$handler"
dotnet publish functions/AlipayFunctions/AlipayFunctions.csproj -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -o "$handler" --nologo -v quiet

echo "Assembling and checking $app..."
dotnet run --project tools/AlipayFunctions.AppLayout -c Release -- assemble "$handler" host.json "$app"

echo "Zipping $zipfile..."
rm -f "$zipfile"
if command -v zip >/dev/null 2>&1; then
  (cd "$app" && zip -q -r -X "../$(basename "$zipfile")" .)
else
  # zipfile stores each file's Unix mode, so the handler stays executable.
  (cd "$app" && python3 -m zipfile -c "../$(basename "$zipfile")" ./*)
fi
echo "Done: $zipfile ($(du -h "$zipfile" | cut -f1))"
