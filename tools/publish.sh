#!/usr/bin/env bash
# The publish command: builds the deployable Azure Functions app folder and its zip.
#
#   bash tools/publish.sh          the handler as a Native AOT linux-x64 executable (needs gcc or clang as the
#                                  linker; starts in about 60 ms and needs no .NET runtime on the host)
#   bash tools/publish.sh --jit    the handler as a self-contained single-file executable instead (no C toolchain
#                                  needed; starts in about 300 ms)
#
#   artifacts/app/                 host.json, one folder per function with its function.json, and the handler
#                                  (AlipayFunctions, as host.json's customHandler.description.defaultExecutablePath
#                                  names it)
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

case "${1:-}" in
  ""|--jit) ;;
  *) echo "usage: bash tools/publish.sh [--jit]" >&2; exit 2 ;;
esac

rm -rf "$handler"
if [ "${1:-}" = "--jit" ]; then
  echo "Publishing the handler (self-contained, linux-x64, single file, JIT)..."
  dotnet publish functions/AlipayFunctions/AlipayFunctions.csproj -c Release -r linux-x64 --self-contained \
    -p:PublishAot=false -p:PublishSingleFile=true -o "$handler" --nologo -v quiet
else
  if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    echo "Native AOT needs a C toolchain as its linker (apt-get install clang or gcc), or run: bash tools/publish.sh --jit" >&2
    exit 2
  fi
  echo "Publishing the handler (Native AOT, linux-x64)..."
  dotnet publish functions/AlipayFunctions/AlipayFunctions.csproj -c Release -r linux-x64 -o "$handler" --nologo -v quiet
  # The native executable is the whole handler; debug symbols and XML docs stay out of the app folder.
  rm -f "$handler"/*.dbg "$handler"/*.pdb "$handler"/*.xml
fi

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
