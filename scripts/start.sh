#!/usr/bin/env bash
# Starts the TempBalance web app on its embedded defaults (SQLite in ./data, Fashion-MNIST from Debian's
# dataset-fashion-mnist package). Installs what is missing first. Run as root on Debian 12 or Ubuntu 24.04.
#   PORT=5000 (default)   URLS=http://127.0.0.1:$PORT (default)
#   Without accounts (TempBalance:Auth:Mode none, the default) the app serves 127.0.0.1 only; for other
#   hosts set TempBalance__Auth__Mode=local (see README, "Accounts").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh

need_dotnet
need_apt_package dataset-fashion-mnist "Fashion-MNIST (the default dataset)"

port="${PORT:-5000}"
urls="${URLS:-http://127.0.0.1:$port}"
export TEMPBALANCE_DATA_ROOT="${TEMPBALANCE_DATA_ROOT:-$PWD/data}"
mkdir -p "$TEMPBALANCE_DATA_ROOT"
say "building (Release)"
dotnet build src/TempBalance.Web/TempBalance.Web.csproj -c Release -nologo -v quiet
say "serving on $urls (data in $TEMPBALANCE_DATA_ROOT; health at $urls/health; Ctrl+C stops)"
exec dotnet src/TempBalance.Web/bin/Release/net10.0/TempBalance.Web.dll --urls "$urls" \
  --TempBalance:DataDirectory="$TEMPBALANCE_DATA_ROOT"
