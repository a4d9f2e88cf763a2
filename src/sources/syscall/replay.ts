// Replaying a capture file: its metadata seeds the state, then every event goes through
// the state, the drop monitor and the rules, as Falco's capture mode does (process_events.cpp).
import { openCapture } from '../../capture/reader.js'
import { CaptureError } from '../../capture/errors.js'
import type { CaptureReader } from '../../capture/reader.js'
import type { DropMonitor } from '../../engine/drops.js'
import type { RuleMatcher } from '../../engine/matcher.js'
import type { EventView } from '../../events/event.js'
import { SystemState } from '../../state/system-state.js'
import type { StateOptions } from '../../state/system-state.js'
import { SyscallEvent } from './event.js'

export interface ReplayOptions {
  readonly state?: StateOptions
  /** -M: stop once this many seconds of event time have passed (0: no limit). */
  readonly durationS?: number
  /** The drop monitor; it sees every event and can ask to stop (`exit` action). */
  readonly drops?: (counters: () => { events: number; drops: number }) => DropMonitor
  /** The metrics writer of the replay (metrics.enabled), given its state and event count. */
  readonly metrics?: (state: SystemState, events: () => number) => { onEvents(): void } | null
}

/** Events between two looks at the clock for a metrics snapshot (a look costs ~30 ns). */
const METRICS_EVERY = 256

export interface ReplayResult {
  readonly events: number
  /** The capture is damaged or truncated: what was wrong and where (events before it were processed). */
  readonly error: CaptureError | null
  /** A drop `exit` action stopped the replay. */
  readonly stoppedByDrops: boolean
  readonly drops: DropMonitor | undefined
}

/** Opens a capture; throws Falco's message when it cannot be read at all. */
export function openReplay(file: string): CaptureReader {
  try {
    return openCapture(file)
  } catch (e) {
    throw new Error(`Could not open trace filename ${file} for reading: ${(e as Error).message}`)
  }
}

export function replay(reader: CaptureReader, matcher: RuleMatcher<SyscallEvent>, opts: ReplayOptions = {}): ReplayResult {
  const state = new SystemState(opts.state)
  const first = reader.sections[0]
  if (first) state.loadCapture(first)
  const ev = new SyscallEvent(state)
  let events = 0
  const monitor = opts.drops?.(() => ({ events, drops: 0 }))
  const metrics = opts.metrics?.(state, () => events) ?? null
  const limitNs = BigInt(Math.round((opts.durationS ?? 0) * 1e9))
  // a boolean, not a bigint comparison per event
  const limited = limitNs > 0n
  let start = -1n
  let stoppedByDrops = false
  // One closure for the whole replay (the matcher asks for the time only when a rule fires).
  let current: EventView | null = null
  const tsOf = (): bigint => current!.ts
  reader.forEachEvent(
    (view) => {
      if (metrics !== null && events % METRICS_EVERY === 0) metrics.onEvents()
      ev.next(view)
      events++
      if (limited || (monitor !== undefined && !monitor.quiet(view.tsNumber))) {
        const ts = view.ts
        if (start < 0n) start = ts
        else if (limited && ts - start >= limitNs) return false
        if (monitor && !monitor.onEvent(ts)) {
          stoppedByDrops = true
          return false
        }
      }
      current = view
      matcher.match(ev, view.type, tsOf)
      return true
    },
    { onSection: (s) => state.loadCapture(s) },
  )
  return { events, error: reader.error, stoppedByDrops, drops: monitor }
}
