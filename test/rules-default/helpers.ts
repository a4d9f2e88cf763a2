// Shared by the tests of Saker's default rules: where they are, and bin/saker run on them.

import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (tests run from dist/test/rules-default). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const SAKER_BIN = join(REPO_ROOT, 'bin', 'saker')
export const RULES_DIR = join(REPO_ROOT, 'rules')

/** rules/*.yaml, in load order: the stable file first, then the others by name. */
export function rulesFiles(): string[] {
  const names = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).sort()
  const stable = 'saker_rules.yaml'
  return [stable, ...names.filter((n) => n !== stable)].map((n) => join('rules', n))
}

export interface SakerOutput {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** bin/saker with `args`, from the repository root, without any system configuration. */
export function saker(args: readonly string[]): SakerOutput {
  const r = spawnSync(process.execPath, [SAKER_BIN, '-c', '/dev/null', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

export interface LoadResult {
  name: string
  successful: boolean
  schema_valid: boolean
  schema_warnings: unknown[]
  errors: { code: string; message: string }[]
  warnings: { code: string; message: string }[]
}

/** `saker -V f1 -V f2 ... -o json_output=true`: each file's load result. */
export function validate(files: readonly string[]): LoadResult[] {
  const out = saker([...files.flatMap((f) => ['-V', f]), '-o', 'json_output=true'])
  const doc = JSON.parse(out.stdout) as { falco_load_results: LoadResult[] }
  return doc.falco_load_results
}

export interface DescribedRule {
  info: { name: string; condition: string; priority: string; output: string; description: string; tags: string[] }
  details: { output_fields: string[]; events: string[] }
}

/** `saker -r ... -L -o json_output=true`: the rules, macros and lists the files define. */
export function describeRules(files: readonly string[]): { rules: DescribedRule[]; macros: { info: { name: string } }[]; lists: { info: { name: string } }[] } {
  const out = saker([...files.flatMap((f) => ['-r', f]), '-L', '-o', 'json_output=true'])
  if (out.status !== 0) throw new Error(`saker -L failed: ${out.stderr}`)
  return JSON.parse(out.stdout)
}
