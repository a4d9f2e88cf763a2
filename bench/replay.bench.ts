// Replay throughput: a large capture made by repeating the events of a real one, replayed
// by `bin/saker` with Falco's 3.2.0 rules, next to `sysdig -r FILE evt.type=open` on the same
// file in the same run (the reference ratio: Falco 0.40 takes 2.2x sysdig's time).
// Prints events per second, wall time, peak RSS and alerts for each.
//
//   make bench            (or: node dist/bench/replay.bench.js [capture] [repeats] [runs])
//
// With runs > 1 each command runs that many times, alternating, and the fastest run of each
// is shown: on a shared machine the minimum is the steadiest figure.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { blockKind, BLOCK_FRAMING } from '../src/capture/blocks.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const shared = process.env.SAKER_SHARED ?? path.join(root, '..', 'shared')
const source = process.argv[2] ?? path.join(shared, 'falco/traces/run_as_user_0_container.scap')
const repeats = Number(process.argv[3] ?? 500)
const runs = Math.max(1, Number(process.argv[4] ?? 1))
const rules = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => path.join(shared, 'falco/rules/3.2.0', f))

/** The capture with its event blocks repeated: metadata once, then the events `n` times. */
function repeatEvents(file: string, n: number): Buffer {
  let bytes = fs.readFileSync(file)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes)
  const meta: Buffer[] = []
  const events: Buffer[] = []
  for (let off = 0; off + BLOCK_FRAMING <= bytes.length; ) {
    const type = bytes.readUInt32LE(off)
    const len = bytes.readUInt32LE(off + 4)
    const block = bytes.subarray(off, off + len)
    ;(blockKind(type) === 'ev' ? events : meta).push(block)
    off += len
  }
  const ev = Buffer.concat(events)
  return Buffer.concat([...meta, ...new Array<Buffer>(n).fill(ev)])
}

/** Runs a command under GNU time; returns wall seconds, peak RSS in MB and stdout. */
function timed(cmd: string, args: string[]): { wall: number; rssMb: number; stdout: string } {
  const out = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
  if (out.status !== 0) throw new Error(`${cmd} failed: ${out.stderr.slice(-2000)}`)
  const [wall, rss] = out.stderr.trim().split('\n').pop()!.split(' ').map(Number)
  return { wall: wall!, rssMb: rss! / 1024, stdout: out.stdout }
}

// bin/saker runs dist/saker.cjs only when it is newer than dist/src (see bin/saker)
const bundle = path.join(root, 'dist/saker.cjs')
if (!fs.existsSync(bundle) || fs.statSync(bundle).mtimeMs < fs.statSync(path.join(root, 'dist/src/cli/main.js')).mtimeMs) {
  console.log('note: dist/saker.cjs is missing or older than dist/src: bin/saker loads the ES modules (make build, or node scripts/bundle.mjs after tsc)')
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saker-bench-'))
try {
  const big = path.join(dir, 'big.scap')
  fs.writeFileSync(big, repeatEvents(source, repeats))
  // the event count after conversion, from a run with every rule disabled (-v prints it)
  const counted = spawnSync(path.join(root, 'bin/saker'), ['-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${big}`, '-o', 'stdout_output.enabled=true', '-r', rules[0]!, '-v', '-o', 'rules[].disable.rule=*'], { encoding: 'utf8' })
  const count = Number(/Captured Events: (\d+)/.exec(counted.stderr)?.[1] ?? NaN)
  console.log(`capture: ${path.basename(source)} events repeated ${repeats}x: ${count} events after conversion, ${(fs.statSync(big).size / 1e6).toFixed(1)} MB`)

  const fastest = (a: ReturnType<typeof timed> | null, b: ReturnType<typeof timed>) => (a === null || b.wall < a.wall ? b : a)
  let sysdig: ReturnType<typeof timed> | null = null
  let saker: ReturnType<typeof timed> | null = null
  for (let i = 0; i < runs; i++) {
    sysdig = fastest(sysdig, timed('sysdig', ['-r', big, 'evt.type=open']))
    saker = fastest(saker, timed(path.join(root, 'bin/saker'), [
      ...rules.flatMap((r) => ['-r', r]),
      '-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${big}`, '-o', 'stdout_output.enabled=true', '-o', 'json_output=true',
    ]))
  }
  if (sysdig === null || saker === null) throw new Error('no run')
  const alerts = saker.stdout.split('\n').filter((l) => l.startsWith('{')).length
  const row = (name: string, r: { wall: number; rssMb: number }) =>
    `${name.padEnd(34)} ${r.wall.toFixed(2).padStart(6)} s  ${(count / r.wall / 1e6).toFixed(2).padStart(5)} M events/s  peak RSS ${r.rssMb.toFixed(0).padStart(4)} MB`
  console.log(row('sysdig -r FILE evt.type=open', sysdig))
  console.log(row('saker replay, Falco 3.2.0 rules', saker) + `  alerts ${alerts}`)
  console.log(`ratio saker/sysdig: ${(saker.wall / sysdig.wall).toFixed(2)}x (Falco 0.40.0 measured 2.2x on this workload)`)
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
