// Which syscalls the probe sends: Falco's configure_interesting_sets (falco
// userspace/falco/app/actions/configure_interesting_sets.cpp) without the base_syscalls
// overrides. The rules' event types give their syscalls; libsinsp's state set is added
// (sinsp_state_sc_set); the high-volume I/O syscalls Falco ignores are removed unless `all`
// (-A); sched_process_exit is always kept so exited threads leave the thread table.
import { EVENTS, PPME } from '../../events/table.js'
import {
  eventsToPpmSc,
  ignoredScSet,
  ppmScByName,
  stateScSet,
  SYSCALL_TABLE_SIZE,
  x86_64Syscalls,
} from '../../events/syscalls.js'
import type { AddonSelection } from './addon.js'

export interface LiveSelection extends AddonSelection {
  /** The selected ppm_sc codes (Falco's selected_sc_set). */
  readonly ppmSc: ReadonlySet<number>
}

export interface SelectOptions {
  /** Keep the I/O syscalls Falco drops by default (Falco's -A / base_syscalls.all). */
  all?: boolean
  /** Also send enter events for the syscalls that have TOCTOU-sensitive arguments. */
  enterEvents?: boolean
}

/** The syscalls whose enter events the probe can send (Falco's TOCTOU mitigation set). */
export const ENTER_EVENT_SYSCALLS: readonly string[] = ['open', 'openat', 'openat2', 'creat', 'connect']

const SCHED_PROCESS_EXIT = ppmScByName('sched_process_exit')!

/** The selection for rules whose conditions can match `eventCodes` (PPME codes). */
export function selectForEvents(eventCodes: Iterable<number>, opts: SelectOptions = {}): LiveSelection {
  const codes = new Set(eventCodes)
  const sc = eventsToPpmSc(code => codes.has(code))
  for (const s of stateScSet()) sc.add(s)
  if (!opts.all) for (const s of ignoredScSet()) sc.delete(s)
  sc.add(SCHED_PROCESS_EXIT)
  return selectPpmSc(sc, opts)
}

/** The selection for a set of ppm_sc codes, as native syscall numbers. */
export function selectPpmSc(ppmSc: ReadonlySet<number>, opts: SelectOptions = {}): LiveSelection {
  const selectedSyscalls: number[] = []
  const genericSyscalls: number[] = []
  const enterSyscalls: number[] = []
  for (const s of x86_64Syscalls()) {
    if (!ppmSc.has(s.ppmSc)) continue
    if (s.exit === PPME.GENERIC_X) genericSyscalls.push(s.nr)
    else selectedSyscalls.push(s.nr)
    if (opts.enterEvents && ENTER_EVENT_SYSCALLS.includes(s.name)) enterSyscalls.push(s.nr)
  }
  return { ppmSc, selectedSyscalls, genericSyscalls, enterSyscalls, procExit: ppmSc.has(SCHED_PROCESS_EXIT) }
}

/** The selection of the named syscalls (and tracepoints, e.g. 'sched_process_exit'). */
export function selectNames(names: Iterable<string>, opts: SelectOptions = {}): LiveSelection {
  const sc = new Set<number>()
  for (const n of names) {
    const code = ppmScByName(n)
    if (code === undefined) throw new Error(`saker: unknown syscall or tracepoint name '${n}'`)
    sc.add(code)
  }
  return selectPpmSc(sc, opts)
}

/** ppm_sc code of each native syscall number: what GENERIC_X events carry as their ID. */
export function ppmScTable(): Uint16Array {
  const t = new Uint16Array(SYSCALL_TABLE_SIZE)
  for (const s of x86_64Syscalls()) t[s.nr] = s.ppmSc
  return t
}

/** Event names the selection makes the probe send, for messages. */
export function selectionEventNames(sel: AddonSelection): string[] {
  const names = new Set<string>()
  const byNr = new Map(x86_64Syscalls().map(s => [s.nr, s]))
  for (const nr of sel.selectedSyscalls) names.add(EVENTS[byNr.get(nr)!.exit]!.name)
  for (const nr of sel.genericSyscalls) names.add(byNr.get(nr)!.name)
  if (sel.procExit) names.add('procexit')
  return [...names].sort()
}
