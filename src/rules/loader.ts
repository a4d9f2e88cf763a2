// Loading rules files the way falco_engine::load_rules does: every file is read into one
// shared collector, and after each file everything collected so far is compiled again,
// so a file can use and override what earlier files defined, and each file gets its own
// load result.
import fs from 'node:fs'
import { Collector } from './collector.js'
import type { RuleSource } from './collector.js'
import { CompileCache, compileCollected } from './compiler.js'
import type { CompileConfig, CompileOutput, RuleSourceFields } from './compiler.js'
import { LoadResult } from './load-result.js'
import { readRulesFile } from './reader.js'
import { ENGINE_VERSION } from './versions.js'
import type { Version } from './versions.js'

export class RulesLoader {
  private readonly collector: Collector
  /** Work the per-file compilations share (see compiler.ts). */
  private readonly cache = new CompileCache()
  /** The last successful compilation: the rules in force. */
  compiled: CompileOutput = { lists: new Map(), macros: new Map(), rules: [] }
  readonly results: LoadResult[] = []
  /** File name → text, for the snippets in verbose results. */
  readonly contents = new Map<string, string>()

  constructor(private readonly cfg: CompileConfig) {
    const sources = new Map<string, RuleSource>()
    for (const [name, src] of cfg.sources) sources.set(name, { name, isValidField: (f) => isValidField(src, f) })
    this.collector = new Collector(ENGINE_VERSION, sources)
  }

  get requiredPluginVersions(): Collector['requiredPluginVersions'] {
    return this.collector.requiredPluginVersions
  }

  get requiredEngineVersion(): Version | undefined {
    return this.collector.requiredEngineVersion
  }

  /** A macro's condition as written (appends included), for describing it. */
  macroText(name: string): string {
    return this.collector.macros.get(name)?.cond ?? ''
  }

  /** A list's items as written, list names included. */
  listItems(name: string): string[] {
    return this.collector.lists.get(name)?.items ?? []
  }

  load(name: string, text: string): LoadResult {
    const result = new LoadResult(name)
    this.contents.set(name, text)
    this.results.push(result)
    if (readRulesFile(name, text, this.collector, result)) {
      const out = compileCollected(this.collector, this.cfg, result, this.cache)
      if (out && result.successful) this.compiled = out
    }
    return result
  }
}

function isValidField(src: RuleSourceFields, name: string): boolean {
  const m = /^([^[\]]+)(?:\[(.*)\])?$/.exec(name)
  if (!m) return false
  if (src.resolver.isField !== undefined) return src.resolver.isField(m[1]!, m[2])
  try {
    src.resolver.bind(m[1]!, m[2])
    return true
  } catch {
    return false
  }
}

/** Reads a rules file, failing with Falco's message. */
export function readRulesText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    throw new Error(`Could not open file ${file} for reading`)
  }
}
