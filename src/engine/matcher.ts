// Per event: the rules of its type, in load order, until one matches (rule_matching: first)
// or all of them (all); each match becomes an alert. Counts per rule and per priority are
// kept for the summary Falco prints at exit ("Events detected: ...").
import type { CompiledRule } from '../rules/compiler.js'
import { compileRuleProgram } from '../filter/compile.js'
import { Alert, AlertRule, PRIORITY_NAMES } from '../outputs/alert.js'
import type { OutputFields } from '../outputs/alert.js'
import type { Outputs } from '../outputs/dispatcher.js'
import type { Ruleset } from './ruleset.js'

/** Alerts counted by rule and by priority, across every source (Falco's stats_manager). */
export class RuleStats {
  readonly byRule = new Map<CompiledRule, number>()
  readonly byPriority = new Array<number>(PRIORITY_NAMES.length).fill(0)
  total = 0

  count(rule: CompiledRule): void {
    this.total++
    this.byRule.set(rule, (this.byRule.get(rule) ?? 0) + 1)
    this.byPriority[rule.priority]!++
  }

  /** Falco's text: totals by severity and by rule, rules in load order. */
  summary(rules: readonly CompiledRule[]): string {
    let out = `Events detected: ${this.total}\nRule counts by severity:\n`
    this.byPriority.forEach((n, p) => {
      if (n > 0) out += `   ${p === 6 ? 'INFO' : PRIORITY_NAMES[p]!.toUpperCase()}: ${n}\n`
    })
    out += 'Triggered rules by rule name:\n'
    for (const r of rules) {
      const n = this.byRule.get(r)
      if (n) out += `   ${r.name}: ${n}\n`
    }
    return out
  }
}

/**
 * Events of a type matched by the rules' predicates before the type gets its program (see
 * compileRuleProgram): building one and V8 optimizing it cost CPU that only a busy type
 * repays. Measured: programs built at once took 40 ms more CPU than the predicates on a
 * replayed 13k-event fork+exec capture, and made V8 compile for 100 ms more (314 ms, not
 * 213) during 3000 live fork+exec; a program saves about 1 µs an event of its type.
 */
export const PROGRAM_AFTER = 16_384

export class RuleMatcher<E> {
  private readonly heads = new Map<CompiledRule, AlertRule>()

  constructor(
    private readonly ruleset: Ruleset,
    private readonly outputs: Outputs,
    private readonly firstOnly: boolean,
    readonly stats: RuleStats = new RuleStats(),
  ) {
    for (const r of ruleset.rules) this.heads.set(r, new AlertRule(r.name, r.priority, r.source, r.tags))
  }

  /** Alerts raised so far through this matcher's stats (all sources sharing them). */
  get total(): number {
    return this.stats.total
  }

  /** Tests the event against the rules of `type`; `ts` is the event time in ns. */
  match(ev: E, type: number, ts: () => bigint): void {
    const rules = this.ruleset.forType(type)
    if (rules.length === 0) return
    let p = this.programs[type]
    if (p === undefined || p.rules !== rules) {
      const seen = (this.seen[type] ?? 0) + 1
      this.seen[type] = seen
      if (seen <= PROGRAM_AFTER) {
        for (let i = 0; i < rules.length; i++) {
          const rule = rules[i]!
          if (!rule.filter(ev)) continue
          this.fire(rule, ev, ts())
          if (this.firstOnly) return
        }
        return
      }
      p = { rules, run: compileRuleProgram<E>(rules.map(r => r.filter), type) }
      this.programs[type] = p
    }
    this.rules = rules
    this.ev = ev
    this.ts = ts
    p.run(ev, this.hit)
  }

  /** Per event type: its rules (as the ruleset gave them, rebuilt when that changes) as one function. */
  private readonly programs: ({ rules: readonly CompiledRule[]; run: (ev: E, hit: (i: number) => boolean) => void } | undefined)[] = []
  /** Per event type: events matched by the rules' own predicates, before its program is built. */
  private readonly seen: number[] = []
  // the rules, event and time being matched, for `hit`
  private rules: readonly CompiledRule[] = []
  private ev: E | null = null
  private ts: () => bigint = () => 0n
  /** Rule `i` of those being matched matched: its alert; true stops there (rule_matching: first). */
  private readonly hit = (i: number): boolean => {
    this.fire(this.rules[i]!, this.ev!, this.ts())
    return this.firstOnly
  }

  private fire(rule: CompiledRule, ev: E, time: bigint): void {
    this.stats.count(rule)
    let fields: OutputFields | null = null
    if (this.outputs.wantsFields) {
      const f: Record<string, unknown> = rule.formatter.fields(ev)
      for (const [key, fmt] of rule.extraFields) f[key] = fmt.render(ev)
      fields = f as OutputFields
    }
    this.outputs.emit(new Alert(this.heads.get(rule)!, time, rule.formatter.render(ev), fields, this.outputs.hostname))
  }

  /** Falco's end-of-run text for this matcher's rules. */
  summary(): string {
    return this.stats.summary(this.ruleset.rules)
  }
}
