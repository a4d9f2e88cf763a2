// `saker test <rules-file>... --cases <file|dir>`: runs rule test cases and reports like a
// test runner. Falco has no equivalent; the case format is described in cases.ts.
//
// Exit codes: 0 when no case failed (skipped cases are reported, not failures, unless
// --strict), 1 when a case failed, 2 when the run could not start (bad arguments, a malformed
// cases file, rules files that do not load).

import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { delimiter, join } from 'node:path'
import { CasesFileError, formatProblem, parseCasesFile } from './cases.js'
import type { RuleTestCase } from './cases.js'
import { SakerLiveRunner } from './live.js'
import type { LiveRunner } from './live.js'
import { TestConfig, defaultSakerBin, listRules, replayCapture } from './saker.js'
import type { ReplayResult } from './saker.js'
import { judge } from './verdict.js'
import type { Alert } from './verdict.js'

export interface ReplayRequest {
  readonly rulesFiles: readonly string[]
  readonly capture: string
  readonly options: readonly string[]
  readonly timeoutMs: number
}

/** What runRuleTests uses from the outside world; tests replace some of it. */
export interface RuleTestDeps {
  readonly write: (text: string) => void
  readonly writeError: (text: string) => void
  readonly sakerBin: string
  /** Live cases go through this; the default starts Saker's eBPF source. */
  readonly liveRunner: LiveRunner
  /** Replays a capture through the rules; the default spawns bin/saker. */
  readonly replay: (req: ReplayRequest) => Promise<ReplayResult>
  /** The rules the files define, or why they do not load; the default spawns bin/saker -L. */
  readonly listRules: (rulesFiles: readonly string[]) => Promise<{ names: Set<string> } | { error: string }>
  /** Replays run at once. */
  readonly jobs: number
}

export const USAGE = `Usage: saker test <rules-file>... --cases <file|dir> [--cases ...] [options]

Runs rule test cases: each case replays a capture file (capture:) or runs a shell command
live as root (run:) with the rules files loaded, then checks the alerts it must raise
(expect:) and must not raise (forbid:, expect_none:). A directory given to --cases
contributes its *.yaml and *.yml files.

Options:
  --cases PATH     a cases file, or a directory of them (repeatable, required)
  --filter TEXT    run only the cases whose name contains TEXT (case-insensitive)
  --no-live        skip live (run:) cases
  --strict         count skipped cases as failures in the exit code
  --jobs N         replays run at once (default: the number of CPUs, at most 8)
  -v, --verbose    print every alert of the cases that fail
  -h, --help       this text

Exit code: 0 when no case failed, 1 when one did, 2 when the run could not start.`

