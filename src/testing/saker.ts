// Running bin/saker for `saker test`: the rule listing, capture replays, and the config both
// use.
//
// Cases run through the command line rather than in this process, on purpose: a case then
// checks exactly what a user's `saker -r ... -o engine.kind=replay` prints (configuration,
// rules loading, replay, output formatting and JSON included); a case that crashes or hangs
// Saker is one failed case with its stderr, killed at its timeout, not a broken runner; no
// state leaks from one case to the next; and the same model serves live cases, which need a
// separate privileged process anyway. The price, about 0.4 s of start-up per replay, is paid
// in parallel (cases run several at a time) and once per capture (cases sharing a capture and
// options share one replay).

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAlerts } from './verdict.js'
import type { Alert } from './verdict.js'

/** bin/saker of the tree this module was built from (dist/src/testing → repository root). */
export function defaultSakerBin(): string {
  return fileURLToPath(new URL('../../../bin/saker', import.meta.url))
}

export interface SakerRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

// Output beyond this is dropped (a runaway rule must not exhaust the runner's memory).
const MAX_OUTPUT = 64 * 1024 * 1024

/** Runs `node bin/saker args...`, killing it after timeoutMs. */
export function runSaker(bin: string, args: readonly string[], timeoutMs: number, cwd?: string): Promise<SakerRun> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      resolveRun({ code: null, signal: null, stdout, stderr: stderr + String(e.message), timedOut })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolveRun({ code, signal, stdout, stderr, timedOut })
    })
  })
}

/**
 * The configuration every test run uses, written to a fresh directory: JSON alerts on stdout
 * and nothing else, whatever /etc/saker/saker.yaml or /etc/falco/falco.yaml say (-c replaces
 * them). `extra` is appended as YAML text (the live runner adds an output field with it).
 */
export class TestConfig {
  readonly dir: string
  readonly path: string

  constructor(extra = '') {
    this.dir = mkdtempSync(join(tmpdir(), 'saker-test-'))
    this.path = join(this.dir, 'saker-test.yaml')
    writeFileSync(this.path, CONFIG + extra)
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const CONFIG = `# written by saker test
json_output: true
json_include_output_property: true
json_include_tags_property: true
stdout_output:
  enabled: true
file_output:
  enabled: false
syslog_output:
  enabled: false
http_output:
  enabled: false
webserver:
  enabled: false
watch_config_files: false
priority: debug
log_stderr: true
log_syslog: false
log_level: warning
`

export function rulesArgs(rulesFiles: readonly string[]): string[] {
  return rulesFiles.flatMap((r) => ['-r', r])
}

export function optionArgs(options: readonly string[]): string[] {
  return options.flatMap((o) => ['-o', o])
}

/**
 * What Saker's stderr says about a failure: from its last `Error:` line on when there is one
 * (Saker's fatal errors start so), else its last lines; at most `lines` lines either way.
 */
export function stderrTail(stderr: string, lines = 6): string {
  const kept = stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '' && !/^(Syscall event drop monitoring:|\s+- )/.test(l))
  let from = -1
  for (let i = kept.length - 1; i >= 0; i--) {
    if (kept[i]!.startsWith('Error:')) {
      from = i
      break
    }
  }
  return (from >= 0 ? kept.slice(from, from + lines) : kept.slice(-lines)).join('\n')
}

/** The names of the rules the files define (and whether they load at all). */
export async function listRules(bin: string, config: TestConfig, rulesFiles: readonly string[], timeoutMs = 60_000): Promise<{ names: Set<string> } | { error: string }> {
  const run = await runSaker(bin, ['-c', config.path, ...rulesArgs(rulesFiles), '-L'], timeoutMs)
  if (run.timedOut) return { error: `listing the rules did not finish in ${timeoutMs / 1000} s` }
  if (run.code !== 0) return { error: stderrTail(run.stderr, 40) || `saker exited with code ${String(run.code)}` }
  try {
    const doc = JSON.parse(run.stdout) as { rules?: { info?: { name?: unknown } }[] }
    const names = new Set<string>()
    for (const r of doc.rules ?? []) if (typeof r.info?.name === 'string') names.add(r.info.name)
    return { names }
  } catch {
    return { error: `could not read the rule list Saker printed: ${run.stdout.slice(0, 200)}` }
  }
}

export type ReplayResult = { readonly alerts: Alert[] } | { readonly error: string }

/** Replays one capture through the rules files and returns its alerts. */
export async function replayCapture(
  bin: string, config: TestConfig, rulesFiles: readonly string[], capture: string, options: readonly string[], timeoutMs: number,
): Promise<ReplayResult> {
  const args = [
    '-c', config.path, ...rulesArgs(rulesFiles), '-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${capture}`,
    ...optionArgs(options),
  ]
  const run = await runSaker(bin, args, timeoutMs)
  if (run.timedOut) return { error: `the replay did not finish in ${timeoutMs / 1000} s (killed)` }
  if (run.code !== 0) {
    const why = run.signal !== null ? `was killed by ${run.signal}` : `exited with code ${String(run.code)}`
    const tail = stderrTail(run.stderr)
    return { error: `saker ${why}${tail !== '' ? ':\n' + tail : ''}` }
  }
  return { alerts: parseAlerts(run.stdout) }
}
