// The per-event context rule conditions and outputs read: one object, reused for every
// event of a stream. `next(view)` applies the event to the state and points the context at
// it; extractors then read `view` (the raw event), `thread`, `fd` and `num`.
//
//   const state = new SystemState()
//   state.loadCapture(reader.sections[0])
//   const ev = new SyscallEvent(state)
//   reader.forEachEvent(view => { ev.next(view); ruleset.run(ev) },
//                       { onSection: s => state.loadCapture(s) })

import type { EventView } from '../../events/event.js'
import type { FdInfo } from '../../state/fd.js'
import type { SystemState } from '../../state/system-state.js'
import type { ThreadInfo } from '../../state/thread.js'

/** How evt.buffer, evt.args and data params render byte buffers (Falco's -b picks base64). */
export type BufferFormat = 'normal' | 'base64'

export class SyscallEvent {
  /** The event (valid until the next event). */
  view: EventView = null as unknown as EventView
  /** evt.num: 1-based position in the stream. */
  num = 0
  /**
   * The event's thread, as sinsp_evt::get_thread_info gives it: the one the parsers chose,
   * else the table's entry for the event's tid; null when there is none.
   */
  thread: ThreadInfo | null = null
  /** The fd the event refers to (sinsp_evt::get_fd_info), null when none is known. */
  fd: FdInfo | null = null
  /**
   * Changes every time this context points at an event (never reset, unlike evt.num in a
   * new capture section): what per-event caches of rule checks and fields key on.
   */
  stamp = 0
  /** Event source name, for evt.source. */
  readonly source = 'syscall'
  bufferFormat: BufferFormat = 'normal'

  constructor(readonly state: SystemState) {}

  /** Applies `view` to the state, then points this context at it. */
  next(view: EventView): this {
    this.state.process(view)
    return this.sync(view)
  }

  /** Points at `view`, which the state has just processed. */
  sync(view: EventView): this {
    const s = this.state
    this.stamp++
    this.view = view
    this.num = s.num
    this.thread = s.thread ?? s.findThread(view.tid)
    this.fd = s.fd
    return this
  }
}
