#!/usr/bin/env python3
"""Runs Falco's public conformance cases against bin/saker and holds the result to the
list of known failures in test/conformance/known-failures.json (each with its reason).

Fails when a case outside that list fails, and when a listed case passes (so the list
only shrinks). Cases that need a plugin Saker does not provide yet are skipped by the
`requires` prefixes named in the same file.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shared', default=os.path.join(ROOT, '..', 'shared'))
    ap.add_argument('-j', '--jobs', default='2')
    opts = ap.parse_args()
    known = json.load(open(os.path.join(ROOT, 'test', 'conformance', 'known-failures.json')))
    report = os.path.join(ROOT, 'dist', 'conformance-report.json')
    argv = [sys.executable, os.path.join(opts.shared, 'conformance', 'run.py'),
            '--sut', os.path.join(ROOT, 'bin', 'saker'),
            '--data', os.path.join(opts.shared, 'falco', 'tests'),
            '--report', report, '-j', opts.jobs]
    for prefix in known.get('skip_requires', {}):
        argv += ['--skip-requires', prefix]
    rc = subprocess.call(argv)
    if rc != 0:
        print('conformance harness failed with exit status %d' % rc)
        return 1
    results = json.load(open(report))['results']
    expected = known.get('failures', {})
    unexpected = [r for r in results if r['status'] == 'FAIL' and r['name'] not in expected]
    fixed = [r for r in results if r['status'] == 'PASS' and r['name'] in expected]
    ran = [r for r in results if r['status'] in ('PASS', 'FAIL')]
    passed = sum(1 for r in ran if r['status'] == 'PASS')
    print('conformance: %d of %d runnable cases pass (%.1f%%); %d known failures listed'
          % (passed, len(ran), 100.0 * passed / max(1, len(ran)), len(expected)))
    for r in unexpected:
        print('UNEXPECTED FAIL %s: %s' % (r['name'], r.get('reason', '')))
    for r in fixed:
        print('NOW PASSES (remove it from known-failures.json) %s' % r['name'])
    # known failures count as skipped, as the harness counts its anchor-marked XFAILs
    known_failed = sum(1 for r in results if r['status'] == 'FAIL' and r['name'] in expected)
    skipped = sum(1 for r in results if r['status'] in ('SKIP', 'XFAIL')) + known_failed
    print('conformance: %d passed, %d failed, %d skipped' % (passed, len(unexpected) + len(fixed), skipped))
    return 1 if unexpected or fixed else 0


if __name__ == '__main__':
    sys.exit(main())