interface Args {
  rulesFiles: string[]
  cases: string[]
  filter: string | undefined
  noLive: boolean
  strict: boolean
  jobs: number | undefined
  verbose: boolean
  help: boolean
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { rulesFiles: [], cases: [], filter: undefined, noLive: false, strict: false, jobs: undefined, verbose: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1)
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${name} needs a value`)
      return v
    }
    switch (name) {
      case '-h': case '--help': a.help = true; break
      case '--cases': a.cases.push(value()); break
      case '--filter': a.filter = value(); break
      case '--no-live': a.noLive = true; break
      case '--strict': a.strict = true; break
      case '-v': case '--verbose': a.verbose = true; break
      case '--jobs': {
        const v = value()
        const n = Number(v)
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--jobs takes a whole number from 1 to 256, not '${v}'`)
        a.jobs = n
        break
      }
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`)
        a.rulesFiles.push(arg)
    }
  }
  return a
}

/** The cases files a --cases argument names: the file, or a directory's YAML files by name. */
function casesFilesOf(path: string): string[] {
  if (!existsSync(path)) throw new UsageError(`cases file or directory '${path}' not found`)
  if (!statSync(path).isDirectory()) return [path]
  const files = readdirSync(path).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort().map((f) => join(path, f))
  if (files.length === 0) throw new UsageError(`no *.yaml cases files in directory '${path}'`)
  return files
}

type Outcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly reasons: readonly string[]; readonly alerts?: readonly Alert[] }
  | { readonly status: 'skip'; readonly reason: string; readonly live?: boolean }

const DEFAULT_REPLAY_TIMEOUT_MS = 120_000
const DEFAULT_LIVE_TIMEOUT_MS = 60_000

/**
 * Runs `saker test` with the arguments after `test`. Returns the exit code; output goes to
 * stdout (results) and stderr (problems), or where `deps` sends it.
 */
export async function runRuleTests(args: string[], deps: Partial<RuleTestDeps> = {}): Promise<number> {
  const write = deps.write ?? ((s: string) => void process.stdout.write(s))
  const writeError = deps.writeError ?? ((s: string) => void process.stderr.write(s))
  let a: Args
  try {
    a = parseArgs(args)
    if (a.help) {
      write(USAGE + '\n')
      return 0
    }
    if (a.rulesFiles.length === 0) throw new UsageError('give at least one rules file')
    if (a.cases.length === 0) throw new UsageError('give the cases to run with --cases')
    for (const r of a.rulesFiles) if (!existsSync(r)) throw new UsageError(`rules file '${r}' not found`)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    writeError(`saker test: ${e.message}\n${USAGE}\n`)
    return 2
  }

  // Read every cases file, reporting all the problems of all of them at once.
  let cases: RuleTestCase[] = []
  const problems: string[] = []
  try {
    for (const path of a.cases.flatMap(casesFilesOf)) {
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch (e) {
        problems.push(`${path}: cannot read: ${(e as Error).message}`)
        continue
      }
      try {
        cases.push(...parseCasesFile(path, text))
      } catch (e) {
        if (!(e instanceof CasesFileError)) throw e
        problems.push(...e.problems.map(formatProblem))
      }
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    writeError(`saker test: ${e.message}\n`)
    return 2
  }
  if (problems.length > 0) {
    writeError(`saker test: malformed cases file${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`)
    return 2
  }
  const total = cases.length
  if (a.filter !== undefined) {
    const f = a.filter.toLowerCase()
    cases = cases.filter((c) => c.name.toLowerCase().includes(f))
    if (cases.length === 0) {
      writeError(`saker test: no case name contains '${a.filter}' (of ${total} cases)\n`)
      return 2
    }
  }

  const sakerBin = deps.sakerBin ?? defaultSakerBin()
  let config: TestConfig | undefined
  const needConfig = deps.replay === undefined || deps.listRules === undefined
  if (needConfig) config = new TestConfig()
  const live = deps.liveRunner ?? (a.noLive ? undefined : new SakerLiveRunner({ sakerBin }))
  try {
    const list = deps.listRules ?? ((files: readonly string[]) => listRules(sakerBin, config!, files))
    const listed = await list(a.rulesFiles)
    if ('error' in listed) {
      writeError(`saker test: the rules files do not load:\n${indent(listed.error, '  ')}\n`)
      return 2
    }
    const replay = deps.replay ?? ((r: ReplayRequest) => replayCapture(sakerBin, config!, r.rulesFiles, r.capture, r.options, r.timeoutMs))

    const files = [...new Set(cases.map((c) => c.file))]
    write(`saker test: ${plural(a.rulesFiles.length, 'rules file')} (${plural(listed.names.size, 'rule')}), ` +
      `${plural(files.length, 'cases file')}, ${plural(cases.length, 'case')}` +
      (cases.length !== total ? ` (of ${total}, --filter ${a.filter})` : '') + '\n')

    // Live cases: are they possible at all? Asked once, only when some would run.
    let liveSkip: string | undefined
    const wantsLive = cases.some((c) => c.source.kind === 'run' && c.skip === undefined)
    if (wantsLive) {
      if (a.noLive) liveSkip = '--no-live given'
      else liveSkip = (await live!.unavailable(a.rulesFiles)) ?? undefined
    }

    const outcomes = schedule(cases, {
      rulesFiles: a.rulesFiles, known: listed.names, replay, live, liveSkip,
      jobs: deps.jobs ?? a.jobs ?? Math.max(1, Math.min(8, availableParallelism())),
    })

    let passed = 0
    let failed = 0
    let skipped = 0
    let liveSkipped = 0
    let currentFile = ''
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!
      const o = await outcomes[i]!
      if (c.file !== currentFile) {
        currentFile = c.file
        write(`\n${c.file}\n`)
      }
      if (o.status === 'pass') {
        passed++
        write(`  ✔ ${c.name}\n`)
      } else if (o.status === 'fail') {
        failed++
        write(`  ✖ ${c.name}  (${c.file}:${c.line})\n${o.reasons.map((r) => indent(r, '      ')).join('\n')}\n`)
        if (a.verbose && o.alerts !== undefined) {
          write(o.alerts.length === 0 ? '      (no alerts)\n' : o.alerts.map((x) => `      | ${x.rule}: ${x.output}\n`).join(''))
        }
      } else {
        skipped++
        if (o.live === true) liveSkipped++
        const why = o.live !== true ? o.reason : a.noLive ? '--no-live' : 'no live source'
        write(`  - ${c.name} (skipped: ${why})\n`)
      }
    }
    write('\n')
    if (liveSkipped > 0 && liveSkip !== undefined) write(`${plural(liveSkipped, 'live case')} skipped: ${liveSkip}\n`)
    write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`)
    return failed > 0 || (a.strict && skipped > 0) ? 1 : 0
  } finally {
    config?.dispose()
    if (deps.liveRunner === undefined) await live?.close?.()
  }
}

