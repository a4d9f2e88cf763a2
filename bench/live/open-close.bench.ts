// Raw event rate of the live driver: a child process does PAIRS openat+close pairs on one
// file while this process takes the events from the addon (counting them, and pointing an
// EventView at each, as a decoder would). Three runs of the same workload, in one go:
//
//   baseline     no probe loaded
//   filtered     probe attached, openat/close not selected: the one map lookup per syscall
//   selected     probe attached, openat and close selected: events built, copied, delivered
//   quiet        the same, with the file's openat as a quiet open (src/engine/quiet-opens.ts):
//                the probe holds back its openat and close events
//
// The three alternate for ROUNDS rounds (the machine is shared: other work slows single
// runs by whole factors); each row is the run's fastest round, its ratio to the fastest
// baseline, and the spread (slowest / fastest) of its rounds. Also: the events delivered
// to JS per second of the workload's own loop time (process start excluded), the drops
// the probe counted (ring buffer full), and, when `sysctl kernel.bpf_stats_enabled=1`,
// the time the probe's sys_exit programs ran per syscall (bpftool run_time_ns / run_cnt).
// Needs root and `make -C driver`.
//
//   node dist/bench/live/open-close.bench.js [pairs] [ringMiB] [rounds]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EventView } from '../../src/events/event.js'
import { PPME } from '../../src/events/table.js'
import { QUIET_FLAGS_NOT_IN_KEY } from '../../src/sources/live/layout.js'
import { openLive, type LiveSource } from '../../src/sources/live/live.js'
import { selectNames } from '../../src/sources/live/select.js'

const PAIRS = Number(process.argv[2] ?? 2_000_000)
const RING_MIB = Number(process.argv[3] ?? 64)
const ROUNDS = Number(process.argv[4] ?? 3)

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url))
  while (!d.endsWith('dist') && dirname(d) !== d) d = dirname(d)
  return dirname(d)
})()
const work = mkdtempSync(join(tmpdir(), 'saker-bench-'))
const exe = join(work, 'open_close')
execFileSync('gcc', ['-O2', '-o', exe, join(root, 'bench', 'live', 'open_close.c')])
const file = join(work, 'target')
writeFileSync(file, 'x')

/** Runs the workload without blocking the event loop; resolves with its loop time in ns. */
function workload(pairs = PAIRS): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, [file, String(pairs)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d })
    child.on('error', reject)
    child.on('exit', code => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`workload exited ${code}`))))
  })
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

interface Run { name: string; ns: number; delivered: number; sent: number; dropped: number; batches: number; probeNs: number }

const bpfStats = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1'

/** Total run time and runs of the sys_exit programs among `ids` (0s without bpf stats). */
function sysExitRuns(ids: number[]): { ns: number; runs: number } {
  const out = { ns: 0, runs: 0 }
  if (!bpfStats) return out
  for (const id of ids) {
    const p = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'id', String(id)], { encoding: 'utf8' })) as
      { name: string; run_time_ns?: number; run_cnt?: number }
    if (p.name !== 'sys_exit') continue
    out.ns += p.run_time_ns ?? 0
    out.runs += p.run_cnt ?? 0
  }
  return out
}

async function withProbe(name: string, names: string[], quiet = false): Promise<Run> {
  const live: LiveSource = openLive({ selection: selectNames(names), ringBytes: RING_MIB << 20, batchBytes: 4 << 20, quietOpens: quiet })
  const progIds = live.info().progIds
  const view = new EventView()
  let delivered = 0
  let batches = 0
  let types = 0
  let flags = -1
  live.start((buf, offsets, count) => {
    batches++
    for (let i = 0; i < count; i++) {
      types += view.reset(buf, offsets[i]!).type
      if (quiet && view.type === PPME.SYSCALL_OPENAT_2_X && view.str(2) === file) flags = view.u32(3) & ~QUIET_FLAGS_NOT_IN_KEY
    }
    delivered += count
  })
  try {
    if (quiet) {
      // one pair sent as usual gives the key's flags, as the engine would learn them
      await workload(1)
      while (flags < 0) await sleep(10)
      live.quietOpen(flags, 'open_close', Buffer.from(file))
      await sleep(50)
      delivered = 0
      batches = 0
    }
    const before = live.stats()
    const runsBefore = sysExitRuns(progIds)
    const ns = await workload()
    const runsAfter = sysExitRuns(progIds)
    // drain: wait until everything the probe sent has reached JS
    for (let i = 0; i < 200; i++) {
      const s = live.stats()
      if (s.events - before.events <= delivered) break
      await sleep(10)
    }
    const after = live.stats()
    if (types < 0) console.log(types) // keep the reads alive
    const runs = runsAfter.runs - runsBefore.runs
    const probeNs = runs > 0 ? (runsAfter.ns - runsBefore.ns) / runs : NaN
    return { name, ns, delivered, sent: after.events - before.events, dropped: after.dropsBuffer - before.dropsBuffer, batches, probeNs }
  } finally {
    live.stop()
  }
}

/** The fastest of a run's rounds, with the slowest / fastest spread. */
function best(rounds: Run[]): Run & { spread: number } {
  const sorted = [...rounds].sort((a, b) => a.ns - b.ns)
  return { ...sorted[0]!, spread: sorted[sorted.length - 1]!.ns / sorted[0]!.ns }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the live benchmark needs root')
  await workload() // warm the page cache and the binary
  const rounds: Run[][] = [[], [], [], []]
  for (let r = 0; r < ROUNDS; r++) {
    rounds[0]!.push({ name: 'baseline (no probe)', ns: await workload(), delivered: 0, sent: 0, dropped: 0, batches: 0, probeNs: NaN })
    rounds[1]!.push(await withProbe('filtered (attached, not selected)', ['execve']))
    rounds[2]!.push(await withProbe('selected (openat + close)', ['openat', 'close']))
    rounds[3]!.push(await withProbe('quiet (openat + close, quiet file)', ['openat', 'close'], true))
  }
  const runs = rounds.map(best)
  const base = runs[0]!.ns
  console.log(`live driver: ${PAIRS} openat+close pairs of one file, ring ${RING_MIB} MiB, fastest of ${ROUNDS} rounds`)
  console.log('run                                  wall ms   ratio  spread   events to JS   events/s     drops   batches  probe ns/syscall')
  for (const r of runs) {
    const s = r.ns / 1e9
    console.log(
      `${r.name.padEnd(36)} ${(r.ns / 1e6).toFixed(0).padStart(7)} ${(r.ns / base).toFixed(2).padStart(7)}x ${r.spread.toFixed(2).padStart(6)} ` +
      `${String(r.delivered).padStart(13)} ${(r.delivered / s).toExponential(2).padStart(10)} ` +
      `${String(r.dropped).padStart(9)} ${String(r.batches).padStart(9)} ${Number.isNaN(r.probeNs) ? '-' : r.probeNs.toFixed(0).padStart(17)}`,
    )
  }
}

main().catch(e => { console.error(e); process.exit(1) })
