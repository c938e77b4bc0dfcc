#!/usr/bin/env bash
# Runs every test of the solution. Installs test prerequisites first (Chromium for browser tests,
# Fashion-MNIST for training tests). Run as root on Debian 12 or Ubuntu 24.04.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh

need_dotnet
need_apt_package dataset-fashion-mnist "Fashion-MNIST (training tests)"
need_apt_package chromium "Chromium (browser tests)"

results="$PWD/artifacts/test-results"
rm -rf "$results"
say "building and running all tests (Release)"
status=0
dotnet test TempBalance.Web.sln -c Release -nologo --logger "trx" --results-directory "$results" || status=$?

# One closing line over every test project, counted from the TRX files.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    passed += int(c.get("passed")); failed += int(c.get("failed")) + int(c.get("error")) + int(c.get("timeout"))
    skipped += int(c.get("total")) - int(c.get("executed"))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
