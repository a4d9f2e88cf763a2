// Live cases: a command run as root while Saker watches the kernel.
//
// The runner only knows the LiveRunner interface, so the way live events are obtained can
// change (and tests can fake it). SakerLiveRunner is the implementation for Saker's own eBPF
// source: it starts `bin/saker -o engine.kind=modern_ebpf`, runs the command in a session of
// its own, stops Saker and keeps the alerts of that session. Where live capture cannot run
// (not root, no BTF), its availability check reports Saker's own refusal, and every live
// case is skipped with it.

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TestConfig, optionArgs, rulesArgs, stderrTail } from './saker.js'
import { parseAlerts } from './verdict.js'
import type { Alert } from './verdict.js'

export interface LiveRunRequest {
  readonly rulesFiles: readonly string[]
  /** Run with /bin/sh -c, as root. */
  readonly command: string
  /** Run with /bin/sh -c once Saker stopped watching (not observed). */
  readonly cleanup?: string
  /** -o overrides, each `key=value`. */
  readonly options: readonly string[]
  /** `session`: only alerts of the command's own processes; `system`: every alert while it ran. */
  readonly scope: 'session' | 'system'
  readonly timeoutMs: number
  readonly cwd: string
}

/** The alerts, and a note on how the command ended (shown when the case fails). */
export type LiveRunResult = { readonly alerts: Alert[]; readonly note?: string } | { readonly error: string }

export interface LiveRunner {
  /**
   * Whether live cases can run here: null when they can, else the reason they are skipped.
   * Called once per `saker test` run, before the first live case.
   */
  unavailable(rulesFiles: readonly string[]): Promise<string | null>
  run(req: LiveRunRequest): Promise<LiveRunResult>
  /** Releases what the runner holds (called once at the end). */
  close?(): Promise<void>
}

/** A runner for places without a live source: every live case is skipped with `reason`. */
export function noLiveRunner(reason: string): LiveRunner {
  return {
    unavailable: async () => reason,
    run: async () => ({ error: reason }),
  }
}

export interface SakerLiveOptions {
  readonly sakerBin: string
  /** How long Saker gets to start watching (ms); past it, the case fails. */
  readonly startupMs?: number
  /** What Saker's log (stderr, level info) says once events flow. */
  readonly readyPattern?: RegExp
  /** How long after the command ends Saker keeps reading, for the last events to arrive (ms). */
  readonly settleMs?: number
}

// The command runs in a session of its own (sid = the wrapper's pid, which `scope: session`
// keeps), as a grandchild whose parent exits first: its ancestry is then that of a process
// started by init, not `saker test`'s own (node, make, a CI shell...), which rules with
// ancestor exceptions (proc.aname[N] in build tools) would otherwise see. The subshell waits
// for the wrapper to be gone (and reaped) before running the command; $$ is the wrapper.
const DETACH = '( while kill -0 $$ 2>/dev/null; do :; done; /bin/sh -c "$1"; echo $? > "$2" ) & exit 0'

function readStatus(file: string): number | null {
  try {
    return Number(readFileSync(file, 'utf8').trim())
  } catch {
    return null // killed before it finished
  } finally {
    rmSync(file, { force: true })
  }
}

// The output field that carries each alert's session id, for `scope: session`.
const SID_FIELD = 'saker_test_sid'
const LIVE_CONFIG = `engine:
  kind: modern_ebpf
append_output:
  - match:
      source: syscall
    extra_fields:
      - ${SID_FIELD}: "%proc.sid"
`

export class SakerLiveRunner implements LiveRunner {
  private readonly config = new TestConfig(LIVE_CONFIG)
  private readonly startupMs: number
  private readonly settleMs: number
  private readonly readyPattern: RegExp

  constructor(private readonly opts: SakerLiveOptions) {
    this.startupMs = opts.startupMs ?? 60_000
    this.settleMs = opts.settleMs ?? 1000
    // Saker logs this once events flow (runLive).
    this.readyPattern = opts.readyPattern ?? /Live capture started/
  }

  async unavailable(rulesFiles: readonly string[]): Promise<string | null> {
    if (process.platform !== 'linux') return 'live cases need Linux'
    if (process.getuid?.() !== 0) return 'live cases run their command as root: run saker test as root'
    // Start Saker live for a moment: if the source cannot open, Saker says why and exits.
    const saker = await this.start(rulesFiles, [])
    if ('error' in saker) return `no live event source: ${saker.error}`
    await this.stop(saker.child)
    return null
  }

