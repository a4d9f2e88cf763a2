// Saker live with Falco's rules (the three 3.2.0 files) against two workloads, each run
// first without Saker and then with it, in one go:
//
//   open+close   PAIRS openat+close pairs of one file; meanwhile 10 reads of /etc/shadow
//                (`cat`), spread over the run, must each raise "Read sensitive file untrusted"
//   fork+exec    FORKS fork+execve of /bin/true, each waited for
//
// Reported per workload: the loop's wall time without and with Saker and their ratio, the
// events Saker took from the probe per second of the loop, the drops the probe counted, and
// for open+close how many of the 10 reads were alerted. Reference on this machine (real
// Falco 0.40, same rules): open+close 2.5x with 42% drops and 4 of 10 reads alerted,
// fork+exec 1.08x. Needs root, `make build`, ../shared/falco/rules/3.2.0.
//
//   node dist/bench/live/falco-rules.bench.js [pairs] [forks]
//   SAKER_BENCH_BIN=/path/to/saker to run another build of the CLI
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PAIRS = Number(process.argv[2] ?? 2_000_000)
const FORKS = Number(process.argv[3] ?? 3000)
const READS = 10

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(d, 'package.json'))) d = dirname(d)
  return d
})()
const saker = process.env.SAKER_BENCH_BIN ?? join(root, 'bin', 'saker')
const rulesDir = join(root, '..', 'shared', 'falco', 'rules', '3.2.0')
const rules = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].flatMap(f => ['-r', join(rulesDir, f)])

const work = mkdtempSync(join(tmpdir(), 'saker-bench-'))
const openClose = join(work, 'open_close')
const forkExec = join(work, 'fork_exec')
execFileSync('gcc', ['-O2', '-o', openClose, join(root, 'bench', 'live', 'open_close.c')])
execFileSync('gcc', ['-O2', '-o', forkExec, join(root, 'bench', 'live', 'fork_exec.c')])
const target = join(work, 'target')
writeFileSync(target, 'x')

/** Runs a workload without blocking the event loop; resolves with its loop time in ns. */
function workload(exe: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d })
    child.on('error', reject)
    child.on('exit', code => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`${exe} exited ${code}`))))
  })
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

interface Running {
  alerts: () => { rule: string; cmdline: string }[]
  stop: () => Promise<{ events: number; drops: number; stderr: string }>
}

async function startSaker(): Promise<Running> {
  const child = spawn(process.execPath, [saker, ...rules, '-o', 'engine.kind=modern_ebpf', '-o', 'json_output=true',
    '-o', 'stdout_output.enabled=true', '-o', 'log_stderr=true', '-o', 'log_level=info', '-v'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const exited = new Promise<number | null>(r => child.on('exit', code => r(code)))
  for (let i = 0; i < 1200 && !stderr.includes('Live capture started'); i++) {
    if (child.exitCode !== null) throw new Error(`saker exited: ${stderr}`)
    await sleep(100)
  }
  if (!stderr.includes('Live capture started')) throw new Error(`saker did not start: ${stderr}`)
  return {
    alerts: () => stdout.split('\n').filter(l => l.startsWith('{')).map(l => {
      const a = JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> }
      return { rule: a.rule, cmdline: String(a.output_fields['proc.cmdline']) }
    }),
    stop: async () => {
      child.kill('SIGINT')
      await exited
      const events = Number(/Captured Events: (\d+)/.exec(stderr)?.[1] ?? NaN)
      const drops = Number(/Driver Drops:(\d+)/.exec(stderr)?.[1] ?? NaN)
      return { events, drops, stderr }
    },
  }
}

interface Row { name: string; baseNs: number; sakerNs: number; events: number; drops: number; note: string }

async function measure(name: string, exe: string, args: string[], during?: (ms: number) => Promise<void>): Promise<Row> {
  await workload(exe, args) // warm caches
  const baseNs = await workload(exe, args)
  const s = await startSaker()
  const before = s.alerts().length
  const run = workload(exe, args)
  const side = during ? during(baseNs / 1e6) : Promise.resolve()
  const sakerNs = await run
  await side
  await sleep(1500) // let the last events reach the rules
  const alerts = s.alerts().slice(before)
  const { events, drops } = await s.stop()
  let note = ''
  if (during) {
    const reads = alerts.filter(a => a.rule === 'Read sensitive file untrusted' && a.cmdline === 'cat /etc/shadow').length
    note = `${reads} of ${READS} /etc/shadow reads alerted`
  }
  return { name, baseNs, sakerNs, events, drops, note }
}

/** READS `cat /etc/shadow`, spread over about `ms`. */
async function shadowReads(ms: number): Promise<void> {
  for (let i = 0; i < READS; i++) {
    await sleep(ms / (READS + 1))
    await new Promise<void>(r => spawn('cat', ['/etc/shadow'], { stdio: 'ignore' }).on('exit', () => r()))
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the live benchmark needs root')
  if (!existsSync(join(rulesDir, 'falco_rules.yaml'))) throw new Error(`Falco's 3.2.0 rules are not at ${rulesDir}`)
  const rows = [
    await measure(`open+close x${PAIRS}`, openClose, [target, String(PAIRS)], shadowReads),
    await measure(`fork+exec x${FORKS}`, forkExec, [String(FORKS)]),
  ]
  console.log(`saker live, Falco 3.2.0 rules (falco, incubating, sandbox): ${saker}`)
  console.log('workload                 without ms   with ms   ratio   events/s to JS   drops   notes')
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(24)} ${(r.baseNs / 1e6).toFixed(0).padStart(10)} ${(r.sakerNs / 1e6).toFixed(0).padStart(9)} ` +
      `${(r.sakerNs / r.baseNs).toFixed(2).padStart(6)}x ${(r.events / (r.sakerNs / 1e9)).toExponential(2).padStart(16)} ` +
      `${String(r.drops).padStart(7)}   ${r.note}`,
    )
  }
  console.log('reference (Falco 0.40 here): open+close 2.50x, 42% drops, 4 of 10 reads alerted; fork+exec 1.08x')
}

main().catch(e => { console.error(e); process.exit(1) })
