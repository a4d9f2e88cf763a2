// The extractors of every syscall-source field, bound once per field use (an argument such
// as proc.aname[2] is parsed here, not per event), and the FieldResolver built on them.

import { makeResolver } from '../../fields/resolver.js'
import type { FieldRef, FieldValue } from '../../fields/types.js'
import type { SyscallEvent } from './event.js'
import { containerExtractor } from './extract-container.js'
import { evtExtractor, type Extractor } from './extract-evt.js'
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

/** Field names, arguments and errors checked against the registry; values from the state. */
export const syscallResolver = makeResolver<SyscallEvent>('syscall', syscallExtractors)