  async run(req: LiveRunRequest): Promise<LiveRunResult> {
    const saker = await this.start(req.rulesFiles, req.options)
    if ('error' in saker) return { error: `Saker did not start watching: ${saker.error}` }
    const status = join(this.config.dir, `status-${process.hrtime.bigint()}`)
    const cmd = spawn('/bin/sh', ['-c', DETACH, 'saker-test', req.command, status], { cwd: req.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let cmdErr = ''
    cmd.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (cmdErr.length < 4096) cmdErr += d
    })
    cmd.stdout?.resume()
    const sid = cmd.pid
    const timer = setTimeout(() => killGroup(cmd, 'SIGKILL'), req.timeoutMs)
    const [wrapperCode] = (await once(cmd, 'close')) as [number | null]
    clearTimeout(timer)
    const code = wrapperCode === null ? null : readStatus(status)
    await sleep(this.settleMs)
    const died = saker.child.exitCode !== null || saker.child.signalCode !== null
    const out = await this.stop(saker.child)
    if (req.cleanup !== undefined) await runQuietly(req.cleanup, req.cwd, req.timeoutMs)
    if (died) return { error: `Saker stopped while the command ran: ${stderrTail(out.stderr, 6) || `exit code ${String(saker.child.exitCode)}`}` }
    const all = parseAlerts(out.stdout)
    const alerts = req.scope === 'session' ? all.filter((a) => String(a.outputFields[SID_FIELD]) === String(sid)) : all
    if (code === null) return { error: `the command did not finish in ${req.timeoutMs / 1000} s (killed)` }
    const notes: string[] = []
    if (code !== 0) notes.push(`the command exited with ${code}${cmdErr.trim() !== '' ? ': ' + cmdErr.trim().split('\n').slice(-2).join(' / ') : ''}`)
    // when a case fails, say what else Saker saw: alerts of other sessions, or events it dropped
    if (alerts.length !== all.length) notes.push(`${all.length - alerts.length} alerts of other sessions (not session ${sid}): ${[...new Set(all.map((a) => a.rule))].slice(0, 5).join(', ')}`)
    const drops = /event drop detected: (\d+) occurrences/.exec(out.stderr)
    if (drops !== null && drops[1] !== '0') notes.push(`Saker saw ${drops[1]} event drops`)
    return notes.length === 0 ? { alerts } : { alerts, note: notes.join('; ') }
  }

  async close(): Promise<void> {
    this.config.dispose()
  }

  /** Starts Saker live and waits until it watches (or exits, saying why). */
  private async start(rulesFiles: readonly string[], options: readonly string[]): Promise<{ child: SakerChild } | { error: string }> {
    // log_level info: the readiness line is an info message.
    const args = ['-c', this.config.path, ...rulesArgs(rulesFiles), '-o', 'log_level=info', ...optionArgs(options)]
    const child = spawn(process.execPath, [this.opts.sakerBin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }) as SakerChild
    child.out = ''
    child.err = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (child.out += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (child.err += d))
    const exited = once(child, 'close').then(() => 'exited' as const)
    const ready = new Promise<'ready'>((res) => {
      child.stderr!.on('data', () => {
        if (this.readyPattern.test(child.err)) res('ready')
      })
    })
    const cancel = new AbortController()
    const waited = sleep(this.startupMs, 'waited' as const, { signal: cancel.signal }).catch(() => 'cancelled' as const)
    const first = await Promise.race([exited, ready, waited])
    cancel.abort() // the timer must not keep the runner alive
    if (first === 'exited') return { error: stderrTail(child.err, 3) || `saker exited with code ${String(child.exitCode)}` }
    if (first === 'waited') {
      await this.stop(child)
      return { error: `Saker did not report that it watches (${String(this.readyPattern)}) within ${this.startupMs / 1000} s: ${stderrTail(child.err, 3)}` }
    }
    return { child }
  }

  /** Stops Saker as a user does (SIGINT: outputs are flushed), then SIGKILL. */
  private async stop(child: SakerChild): Promise<{ stdout: string; stderr: string }> {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = once(child, 'close')
      child.kill('SIGINT')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await closed
      clearTimeout(t)
    }
    return { stdout: child.out, stderr: child.err }
  }
}

type SakerChild = ChildProcess & { out: string; err: string }

/** Runs a command to its end (or its timeout), ignoring what it prints. */
async function runQuietly(command: string, cwd: string, timeoutMs: number): Promise<void> {
  const c = spawn('/bin/sh', ['-c', command], { cwd, detached: true, stdio: 'ignore' })
  const timer = setTimeout(() => killGroup(c, 'SIGKILL'), timeoutMs)
  await once(c, 'close')
  clearTimeout(timer)
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}
