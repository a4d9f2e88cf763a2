// The extractors of every syscall-source field, bound once per field use (an argument such
// as proc.aname[2] is parsed here, not per event), and the FieldResolver built on them.

import { EVENTS, PPME } from '../../events/table.js'
import type { FastCheck } from '../../fields/binding.js'
import { makeResolver } from '../../fields/resolver.js'
import type { FieldRef, FieldValue } from '../../fields/types.js'
import type { SyscallEvent } from './event.js'
import { containerExtractor } from './extract-container.js'
import { eventTypeName, evtExtractor, type Extractor } from './extract-evt.js'
import { fdExtractor, fdlistExtractor, fspathExtractor } from './extract-fd.js'
import { procExtractor, userExtractor } from './extract-proc.js'

export type { Extractor }

/**
 * The extractor of a resolved field for syscall events, or undefined when the field is
 * not one of this source's (the resolver then reads it as missing, <NA>).
 */
export function syscallExtractors(ref: FieldRef): ((ev: SyscallEvent) => FieldValue) | undefined {
  const name = ref.def.name
  const arg = ref.arg
  // Plugin classes are named "container (plugin)", "json (plugin)".
  const cls = ref.cls.name.split(' ')[0]
  switch (cls) {
    case 'evt':
      return evtExtractor(name, arg)
    case 'process':
      return procExtractor(name, arg)
    case 'user':
    case 'group':
      return userExtractor(name)
    case 'fd':
      return fdExtractor(name, arg)
    case 'fdlist':
      return fdlistExtractor(name)
    case 'fs.path':
      return fspathExtractor(name)
    case 'container':
      return containerExtractor(name, arg)
    case 'util':
      if (name === 'util.cnt') {
        let n = 0
        return () => ++n
      }
      return undefined
    case 'json':
      // The json plugin only reads plugin events: it has no value on syscall events.
      return () => undefined
    default:
      return undefined
  }
}

/** evtTypeCheck's tables, by the names they hold (rules repeat the same lists). */
const typeTables = new Map<string, Uint8Array>()

/**
 * evt.type =, != or in names, by a table of event codes: the name of most codes is fixed
 * (the event table's); generic syscall events and async events are named by their params,
 * so those are compared by name. Several checks of every rule are evt.type checks.
 */
function evtTypeCheck(field: string, op: '=' | '!=' | 'in', values: readonly string[]): FastCheck<SyscallEvent> | undefined {
  if (field !== 'evt.type' || values.length === 0) return undefined
  const names = new Set(values)
  const key = values.join('\0')
  let hits = typeTables.get(key)
  if (hits === undefined) {
    hits = new Uint8Array(EVENTS.length)
    for (let t = 0; t < EVENTS.length; t++) hits[t] = names.has(EVENTS[t]?.name ?? 'unknown') ? 1 : 0
    typeTables.set(key, hits)
  }
  const want = op === '!=' ? 0 : 1
  const byName = (t: number): boolean => t === PPME.GENERIC_X || t === PPME.ASYNCEVENT_E || t >= hits.length
  const check = (ev: SyscallEvent): boolean => {
    const t = ev.view.type
    if (byName(t)) return (names.has(eventTypeName(ev.view)) ? 1 : 0) === want
    return hits[t] === want
  }
  return Object.assign(check, { forType: (t: number) => (byName(t) ? undefined : hits[t] === want) })
}

/** Field names, arguments and errors checked against the registry; values from the state. */
export const syscallResolver = makeResolver<SyscallEvent>('syscall', syscallExtractors, {
  fastCheck: evtTypeCheck,
  eventStamp: (ev) => ev.stamp,
  // extractors that keep state per field use: a shared check would see fewer events
  statefulFields: new Set(['util.cnt', 'evt.deltatime', 'evt.deltatime.s', 'evt.deltatime.ns']),
})
