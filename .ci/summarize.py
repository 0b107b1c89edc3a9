#!/usr/bin/python3
"""Aggregates ocirun test results into one line: "N passed, N failed, N skipped".

usage: summarize.py [--failed-step NAME]... BUILDDIR...

For each build directory:
  unit tests   every automake .trs file under tests/unit; when the test's
               .log ends with the unit framework's own "N passed, N failed[,
               N skipped]" line those counts are used, else the .trs verdict
               counts as one test.
  integration  tests/integration-results.xml (pytest junit XML, host run)
               tests/vm-results.xml (the `vm` tests in the cgroup v2 VM) and
               tests/vm-systemd-results.xml (the `systemd` tests in its
               systemd flavour).
Each --failed-step (a CI step that failed, e.g. a build) adds one failure,
so a broken build can never look like a green run.
Prints the failing test names, then the summary line last; exits 1 if
anything failed.
"""

import argparse
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

COUNTS_RE = re.compile(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def add(self, passed=0, failed=0, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped


def unit_counts_from_log(log_path):
    """The last "N passed, N failed" line a unit program printed, or None."""
    try:
        with open(log_path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        m = COUNTS_RE.search(line)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    return None


def add_unit_results(builddir, tally):
    for trs in sorted(glob.glob(os.path.join(builddir, "tests", "unit", "*.trs"))):
        with open(trs, errors="replace") as f:
            verdicts = re.findall(r"^:test-result: (\S+)", f.read(), re.M)
        verdict = verdicts[-1] if verdicts else "ERROR"
        name = os.path.relpath(trs[:-4], builddir)
        counts = unit_counts_from_log(trs[:-4] + ".log")
        if counts is not None and verdict not in ("ERROR",):
            passed, failed, skipped = counts
            if verdict in ("FAIL", "XPASS") and failed == 0:
                failed = 1  # crashed or exited non-zero after its summary
            tally.add(passed, failed, skipped)
        elif verdict in ("PASS", "XFAIL"):
            tally.add(passed=1)
        elif verdict == "SKIP":
            tally.add(skipped=1)
        else:
            tally.add(failed=1)
        if verdict in ("FAIL", "XPASS", "ERROR") or (counts and counts[1]):
            tally.failures.append(f"{builddir}: {name} ({verdict})")


# junit file -> how its failures are labelled
JUNIT_FILES = (("integration-results.xml", ""), ("vm-results.xml", " (vm)"),
               ("vm-systemd-results.xml", " (vm-systemd)"))


def add_junit_results(builddir, tally):
    found = False
    for name, label in JUNIT_FILES:
        path = os.path.join(builddir, "tests", name)
        found |= add_junit_file(builddir + label, path, tally)
    return found


def add_junit_file(builddir, path, tally):
    if not os.path.exists(path):
        return False
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        tally.add(failed=1)
        tally.failures.append(f"{path}: unreadable junit XML ({e})")
        return True
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        if failed:
            tally.add(failed=1)
            tally.failures.append(f"{builddir}: {name}")
        elif skipped:
            tally.add(skipped=1)
        else:
            tally.add(passed=1)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--failed-step", action="append", default=[])
    ap.add_argument("builddirs", nargs="*")
    args = ap.parse_args()
    tally = Tally()
    for builddir in args.builddirs:
        if os.path.isdir(builddir):
            add_unit_results(builddir, tally)
            add_junit_results(builddir, tally)
    for step in args.failed_step:
        tally.add(failed=1)
        tally.failures.append(f"CI step failed: {step}")
    if tally.failures:
        print("failures:")
        for f in tally.failures:
            print(f"  {f}")
    line = f"{tally.passed} passed, {tally.failed} failed"
    if tally.skipped:
        line += f", {tally.skipped} skipped"
    print(line)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
