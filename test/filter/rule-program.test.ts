// compileRuleProgram: the conditions of one event type's rules as one generated function,
// giving what calling each rule's predicate gives; shared and/or and fields read once a call.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openCapture } from '../../src/capture/reader.js'
import { Engine } from '../../src/engine/engine.js'
import { PROGRAM_AFTER, RuleMatcher } from '../../src/engine/matcher.js'
import type { Ruleset } from '../../src/engine/ruleset.js'
import type { EventView } from '../../src/events/event.js'
import { EVENTS } from '../../src/events/table.js'
import { PT } from '../../src/events/param-types.js'
import { compileFilter, compileRuleProgram, SharedChecks } from '../../src/filter/compile.js'
import { parseCondition } from '../../src/filter/parser.js'
import { Outputs } from '../../src/outputs/dispatcher.js'
import type { CompiledRule } from '../../src/rules/compiler.js'
import { knownSources } from '../../src/sources/index.js'
import { SyscallEvent } from '../../src/sources/syscall/event.js'
import { argText, flagsArgText } from '../../src/sources/syscall/render.js'
import { SystemState } from '../../src/state/system-state.js'
import { REPO_ROOT, captureFiles, capturesMissing } from '../state/helpers.js'
import { SHARING_CONDITIONS, countingResolver, stampOf, type TestEvent } from './helpers.js'

const CONDITIONS = [...SHARING_CONDITIONS, 'fd.name contains ssh and not fd.name endswith .pub']

/** Each rule's predicate and the program of all of them, over one counting resolver. */
function compileBoth(conditions: readonly string[]): {
  filters: ((ev: TestEvent) => boolean)[]
  run: (ev: TestEvent) => number[]
  reads: Map<string, number>
} {
  const { resolver: counting, reads } = countingResolver()
  const shared = new SharedChecks(stampOf)
  const filters = conditions.map((c) => compileFilter(parseCondition(c), counting, { shared }))
  const program = compileRuleProgram(filters)
  return {
    filters,
    reads,
    run: (ev) => {
      const hits: number[] = []
      program(ev, (i) => (hits.push(i), false))
      return hits
    },
  }
}

describe('rule programs', () => {
  it('match the rules whose predicates match, in order, event after event', () => {
    const { filters, run } = compileBoth(CONDITIONS)
    let num = 0
    for (const type of ['open', 'openat', 'close']) {
      for (const name of ['/etc/shadow', '/root/.ssh', '/tmp/x', '/home/a/.ssh/id.pub']) {
        for (const proc of ['sshd', 'bash', 'cat']) {
          for (const tty of [0, 1]) {
            const ev: TestEvent = { 'evt.num': ++num, 'evt.type': type, 'fd.num': num % 3 === 0 ? -1 : 4, 'proc.tty': tty, 'fd.name': name, 'proc.name': proc }
            const want = filters.flatMap((f, i) => (f(ev) ? [i] : []))
            assert.deepEqual(run(ev), want, JSON.stringify(ev))
          }
        }
      }
    }
  })

  it('read each field once per event, however many rules check it', () => {
    const { run, reads } = compileBoth(CONDITIONS)
    run({ 'evt.num': 1, 'evt.type': 'openat', 'fd.num': 3, 'proc.tty': 1, 'fd.name': '/etc/passwd', 'proc.name': 'cat' })
    assert.equal(reads.get('fd.name'), 1)
    assert.equal(reads.get('evt.type'), 1)
  })

  it('stop at the first match when hit says so', () => {
    const { filters } = compileBoth(CONDITIONS)
    const program = compileRuleProgram(filters)
    const hits: number[] = []
    program({ 'evt.num': 1, 'evt.type': 'openat', 'fd.num': 3, 'proc.tty': 1, 'fd.name': '/etc/ssh', 'proc.name': 'bash' }, (i) => (hits.push(i), true))
    assert.deepEqual(hits, [0])
  })
})

