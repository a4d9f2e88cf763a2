// A small field resolver over plain objects, so the filter and output tests do not
// depend on the real extractors. An event is a record from field name (with "[arg]"
// when the field takes one) to value; a missing key is a value that cannot be extracted.
import type { Expr } from '../../src/filter/ast.js'
import { FieldError } from '../../src/fields/binding.js'
import type { FieldBinding, FieldResolver } from '../../src/fields/binding.js'
import { FF } from '../../src/fields/types.js'
import type { FieldClass, FieldDef, FieldValue } from '../../src/fields/types.js'
import { PF, PT } from '../../src/events/param-types.js'
import type { ParamType, PrintFormat } from '../../src/events/param-types.js'
import { compileFilter } from '../../src/filter/compile.js'
import type { CompileOptions } from '../../src/filter/compile.js'
import { parseCondition } from '../../src/filter/parser.js'

export type TestEvent = Readonly<Record<string, FieldValue>>

const def = (name: string, type: ParamType, flags = 0, printFormat: PrintFormat = PF.NA): FieldDef => ({
  name, type, flags, printFormat, display: name, desc: name,
})

export const TEST_FIELDS: readonly FieldDef[] = [
  def('evt.type', PT.CHARBUF),
  def('evt.num', PT.UINT64, 0, PF.DEC),
  def('evt.res', PT.CHARBUF),
  def('proc.name', PT.CHARBUF),
  def('proc.pname', PT.CHARBUF),
  def('proc.cmdline', PT.CHARBUF),
  def('proc.exepath', PT.FSPATH),
  def('proc.pid', PT.INT64, 0, PF.ID),
  def('proc.vpid', PT.INT64, FF.NO_RHS, PF.ID),
  def('proc.aname', PT.CHARBUF, FF.ARG_ALLOWED),
  def('proc.args', PT.CHARBUF, FF.IS_LIST),
  def('proc.argv', PT.CHARBUF, FF.IS_LIST),
  def('proc.tty', PT.UINT32, 0, PF.DEC),
  def('proc.flags', PT.UINT32, 0, PF.HEX),
  def('proc.is_exe_writable', PT.BOOL),
  def('proc.start_ts', PT.UINT64, 0, PF.DEC),
  def('proc.nice', PT.INT32, 0, PF.DEC),
  def('fd.name', PT.FSPATH),
  def('fd.directory', PT.FSPATH),
  def('fd.ip', PT.IPADDR, FF.FILTER_ONLY),
  def('fd.sip', PT.IPADDR),
  def('fd.cip', PT.IPADDR),
  def('fd.snet', PT.IPNET),
  def('fd.sport', PT.PORT, 0, PF.DEC),
  def('fd.num', PT.INT64, 0, PF.ID),
  def('fd.ips', PT.IPADDR, FF.IS_LIST),
  def('fd.nets', PT.IPNET, FF.IS_LIST),
  def('fd.nums', PT.UINT64, FF.IS_LIST),
  def('evt.buffer', PT.BYTEBUF),
  def('evt.rawarg', PT.DYN, FF.ARG_REQUIRED),
  def('evt.ratio', PT.DOUBLE),
  def('evt.sig', PT.SIGTYPE, 0, PF.DEC),
  def('user.uid', PT.UINT32, 0, PF.ID),
  def('user.name', PT.CHARBUF, FF.NO_TRANSFORMER),
]

const CLASS: FieldClass = { name: 'test', desc: 'test fields', sources: [], fields: TEST_FIELDS }
const BY_NAME = new Map(TEST_FIELDS.map((d) => [d.name, d]))

export class TestResolver implements FieldResolver<TestEvent> {
  readonly source = 'syscall'
  bind(name: string, arg: string | undefined): FieldBinding<TestEvent> {
    const d = BY_NAME.get(name)
    const full = arg === undefined ? name : name + '[' + arg + ']'
    if (!d) throw new FieldError('filter_check called with nonexistent field ' + full)
    if (arg !== undefined && !(d.flags & (FF.ARG_ALLOWED | FF.ARG_REQUIRED))) {
      throw new FieldError('filter_check called with nonexistent field ' + full)
    }
    if (arg === undefined && d.flags & FF.ARG_REQUIRED) throw new FieldError('field ' + name + ' requires an argument')
    return { ref: { def: d, cls: CLASS, arg }, extract: (ev) => ev[full] }
  }
}

export const resolver = new TestResolver()

/** Compiles a condition text against the test fields. */
export function filter(cond: string, opts?: CompileOptions): (ev: TestEvent) => boolean {
  return compileFilter(parseCondition(cond), resolver, opts)
}

/** Evaluates a condition on one event. */
export function check(cond: string, ev: TestEvent): boolean {
  return filter(cond)(ev)
}

/** The CompileError (message and position) a condition gives, or undefined. */
export function compileErrorOf(cond: string): { message: string; idx: number } | undefined {
  try {
    filter(cond)
    return undefined
  } catch (e) {
    const err = e as { message: string; pos?: { idx: number } }
    return { message: err.message, idx: err.pos?.idx ?? -1 }
  }
}

/** The test resolver, counting the extractions and the bindings (compilations) of each field. */
export function countingResolver(): { resolver: FieldResolver<TestEvent>; reads: Map<string, number>; binds: Map<string, number> } {
  const reads = new Map<string, number>()
  const binds = new Map<string, number>()
  return {
    reads,
    binds,
    resolver: {
      source: 'syscall',
      bind(name: string, arg: string | undefined): FieldBinding<TestEvent> {
        const b = resolver.bind(name, arg)
        binds.set(name, (binds.get(name) ?? 0) + 1)
        return { ref: b.ref, extract: (ev) => (reads.set(name, (reads.get(name) ?? 0) + 1), b.extract(ev)) }
      },
    },
  }
}

/** SharedChecks' stamp for test events: their evt.num. */
export const stampOf = (ev: TestEvent): number => ev['evt.num'] as number
/** A macro the conditions below repeat, as Falco's rules repeat open_read. */
export const OPEN_READ = '(evt.type in (open, openat) and fd.num >= 0 and proc.tty != 0)'
/** Conditions that share OPEN_READ. */
export const SHARING_CONDITIONS: readonly string[] = [
  `${OPEN_READ} and fd.name startswith /etc/`,
  `${OPEN_READ} and (fd.name = /root/.ssh or proc.name in (sshd, scp))`,
  `not ${OPEN_READ} or proc.name = bash`,
]

export type { Expr }
