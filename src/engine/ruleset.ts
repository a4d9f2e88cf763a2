// The rules in force for one event source, indexed by event type: an event is tested only
// against the rules whose condition can match its type (Falco's evttype_index_ruleset).
// Rules keep their load order inside each type's list, which decides `rule_matching: first`.
import type { CompiledRule } from '../rules/compiler.js'
import type { Priority } from '../rules/infos.js'

const NO_RULES: readonly CompiledRule[] = []

/** `*` matches any run of characters, as Falco's rule-name wildcards do. */
function wildcardMatcher(pattern: string): (s: string) => boolean {
  if (!pattern.includes('*')) return (s) => s === pattern
  const rx = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's')
  return (s) => rx.test(s)
}

export class Ruleset {
  private readonly enabled = new Set<CompiledRule>()
  private byType: (readonly CompiledRule[])[] = []
  private anyType: readonly CompiledRule[] = NO_RULES

  /**
   * @param rules the compiled rules of this source, in load order
   * @param minPriority rules less severe than this (a larger number) never run
   * @param eventTypeCount the size of the event table, for the index
   */
  constructor(
    readonly source: string,
    readonly rules: readonly CompiledRule[],
    minPriority: Priority,
    private readonly eventTypeCount: number,
  ) {
    this.rules = rules.filter((r) => r.source === source && r.priority <= minPriority)
    for (const r of this.rules) if (r.info.enabled) this.enabled.add(r)
    this.reindex()
  }

  enableByName(pattern: string, enable: boolean): void {
    const match = wildcardMatcher(pattern)
    this.apply((r) => match(r.name), enable)
  }

  /** Rules that carry any of `tags`. */
  enableByTag(tags: readonly string[], enable: boolean): void {
    this.apply((r) => r.tags.some((t) => tags.includes(t)), enable)
  }

  get enabledRules(): readonly CompiledRule[] {
    return this.rules.filter((r) => this.enabled.has(r))
  }

  /** The enabled rules that can match an event of this type, in load order. */
  forType(type: number): readonly CompiledRule[] {
    return this.byType[type] ?? this.anyType
  }

  private apply(pred: (r: CompiledRule) => boolean, enable: boolean): void {
    for (const r of this.rules) {
      if (!pred(r)) continue
      if (enable) this.enabled.add(r)
      else this.enabled.delete(r)
    }
    this.reindex()
  }

  private reindex(): void {
    const active = this.enabledRules
    this.anyType = active.filter((r) => r.evttypes === 'all')
    // each rule into the lists of its types, in load order (one pass over the rules, rather
    // than one over every rule per type)
    const lists: CompiledRule[][] = []
    for (const r of active) {
      if (r.evttypes === 'all') {
        for (let t = 0; t < this.eventTypeCount; t++) (lists[t] ??= []).push(r)
      } else {
        for (const t of r.evttypes) if (t < this.eventTypeCount) (lists[t] ??= []).push(r)
      }
    }
    this.byType = new Array(this.eventTypeCount)
    for (let t = 0; t < this.eventTypeCount; t++) this.byType[t] = lists[t] ?? NO_RULES
  }
}