describe('the matcher', () => {
  for (const firstOnly of [false, true]) {
    it(`raises the same alerts before and after an event type gets its program (rule_matching: ${firstOnly ? 'first' : 'all'})`, () => {
      const { filters } = compileBoth(CONDITIONS)
      const rules = filters.map((filter, i) => ({
        name: `r${i}`, priority: 4, source: 'syscall', tags: [], filter, extraFields: [],
        formatter: { render: () => '', fields: () => ({}) },
      })) as unknown as CompiledRule[]
      const ruleset = { rules, forType: () => rules } as unknown as Ruleset
      const matcher = new RuleMatcher<TestEvent>(ruleset, new Outputs({ channels: [] }), firstOnly)
      const want = new Map<CompiledRule, number>()
      const names = ['/etc/shadow', '/root/.ssh', '/tmp/x', '/home/a/.ssh/id.pub']
      const procs = ['sshd', 'bash', 'cat']
      for (let num = 1; num <= 2 * PROGRAM_AFTER; num++) {
        const ev: TestEvent = {
          'evt.num': num, 'evt.type': num % 5 === 0 ? 'close' : 'openat', 'fd.num': num % 3 === 0 ? -1 : 4, 'proc.tty': num % 7 === 0 ? 0 : 1,
          'fd.name': names[num % names.length]!, 'proc.name': procs[num % procs.length]!,
        }
        for (const r of rules) {
          if (!r.filter(ev)) continue
          want.set(r, (want.get(r) ?? 0) + 1)
          if (firstOnly) break
        }
        matcher.match(ev, 0, () => 0n)
      }
      assert.deepEqual(matcher.stats.byRule, want)
    })
  }
})

/** Every event of the shared captures, applied to a fresh state per capture. */
function forEveryCaptureEvent(visit: (ev: SyscallEvent, view: EventView, file: string) => void): void {
  for (const file of captureFiles()) {
    const r = openCapture(file)
    const state = new SystemState()
    state.loadCapture(r.sections[0]!)
    const ev = new SyscallEvent(state)
    r.forEachEvent((view) => visit(ev.next(view), view, file), { onSection: (s) => state.loadCapture(s) })
    r.close()
  }
}

describe("Falco's rules as programs on the shared captures", { skip: capturesMissing() }, () => {
  it('match what the rules match, on every event (evt.type checks written as their result)', () => {
    const engine = new Engine(knownSources())
    const dir = join(REPO_ROOT, '..', 'shared', 'falco', 'rules', '3.2.0')
    for (const f of ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']) engine.load(f, readFileSync(join(dir, f), 'utf8'))
    engine.buildRulesets(7)
    const ruleset = engine.ruleset('syscall')!
    const programs = new Map<number, (ev: SyscallEvent, hit: (i: number) => boolean) => void>()
    let events = 0
    let matches = 0
    forEveryCaptureEvent((ev, view, file) => {
      events++
      const rules = ruleset.forType(view.type)
      if (rules.length === 0) return
      let p = programs.get(view.type)
      if (p === undefined) programs.set(view.type, (p = compileRuleProgram(rules.map((x) => x.filter), view.type)))
      const got: number[] = []
      p(ev, (i) => (got.push(i), false))
      ev.stamp++ // the predicates evaluate afresh, not from the program's results
      const want = rules.flatMap((x, i) => (x.filter(ev) ? [i] : []))
      assert.deepEqual(got, want, `${file} event ${ev.num}`)
      matches += want.length
    })
    assert.ok(events > 10_000 && matches > 10, `${events} events, ${matches} matches`)
  })

  it("read a flags param as evt.arg's text, on every event", () => {
    let checked = 0
    forEveryCaptureEvent((ev, view, file) => {
      const params = EVENTS[view.type]?.params ?? []
      for (let i = 0; i < params.length + 1; i++) {
        const fast = flagsArgText(view, i)
        if (fast === null) {
          const t = params[i]?.type
          assert.ok(i >= view.nparams || (t !== PT.FLAGS8 && t !== PT.FLAGS16 && t !== PT.FLAGS32 && t !== PT.ENUMFLAGS8 && t !== PT.ENUMFLAGS16 && t !== PT.ENUMFLAGS32))
          continue
        }
        assert.equal(fast, argText(ev, i), `${file} event ${ev.num} param ${i}`)
        checked++
      }
    })
    assert.ok(checked > 500, `${checked} flags params`)
  })
})
