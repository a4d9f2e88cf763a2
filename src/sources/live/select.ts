// Which syscalls the probe sends: Falco's configure_interesting_sets (falco
// userspace/falco/app/actions/configure_interesting_sets.cpp); selectForEvents without the
// base_syscalls overrides, interestingSyscalls with them. The rules' event types give their syscalls; libsinsp's state set is added
// (sinsp_state_sc_set); the high-volume I/O syscalls Falco ignores are removed unless `all`
// (-A); sched_process_exit is always kept so exited threads leave the thread table.
import { EC, EVENTS, PPME, syscallCategory } from '../../events/table.js'
import {
  eventsToPpmSc,
  ignoredScSet,
  ppmScByName,
  scSetToEventNames,
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
  /**
   * The ppm_sc codes the rules can match: the other selected syscalls become
   * stateOnlySyscalls. Leave it out when every event must be sent (a capture is written).
   */
  rules?: ReadonlySet<number>
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
  const stateOnlySyscalls: number[] = []
  for (const s of x86_64Syscalls()) {
    if (!ppmSc.has(s.ppmSc)) continue
    if (s.exit === PPME.GENERIC_X) genericSyscalls.push(s.nr)
    else selectedSyscalls.push(s.nr)
    if (opts.enterEvents && ENTER_EVENT_SYSCALLS.includes(s.name)) enterSyscalls.push(s.nr)
    if (opts.rules !== undefined && !opts.rules.has(s.ppmSc)) stateOnlySyscalls.push(s.nr)
  }
  return { ppmSc, selectedSyscalls, genericSyscalls, enterSyscalls, stateOnlySyscalls, procExit: ppmSc.has(SCHED_PROCESS_EXIT) }
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

// ---------------------------------------------------------------------------------------
// Falco's base_syscalls (configure_interesting_sets.cpp select_event_set)

export interface BaseSyscalls {
  /** base_syscalls.custom_set: names to add (replacing the state set), '!name' to remove. */
  readonly custom_set: readonly string[]
  readonly repair: boolean
  /** base_syscalls.all (-A): keep the high-volume I/O syscalls. */
  readonly all: boolean
}

export interface InterestingSets {
  /** Falco's selected_sc_set: what the probe is asked to send. */
  readonly selected: Set<number>
  /** The syscalls the enabled rules can match. */
  readonly rules: Set<number>
  /** Names of rule syscalls left out (ignored high-volume ones, or removed by '!name'). */
  readonly rulesNotSelected: string[]
  readonly invalidPositive: string[]
  readonly invalidNegative: string[]
  /** Syscalls `repair` added to a custom set. */
  readonly repaired: string[]
}

let genericSc: Set<number> | null = null

/** libsinsp event_names_to_sc_set: event names give their events' syscalls; a name of a
 * syscall that only generic events carry gives that syscall. */
export function eventNamesToScSet(names: Iterable<string>): Set<number> {
  const wanted = new Set(names)
  const out = eventsToPpmSc(code => code >= 2 && code !== PPME.GENERIC_E && code !== PPME.GENERIC_X && wanted.has(EVENTS[code]!.name))
  genericSc ??= eventsToPpmSc(code => code === PPME.GENERIC_E || code === PPME.GENERIC_X)
  for (const n of wanted) {
    const sc = ppmScByName(n)
    if (sc !== undefined && genericSc.has(sc)) out.add(sc)
  }
  return out
}

function scOfCategory(pick: (cat: number) => boolean): Set<number> {
  return eventsToPpmSc(code => pick(syscallCategory(EVENTS[code]!.category)))
}

/** libsinsp sinsp_repair_state_sc_set: the syscalls the state needs beyond those of `sc`. */
export function repairStateScSet(sc: ReadonlySet<number>): Set<number> {
  const has = (set: Set<number>): boolean => [...set].some(s => sc.has(s))
  const byName = (n: string): number | undefined => ppmScByName(n)
  const net = has(scOfCategory(c => c === EC.NET))
  const bind = ['accept', 'accept4', 'listen'].some(n => sc.has(byName(n) ?? -1))
  const fdClose = net || has(scOfCategory(c => c === EC.FILE || c === EC.IO_READ || c === EC.IO_WRITE || c === EC.IO_OTHER))
  const names = [
    'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'fchdir', 'chdir', 'chroot', 'capset', 'setgid',
    'setgid32', 'setpgid', 'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setsid', 'setuid', 'setuid32',
    'prctl', 'sched_process_exit',
  ]
  if (net) names.push('socket', 'getsockopt')
  if (bind) names.push('bind')
  if (fdClose) names.push('close')
  const out = new Set(sc)
  for (const n of names) {
    const s = byName(n)
    if (s !== undefined) out.add(s)
  }
  return out
}

/**
 * Falco's selected_sc_set for the syscalls the rules match (`rulesSc`), with base_syscalls:
 * the state set (or the custom set's positive names, or the repaired rules set), minus the
 * '!name' entries, minus the ignored I/O syscalls unless `all`, plus sched_process_exit.
 */
export function interestingSyscalls(rulesSc: ReadonlySet<number>, base: BaseSyscalls): InterestingSets {
  const positive: string[] = []
  const negative: string[] = []
  for (const n of base.custom_set) {
    if (n === '') continue
    if (n.startsWith('!')) negative.push(n.slice(1))
    else positive.push(n)
  }
  const positiveSc = eventNamesToScSet(positive)
  const negativeSc = eventNamesToScSet(negative)
  const positiveNames = new Set(scSetToEventNames(positiveSc))
  const negativeNames = new Set(scSetToEventNames(negativeSc))
  let selected = new Set<number>(rulesSc)
  for (const s of positiveSc.size > 0 ? positiveSc : stateScSet()) selected.add(s)
  if (base.repair && positiveSc.size === 0) selected = repairStateScSet(rulesSc)
  for (const s of negativeSc) selected.delete(s)
  if (!base.all) for (const s of ignoredScSet()) selected.delete(s)
  let repaired: string[] = []
  if (base.repair && base.custom_set.length > 0) {
    const before = selected
    selected = repairStateScSet(selected)
    repaired = scSetToEventNames(new Set([...selected].filter(s => !before.has(s))))
  }
  selected.add(SCHED_PROCESS_EXIT)
  const missing = new Set([...rulesSc].filter(s => !selected.has(s)))
  return {
    selected,
    rules: new Set(rulesSc),
    rulesNotSelected: missing.size > 0 ? scSetToEventNames(missing) : [],
    invalidPositive: positive.filter(n => !positiveNames.has(n)).sort(),
    invalidNegative: negative.filter(n => !negativeNames.has(n)).sort(),
    repaired,
  }
}
