// Throughput of the syscall state and extractors: every shared capture's events (converted,
// as libs 0.25 delivers them) are copied into memory once, then replayed many times through
// one SystemState and one SyscallEvent, extracting a few fields rules and outputs commonly
// read. Not a test: run it by hand after building,
//
//   node dist/test/sources/bench.js [seconds-per-case]
//
// (`node --test` finds this file too; there it does nothing unless SAKER_BENCH=1.)

import { basename } from 'node:path'
import { openCapture, type CaptureSection } from '../../src/capture/reader.js'
import { EventView } from '../../src/events/event.js'
import type { FieldBinding } from '../../src/fields/binding.js'
import { SyscallEvent } from '../../src/sources/syscall/event.js'
import { syscallResolver } from '../../src/sources/syscall/extractors.js'
import { SystemState } from '../../src/state/system-state.js'
import { captureFiles, capturesMissing } from '../state/helpers.js'

interface Loaded {
  name: string
  section: CaptureSection
  buf: Uint8Array
  offsets: number[]
}

function load(file: string): Loaded {
  const r = openCapture(file)
  const chunks: Uint8Array[] = []
  let size = 0
  r.forEachEvent(view => {
    const b = view.raw().slice()
    chunks.push(b)
    size += b.length
  })
  const buf = new Uint8Array(size)
  const offsets: number[] = []
  let at = 0
  for (const c of chunks) {
    buf.set(c, at)
    offsets.push(at)
    at += c.length
  }
  const section = r.sections[0]!
  r.close()
  return { name: basename(file), section, buf, offsets }
}

const FIELDS = ['evt.type', 'proc.name', 'fd.name', 'user.name', 'proc.cmdline', 'container.id', 'evt.res', 'proc.pname']

function run(caps: Loaded[], seconds: number, fields: FieldBinding<SyscallEvent>[]): { events: number; ns: bigint } {
  const view = new EventView()
  let events = 0
  let sink = 0
  const start = process.hrtime.bigint()
  const limit = start + BigInt(Math.round(seconds * 1e9))
  for (;;) {
    for (const c of caps) {
      const state = new SystemState()
      state.loadCapture(c.section)
      const ev = new SyscallEvent(state)
      const buf = c.buf
      // 50 passes over the capture per load: the state keeps its threads and fds between
      // passes (the events repeat as if the programs ran again).
      for (let pass = 0; pass < 50; pass++) {
        for (const off of c.offsets) {
          ev.next(view.reset(buf, off))
          for (let i = 0; i < fields.length; i++) if (fields[i]!.extract(ev) !== undefined) sink++
        }
        events += c.offsets.length
      }
    }
    if (process.hrtime.bigint() >= limit) break
  }
  const ns = process.hrtime.bigint() - start
  if (sink < 0) console.log(sink)
  return { events, ns }
}

function main(): void {
  const missing = capturesMissing()
  if (missing !== false) {
    console.log(`bench skipped: ${missing}`)
    return
  }
  const seconds = Number(process.argv[2] ?? 3)
  const caps = captureFiles().map(load)
  const total = caps.reduce((n, c) => n + c.offsets.length, 0)
  console.log(`${caps.length} captures, ${total} events in memory`)
  const bound = FIELDS.map(f => {
    const m = /^([^[]+)(?:\[(.*)\])?$/.exec(f)!
    return syscallResolver.bind(m[1]!, m[2])
  })
  run(caps, 0.5, bound) // warm-up
  for (const [label, fields] of [['process() only', []], [`process() + ${FIELDS.join(', ')}`, bound]] as const) {
    const { events, ns } = run(caps, seconds, fields as FieldBinding<SyscallEvent>[])
    const perS = (events * 1e9) / Number(ns)
    console.log(`${label}: ${events} events in ${(Number(ns) / 1e9).toFixed(2)} s = ${(perS / 1e6).toFixed(2)} M events/s (${(Number(ns) / events).toFixed(0)} ns/event)`)
  }
}

if (process.env.NODE_TEST_CONTEXT === undefined || process.env.SAKER_BENCH === '1') main()