interface Plan {
  readonly rulesFiles: readonly string[]
  readonly known: ReadonlySet<string>
  readonly replay: (req: ReplayRequest) => Promise<ReplayResult>
  readonly live: LiveRunner | undefined
  readonly liveSkip: string | undefined
  readonly jobs: number
}

/**
 * Starts every case, replays at most `jobs` at a time and live cases one after another (they
 * watch the whole machine), and returns their outcomes in case order. Cases that replay the
 * same capture with the same options share one replay.
 */
function schedule(cases: readonly RuleTestCase[], plan: Plan): Promise<Outcome>[] {
  const limit = limiter(plan.jobs)
  const replays = new Map<string, Promise<ReplayResult>>()
  let liveChain: Promise<unknown> = Promise.resolve()

  return cases.map((c): Promise<Outcome> => {
    const pre = precheck(c, plan)
    if (pre !== undefined) return Promise.resolve(pre)
    if (c.source.kind === 'capture') {
      const src = c.source
      const key = JSON.stringify([src.path, c.options, c.timeoutMs])
      let r = replays.get(key)
      if (r === undefined) {
        r = limit(() => plan.replay({
          rulesFiles: plan.rulesFiles, capture: src.path, options: c.options, timeoutMs: c.timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS,
        }))
        replays.set(key, r)
      }
      return r.then((res) => verdict(c, res, plan.known), (e: unknown) => ({ status: 'fail', reasons: [`replay failed: ${String(e)}`] }))
    }
    const { command, cleanup } = c.source
    const run = liveChain.then(() => plan.live!.run({
      rulesFiles: plan.rulesFiles, command, options: c.options, scope: c.scope, cwd: c.root,
      timeoutMs: c.timeoutMs ?? DEFAULT_LIVE_TIMEOUT_MS, ...(cleanup !== undefined ? { cleanup } : {}),
    }))
    liveChain = run.catch(() => undefined)
    return run.then((res) => verdict(c, res, plan.known), (e: unknown) => ({ status: 'fail', reasons: [`live run failed: ${String(e)}`] }))
  })
}

/** The outcome a case has before anything runs (a skip), if any. */
function precheck(c: RuleTestCase, plan: Plan): Outcome | undefined {
  if (c.skip !== undefined) return { status: 'skip', reason: c.skip }
  if (c.source.kind === 'run' && plan.liveSkip !== undefined) return { status: 'skip', reason: plan.liveSkip, live: true }
  if (c.source.kind === 'capture' && !existsSync(c.source.path)) return { status: 'skip', reason: `capture ${c.source.shown} not found` }
  const missing = c.requires.filter((p) => !onPath(p))
  if (missing.length > 0) return { status: 'skip', reason: `needs ${missing.join(', ')} (not found on PATH)` }
  return undefined
}

function verdict(c: RuleTestCase, res: { alerts: Alert[]; note?: string } | { error: string }, known: ReadonlySet<string>): Outcome {
  if ('error' in res) return { status: 'fail', reasons: [res.error] }
  const reasons = judge(c, res.alerts, known)
  if (reasons.length === 0) return { status: 'pass' }
  return { status: 'fail', reasons: res.note !== undefined ? [...reasons, res.note] : reasons, alerts: res.alerts }
}

/** Runs at most n of the given tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0
  const queue: (() => void)[] = []
  const next = (): void => {
    if (running >= n) return
    const start = queue.shift()
    if (start !== undefined) start()
  }
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolveTask, rejectTask) => {
      queue.push(() => {
        running++
        task().then(resolveTask, rejectTask).finally(() => {
          running--
          next()
        })
      })
      next()
    })
}

function onPath(program: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, program), constants.X_OK)
      return true
    } catch {
      // not here
    }
  }
  return false
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function indent(text: string, pad: string): string {
  return text.split('\n').map((l) => pad + l).join('\n')
}
