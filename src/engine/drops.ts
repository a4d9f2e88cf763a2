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
}

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
    const delta = { events: now.events - this.last.events, drops: now.drops - this.last.drops }
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
        // the per-category counters are the probe's; a capture or a source without them reports 0
        const zero = '0'
        this.outputs.internal(ts, 7, rule, msg, {
          n_evts: String(delta.events),
          n_drops: String(delta.drops),
          n_drops_buffer_total: zero,
          n_drops_buffer_clone_fork_exit: zero,
          n_drops_buffer_execve_exit: zero,
          n_drops_buffer_connect_exit: zero,
          n_drops_buffer_open_exit: zero,
          n_drops_buffer_dir_file_exit: zero,
          n_drops_buffer_other_interest_exit: zero,
          n_drops_buffer_close_exit: zero,
          n_drops_buffer_proc_exit: zero,
          n_drops_scratch_map: zero,
          n_drops_page_faults: zero,
          n_drops_bug: zero,
          ebpf_enabled: this.ebpf ? '1' : '0',
        })
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
