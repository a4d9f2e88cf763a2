// Raw event rate of the live driver: a child process does PAIRS openat+close pairs on one
// file while this process takes the events from the addon (counting them, and pointing an
// EventView at each, as a decoder would). Three runs of the same workload, in one go:
//
//   baseline     no probe loaded
//   filtered     probe attached, openat/close not selected: the one map lookup per syscall
//   selected     probe attached, openat and close selected: events built, copied, delivered
//
// Reported: the workload's own loop time (process start excluded) and its ratio to the
// baseline, the events delivered to JS per second of that time, and the drops the probe
// counted (ring buffer full). Needs root and `make -C driver`.
//
//   node dist/bench/live/open-close.bench.js [pairs] [ringMiB]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EventView } from '../../src/events/event.js'
import { openLive, type LiveSource } from '../../src/sources/live/live.js'
import { selectNames } from '../../src/sources/live/select.js'

const PAIRS = Number(process.argv[2] ?? 2_000_000)
const RING_MIB = Number(process.argv[3] ?? 64)

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
function workload(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, [file, String(PAIRS)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d })
    child.on('error', reject)
    child.on('exit', code => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`workload exited ${code}`))))
  })
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

interface Run { name: string; ns: number; delivered: number; sent: number; dropped: number; batches: number }

async function withProbe(name: string, names: string[]): Promise<Run> {
  const live: LiveSource = openLive({ selection: selectNames(names), ringBytes: RING_MIB << 20, batchBytes: 4 << 20 })
  const view = new EventView()
  let delivered = 0
  let batches = 0
  let types = 0
  live.start((buf, offsets, count) => {
    batches++
    for (let i = 0; i < count; i++) types += view.reset(buf, offsets[i]!).type
    delivered += count
  })
  try {
    const before = live.stats()
    const ns = await workload()
    // drain: wait until everything the probe sent has reached JS
    for (let i = 0; i < 200; i++) {
      const s = live.stats()
      if (s.events - before.events <= delivered) break
      await sleep(10)
    }
    const after = live.stats()
    if (types < 0) console.log(types) // keep the reads alive
    return { name, ns, delivered, sent: after.events - before.events, dropped: after.dropsBuffer - before.dropsBuffer, batches }
  } finally {
    live.stop()
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the live benchmark needs root')
  await workload() // warm the page cache and the binary
  const runs: Run[] = []
  runs.push({ name: 'baseline (no probe)', ns: await workload(), delivered: 0, sent: 0, dropped: 0, batches: 0 })
  runs.push(await withProbe('filtered (attached, not selected)', ['execve']))
  runs.push(await withProbe('selected (openat + close)', ['openat', 'close']))
  const base = runs[0]!.ns
  console.log(`live driver: ${PAIRS} openat+close pairs of one file, ring ${RING_MIB} MiB`)
  console.log('run                                  wall ms   ratio   events to JS   events/s     drops   batches')
  for (const r of runs) {
    const s = r.ns / 1e9
    console.log(
      `${r.name.padEnd(36)} ${(r.ns / 1e6).toFixed(0).padStart(7)} ${(r.ns / base).toFixed(2).padStart(7)}x ` +
      `${String(r.delivered).padStart(13)} ${(r.delivered / s).toExponential(2).padStart(10)} ` +
      `${String(r.dropped).padStart(9)} ${String(r.batches).padStart(9)}`,
    )
  }
}

main().catch(e => { console.error(e); process.exit(1) })
