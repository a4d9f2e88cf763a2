// The rules engine as the CLI drives it: rules files loaded one after another (each with its
// load result), plugin requirements checked, then one ruleset per event source with the
// priority threshold and the `rules:` selections applied — falco_engine's job.
import type { FieldResolver } from '../fields/binding.js'
import { BUILTIN_PLUGINS, compareVersions, parseVersion } from '../rules/versions.js'
import type { ExtraOutput } from '../rules/compiler.js'
import { RulesLoader } from '../rules/loader.js'
import type { LoadResult } from '../rules/load-result.js'
import type { Priority } from '../rules/infos.js'
import { Ruleset } from './ruleset.js'

export interface EngineSource {
  readonly name: string
  readonly resolver: FieldResolver<unknown>
  /** How many event types the source's index needs (the event table size; 1 for plugin sources). */
  readonly eventTypeCount: number
}

export interface RuleSelection {
  readonly op: 'enable' | 'disable'
  readonly rule: string | null
  readonly tag: string | null
}

export class Engine {
  readonly loader: RulesLoader
  private readonly rulesets = new Map<string, Ruleset>()

  constructor(
    readonly sources: ReadonlyMap<string, EngineSource>,
    extraOutputs: readonly ExtraOutput[] = [],
  ) {
    this.loader = new RulesLoader({ sources, extraOutputs })
  }

  load(name: string, text: string): LoadResult {
    return this.loader.load(name, text)
  }

  /** Falco's check of `required_plugin_versions` against the loaded plugins; an error text or undefined. */
  checkPluginRequirements(plugins = BUILTIN_PLUGINS): string | undefined {
    for (const alternatives of this.loader.requiredPluginVersions) {
      let satisfied = false
      for (const req of alternatives) {
        const plugin = plugins.find((p) => p.name === req.name)
        if (!plugin) continue
        const have = parseVersion(plugin.version)!
        const want = parseVersion(req.version)
        if (!want || have.major !== want.major || compareVersions(have, want) < 0) {
          return `Plugin '${plugin.name}' version '${plugin.version}' is not compatible with required plugin version '${req.version}'`
        }
        satisfied = true
        break
      }
      if (!satisfied) {
        return 'Plugin requirement not satisfied, must load one of: ' + alternatives.map((r) => `${r.name} (>= ${r.version})`).join(', ')
      }
    }
    return undefined
  }

  /** Builds the rulesets from the rules in force; call after the last file loaded. */
  buildRulesets(minPriority: Priority, selections: readonly RuleSelection[] = []): void {
    const rules = this.loader.compiled.rules
    for (const src of this.sources.values()) {
      const rs = new Ruleset(src.name, rules, minPriority, src.eventTypeCount)
      for (const sel of selections) {
        const enable = sel.op === 'enable'
        if (sel.rule) rs.enableByName(sel.rule, enable)
        if (sel.tag) rs.enableByTag([sel.tag], enable)
      }
      this.rulesets.set(src.name, rs)
    }
  }

  ruleset(source: string): Ruleset | undefined {
    return this.rulesets.get(source)
  }
}
