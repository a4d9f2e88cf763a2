// Shared by the end-to-end tests: whether they can run here, Saker started live as a
// separate process (as a user starts it), its alerts, and the host's loaded BPF programs.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository root (tests run from dist/test/e2e). */
export const ROOT = (() => {
  let d = here
  while (!existsSync(join(d, 'package.json'))) d = dirname(d)
  return d
})()
export const SHARED = process.env.SAKER_SHARED ?? join(ROOT, '..', 'shared')
const RULES_DIR = join(SHARED, 'falco', 'rules', 'latest')
/** Falco's three syscall rules files, as -r arguments (paths relative to the repository root). */
export const RULES_ARGS = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']
  .flatMap(f => ['-r', join('..', 'shared', 'falco', 'rules', 'latest', f)])
/** The saker command; SAKER_E2E_BIN points elsewhere (a build with other wiring). */
export const SAKER_BIN = process.env.SAKER_E2E_BIN ?? join(ROOT, 'bin', 'saker')

/** Why the end-to-end tests cannot run here, or null when they can (`falcoRules`: they need Falco's rules files). */
export function skipReason({ falcoRules = true } = {}): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the probe is built for x86_64 Linux'
  if (process.getuid?.() !== 0) return 'live capture needs root'
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'this kernel has no BTF (/sys/kernel/btf/vmlinux)'
  if (!existsSync(join(ROOT, 'driver', 'build', 'saker.node'))) return 'the driver is not built: run make build'
  if (falcoRules && !existsSync(join(RULES_DIR, 'falco_rules.yaml'))) return `Falco's rules are not at ${RULES_DIR} (../shared is absent)`
  if (spawnSync('bpftool', ['version']).status !== 0) return 'bpftool is not installed'
  return null
}

let progDir: string | null = null
/** test/e2e/progs/<name>.c compiled once per process. */
export function prog(name: string): string {
  progDir ??= mkdtempSync(join(tmpdir(), 'saker-e2e-progs-'))
  const out = join(progDir, name)
  if (!existsSync(out)) execFileSync('gcc', ['-O1', '-o', out, join(ROOT, 'test', 'e2e', 'progs', `${name}.c`)], { stdio: 'pipe' })
  return out
}

export interface Alert {
  rule: string
  priority: string
  output: string
  output_fields: Record<string, string | number | boolean | null>
}

/** The arguments that start saker as `make run` does: its default configuration and rules. */
export const DEFAULT_CONFIG_ARGS = ['-c', 'config/saker.yaml']

/** A running `saker` with its alerts (JSON lines on stdout) and its log (stderr). */
export class Saker {
  readonly alerts: Alert[] = []
  stderr = ''
  stdout = ''
  private readonly child: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private waiters: (() => void)[] = []

  /** `rules`: what selects the rules (Falco's files by default, or DEFAULT_CONFIG_ARGS). */
  constructor(args: readonly string[], rules: readonly string[] = RULES_ARGS) {
    this.child = spawn(process.execPath, [SAKER_BIN, ...rules, '-o', 'engine.kind=modern_ebpf', '-o', 'json_output=true',
      '-o', 'stdout_output.enabled=true', '-o', 'log_stderr=true', '-o', 'log_level=info', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let partial = ''
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d
      partial += d
      const lines = partial.split('\n')
      partial = lines.pop()!
      for (const l of lines) if (l.startsWith('{')) this.alerts.push(JSON.parse(l) as Alert)
      this.wake()
    })
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d
      this.wake()
    })
    this.exited = new Promise(resolve => this.child.on('exit', (code, signal) => {
      this.wake()
      resolve({ code, signal })
    }))
  }

  get pid(): number {
    return this.child.pid!
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Waits until `cond` holds, re-checking on output; throws after `ms`. */
  async until(cond: () => boolean, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms
    while (!cond()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`saker exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}:\n${this.stderr.slice(-3000)}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; saker's log:\n${this.stderr.slice(-3000)}`)
      await new Promise<void>(r => {
        const t = setTimeout(r, Math.min(left, 100))
        this.waiters.push(() => { clearTimeout(t); r() })
      })
    }
  }

  /** Resolves once events flow ("Live capture started" in the log). */
  ready(ms = 60_000): Promise<void> {
    return this.until(() => this.stderr.includes('Live capture started'), 'saker to start', ms)
  }

  /** The first alert of `rule` that `pred` accepts, waiting up to `ms`. */
  async alert(rule: string, pred: (a: Alert) => boolean = () => true, ms = 10_000): Promise<Alert> {
    let found: Alert | undefined
    await this.until(() => (found = this.alerts.find(a => a.rule === rule && pred(a))) !== undefined, `an alert of rule "${rule}"`, ms)
    return found!
  }

  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exited
  }
}

/** Why saker cannot run live through SAKER_BIN (not wired yet...), or null. */
export function wiringProblem(stderr: string): string | null {
  const m = /engine\.kind '[^']+' is not available in this build of Saker yet/.exec(stderr)
  return m ? `${SAKER_BIN} does not run live yet (${m[0]}); set SAKER_E2E_BIN to a build that calls runLive` : null
}

interface BpfProg { id: number; name?: string; type?: string }

/** The host's loaded BPF programs. */
export function loadedProgs(): BpfProg[] {
  return JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'list'], { encoding: 'utf8' })) as BpfProg[]
}

/** Programs loaded since `before` (ids) whose names are Saker's probe's. */
export function newSakerProgs(before: ReadonlySet<number>): BpfProg[] {
  return loadedProgs().filter(p => !before.has(p.id) && p.type === 'tracing' && /^(sys_exit|sys_enter|sched_|sx_|se_)/.test(p.name ?? ''))
}

/** Waits until none of `ids` is loaded; returns those still loaded after `ms`. */
export async function waitUnloaded(ids: readonly number[], ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const loaded = new Set(loadedProgs().map(p => p.id))
    const left = ids.filter(id => loaded.has(id))
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise(r => setTimeout(r, 100))
  }
}
