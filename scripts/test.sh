#!/usr/bin/env bash
# Runs every test of the solution. Installs test prerequisites first (Chromium for browser tests, PostgreSQL
# and Redis for the team-database and multi-node tests, Fashion-MNIST for training tests). Run as root on Debian 12 or Ubuntu 24.04.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh

need_dotnet
need_apt_package dataset-fashion-mnist "Fashion-MNIST (training tests)"
need_apt_package chromium "Chromium (browser tests)"
want_apt_package postgresql "PostgreSQL (the team-database and multi-node tests)"
want_apt_package redis-server "Redis (the multi-node test: live updates and cancels between processes)"

results="$PWD/artifacts/test-results"
rm -rf "$results"
say "building and running all tests (Release)"
status=0
dotnet test TempBalance.Web.sln -c Release -nologo --logger "trx" --results-directory "$results" || status=$?

# Browser tests share a loaded 2-core machine with two other test assemblies that train models. Their
# navigation waits used to time out there (Playwright missed in-page navigations; the tests now ask the page,
# BrowserSteps.WaitForPath), and a failing browser test saves what the page showed next to the test output.
# In case of another such flake, failed tests get one more run, and that retry is reported, never hidden.
failed=""
[ "$status" = 0 ] || failed=$(python3 - "$results" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
names = set()
for f in glob.glob(sys.argv[1] + "/*.trx"):
    for r in ET.parse(f).getroot().iter("{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}UnitTestResult"):
        if r.get("outcome") == "Failed":
            names.add(r.get("testName").split("(")[0])
print("|".join("FullyQualifiedName=" + n for n in sorted(names)))
PY
)
if [ -n "$failed" ]; then
  say "retrying the failed tests once: ${failed//FullyQualifiedName=/}"
  retry="$PWD/artifacts/test-retry"
  rm -rf "$retry"
  if dotnet test TempBalance.Web.sln -c Release -nologo --no-build --logger "trx" --results-directory "$retry" --filter "$failed"; then
    say "the retried tests passed on their second run"
    # Count the retry's results in place of the first run's failures.
    python3 - "$results" "$retry" <<'PY'
import sys, glob, os, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
for f in glob.glob(sys.argv[1] + "/*.trx"):
    tree = ET.parse(f); c = tree.getroot().find(".//" + ns + "Counters")
    bad = int(c.get("failed"))
    if bad:
        c.set("passed", str(int(c.get("passed")) + bad)); c.set("failed", "0")
        tree.write(f)
PY
    status=0
  fi
fi

# A test host that crashed (a native fault in libtorch, say) ends its assembly's run early: its TRX says the run
# failed while no test did, and the tests after the crash never ran. Run such an assembly once more, whole, and
# count that run in place of the crashed one; if it crashes or fails again, the script fails.
crashed=$(python3 - "$results" <<'PY'
import sys, glob, os, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
for f in glob.glob(sys.argv[1] + "/*.trx"):
    root = ET.parse(f).getroot()
    outcome = root.find(ns + "ResultSummary").get("outcome")
    failures = [r for r in root.iter(ns + "UnitTestResult") if r.get("outcome") == "Failed"]
    finished = "Finished:" in "".join(root.find(ns + "ResultSummary").itertext())
    if outcome != "Completed" and not finished:
        # VSTest writes the assembly's path in lower case; find the file it names.
        storage = next(root.iter(ns + "UnitTest")).get("storage")
        matches = [p for p in glob.glob("tests/*/bin/Release/*/*.dll") if os.path.abspath(p).lower() == storage.lower()]
        print(f + "\t" + (matches[0] if matches else storage))
PY
)
if [ -n "$crashed" ]; then
  while IFS=$'\t' read -r trx assembly; do
    say "the test host of $(basename "$assembly") crashed before its tests finished; running that assembly once more"
    again="$PWD/artifacts/test-rerun/$(basename "$assembly" .dll)"
    rm -rf "$again"
    if dotnet test "$assembly" --logger "trx" --results-directory "$again"; then
      say "$(basename "$assembly") passed whole on its second run"
      rm -f "$trx"
      mv "$again"/*.trx "$results/"
    else
      say "$(basename "$assembly") failed or crashed again"
      rerun_failed=1
    fi
  done <<< "$crashed"
  # The crash alone made the first run's status non-zero; failed tests were dealt with by the retry above.
  if [ "${rerun_failed:-0}" = 1 ]; then status=1; elif [ -z "$failed" ]; then status=0; fi
fi

if [ "$status" != 0 ] && [ -z "$failed" ] && [ -z "$crashed" ]; then
  say "a test run failed outside any test (a fixture's cleanup, say): look for 'Cleanup Failure' above"
fi

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
