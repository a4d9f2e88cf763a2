// Shared by the live tests: whether the probe can run here, the tiny programs that each
// do one thing, and an event collector that keeps a copy of every event.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EventView } from '../../src/events/event.js'
import { addonPath } from '../../src/sources/live/addon.js'
import type { LiveSource } from '../../src/sources/live/live.js'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository root (tests run from dist/test/live). */
export const ROOT = (() => {
  let d = here
  while (!existsSync(join(d, 'package.json'))) d = dirname(d)
  return d
})()

/** Why the live tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the probe is built for x86_64 Linux'
  if (process.getuid?.() !== 0) return 'loading the probe needs root'
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'this kernel has no BTF (/sys/kernel/btf/vmlinux)'
  if (!existsSync(addonPath())) return `the driver is not built (${addonPath()}): run make -C driver`
  return null
}

let progDir: string | null = null

/** Path of test/live/progs/<name>.c compiled (once per process) with gcc. */
export function prog(name: string): string {
  if (!progDir) progDir = mkdtempSync(join(tmpdir(), 'saker-live-'))
  const out = join(progDir, name)
  if (!existsSync(out)) {
    execFileSync('gcc', ['-O1', '-o', out, join(ROOT, 'test', 'live', 'progs', `${name}.c`)], { stdio: 'pipe' })
  }
  return out
}

/** Runs a program to completion; returns its pid and stdout. */
export function run(file: string, args: string[], opts: { cwd?: string } = {}): { pid: number; out: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', cwd: opts.cwd ?? process.cwd() })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`)
  return { pid: r.pid!, out: r.stdout.trim() }
}

/** One event, copied out of its batch. */
export interface Captured {
  type: number
  tid: number
  /** The CPU the probe wrote it on. */
  cpu: number
  bytes: Uint8Array
}

/** Collects every event the source delivers; `find` waits for a match. */
export class Collector {
  readonly events: Captured[] = []
  private waiters: (() => void)[] = []
  private readonly view = new EventView()

  constructor(readonly live: LiveSource) {
    live.start((buf, offsets, count, cpus) => {
      for (let i = 0; i < count; i++) {
        const v = this.view.reset(buf, offsets[i]!)
        this.events.push({ type: v.type, tid: v.tid, cpu: cpus[i]!, bytes: buf.slice(v.offset, v.offset + v.len) })
      }
      const w = this.waiters
      this.waiters = []
      for (const f of w) f()
    })
  }

  /** A view over a captured event (a fresh one: views are cheap, results are kept). */
  static view(c: Captured): EventView {
    return new EventView().reset(c.bytes, 0)
  }

  /** The first event matching `pred`, waiting up to `ms` for it to arrive. */
  async find(pred: (c: Captured, v: EventView) => boolean, ms = 5000): Promise<EventView> {
    const deadline = Date.now() + ms
    let seen = 0
    for (;;) {
      for (; seen < this.events.length; seen++) {
        const c = this.events[seen]!
        const v = Collector.view(c)
        if (pred(c, v)) return v
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching event among ${this.events.length} collected`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, Math.min(left, 50))
        this.waiters.push(() => { clearTimeout(t); resolve() })
      })
    }
  }
}

/** Ids of the BPF programs loaded on the host now. */
export function loadedProgIds(): Set<number> {
  const out = execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })
  return new Set((JSON.parse(out) as { id: number }[]).map(p => p.id))
}

/** Waits until none of `ids` is loaded (the kernel frees programs after an RCU grace period). */
export async function waitUnloaded(ids: readonly number[], ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const loaded = loadedProgIds()
    const left = ids.filter(id => loaded.has(id))
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise(r => setTimeout(r, 100))
  }
}
