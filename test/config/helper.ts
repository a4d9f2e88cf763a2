// Shared helpers for the configuration tests.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfigText } from '../../src/config/load.js'
import type { LoadResult } from '../../src/config/load.js'
import { ConfigError } from '../../src/config/errors.js'
import assert from 'node:assert/strict'

/** The repository root (tests run from dist/test/config). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** Falco's test configurations, kept next to the repository. */
export const FALCO_CONFS = resolve(REPO_ROOT, '../shared/falco/tests/confs')

/** A fresh temporary directory holding the given files (relative path → content). */
export function tempTree(files: Record<string, string>): { dir: string; path: (p: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'saker-config-'))
  for (const [rel, content] of Object.entries(files)) {
    const full = join(dir, rel)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
  }
  return { dir, path: p => join(dir, p), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Load YAML text with overrides and an empty environment. */
export function load(text: string, overrides: string[] = [], env: Record<string, string> = {}): LoadResult {
  return loadConfigText(text, { overrides, env })
}

/** Assert that `fn` throws a ConfigError with exactly `message`. */
export function throwsConfig(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`)
    assert.equal(e.message, message)
    return true
  })
}
