// Falco's syscall event drop monitor (event_drops.cpp): once per second of event time, the
// drops counted by the source since the last check; when their share of events passes the
// threshold, the configured actions run, at most as often as a token bucket allows.
import { log } from '../cli/log.js'
import type { Outputs } from '../outputs/dispatcher.js'

const ONE_SECOND_NS = 1_000_000_000n

export interface DropCounters {
  /** Events the source delivered, and those it lost, since it started. */
  events: number
  drops: number
  /** Of `drops`, those lost to a full buffer, and those by kind of event (the probe's; a capture has none). */
  dropsBuffer?: number
  dropsKind?: Readonly<Record<string, number>>
}

/** The kinds of buffer drops the drop alert reports, in Falco's order. */
const ALERT_KINDS = ['clone_fork_exit', 'execve_exit', 'connect_exit', 'open_exit', 'dir_file_exit', 'other_interest_exit', 'close_exit', 'proc_exit']

export interface DropConfig {
  actions: readonly ('ignore' | 'log' | 'alert' | 'exit')[]
  threshold: number
  rate: number
  max_burst: number
  simulate_drops: boolean
}

/**
 * libsinsp's token bucket: `rate` tokens a second, at most `maxBurst`, starting full at
 * the wall-clock time it is made. Event times earlier than that (a replayed capture) wrap
 * around as libsinsp's unsigned arithmetic does, which refills the bucket.
 */
class TokenBucket {
  private tokens: number
  private last = BigInt(Date.now()) * 1_000_000n
  constructor(
    private readonly rate: number,
    private readonly maxBurst: number,
  ) {
    this.tokens = maxBurst
  }

  claim(now: bigint): boolean {
    const gained = now >= this.last ? (this.rate * Number(now - this.last)) / 1e9 : Infinity
    this.last = now
    this.tokens = Math.min(this.maxBurst, this.tokens + gained)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

export class DropMonitor {
  private nextCheck = 0n
  /** nextCheck as a number (rounded), -Infinity before the first event: for `quiet`. */
  private nextCheckApprox = -Infinity
  private last: DropCounters = { events: 0, drops: 0 }
  private readonly bucket: TokenBucket
  private readonly threshold: number
  occurrences = 0
  actionsTaken = 0

  constructor(
    private readonly cfg: DropConfig,
    private readonly counters: () => DropCounters,
    private readonly outputs: Outputs,
    /** Whether events come from the eBPF probe (reported in the alert). */
    private readonly ebpf: boolean,
  ) {
    this.bucket = new TokenBucket(cfg.rate, cfg.max_burst)
    this.threshold = cfg.simulate_drops ? 0 : cfg.threshold
    this.last = { ...counters() }
  }

  /**
   * True when onEvent would do nothing for an event at `tsApprox`, a timestamp in ns as a
   * number (EventView.tsNumber: within 1 µs of the exact value). The replay loop asks this
   * first, so most events need no bigint: making one per event was ~8% of the loop.
   */
  quiet(tsApprox: number): boolean {
    // both sides are within 1024 ns of the exact values, so this implies nextCheck >= ts
    return tsApprox + 4096 < this.nextCheckApprox
  }

  /** Called for every event (or every event not `quiet`); false means an `exit` action asks to stop. */
  onEvent(ts: bigint): boolean {
    if (this.nextCheck === 0n) this.setNextCheck(ts + ONE_SECOND_NS)
    if (this.nextCheck >= ts) return true
    this.setNextCheck(ts + ONE_SECOND_NS)
    const now = this.counters()
    const kinds: Record<string, number> = {}
    for (const k of ALERT_KINDS) kinds[k] = (now.dropsKind?.[k] ?? 0) - (this.last.dropsKind?.[k] ?? 0)
    const delta: DropCounters = {
      events: now.events - this.last.events,
      drops: now.drops - this.last.drops,
      dropsBuffer: (now.dropsBuffer ?? 0) - (this.last.dropsBuffer ?? 0),
      dropsKind: kinds,
    }
    this.last = { ...now }
    if (this.cfg.simulate_drops) {
      log.log('info', 'Simulating syscall event drop')
      delta.drops++
    }
    if (delta.drops === 0 || delta.drops / delta.events <= this.threshold) return true
    this.occurrences++
    if (!this.bucket.claim(ts)) {
      log.log('debug', 'Syscall event drop but token bucket depleted, skipping actions')
      return true
    }
    this.actionsTaken++
    return this.act(ts, delta)
  }

  private setNextCheck(ns: bigint): void {
    this.nextCheck = ns
    this.nextCheckApprox = Number(ns)
  }

  private act(ts: bigint, delta: DropCounters): boolean {
    const rule = 'Falco internal: syscall event drop'
    const msg = `${rule}. ${delta.drops} system calls dropped in last second.`
    for (const a of this.cfg.actions) {
      if (a === 'log') log.log('debug', msg)
      else if (a === 'alert') {
        // the counts of the last second; a capture has no per-kind counts (0), and the probe
        // has no scratch-map, page-fault or bug drops
        const fields: Record<string, string> = { n_evts: String(delta.events), n_drops: String(delta.drops), n_drops_buffer_total: String(delta.dropsBuffer) }
        for (const k of ALERT_KINDS) fields[`n_drops_buffer_${k}`] = String(delta.dropsKind![k])
        Object.assign(fields, { n_drops_scratch_map: '0', n_drops_page_faults: '0', n_drops_bug: '0', ebpf_enabled: this.ebpf ? '1' : '0' })
        this.outputs.internal(ts, 7, rule, msg, fields)
      } else if (a === 'exit') {
        log.log('critical', msg)
        log.log('critical', 'Exiting.')
        return false
      }
    }
    return true
  }

  /** What Falco prints on stderr when the event loop ends. */
  stats(): string {
    return `Syscall event drop monitoring:\n   - event drop detected: ${this.occurrences} occurrences\n   - num times actions taken: ${this.actionsTaken}\n`
  }
}
