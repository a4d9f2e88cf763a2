// Loading rules files the way falco_engine::load_rules does: every file is read into one
// shared collector, and after each file everything collected so far is compiled again,
// so a file can use and override what earlier files defined, and each file gets its own
// load result.
import fs from 'node:fs'
import path from 'node:path'
import { Collector } from './collector.js'
import type { RuleSource, Version } from './collector.js'
import { compileCollected } from './compiler.js'
import type { CompileConfig, CompileOutput, RuleSourceFields } from './compiler.js'
import { LoadResult } from './load-result.js'
import { readRulesFile } from './reader.js'

/** The engine version Saker presents to `required_engine_version` (Falco 0.44's). */
export const ENGINE_VERSION: Version = { major: 0, minor: 62, patch: 0 }

export class RulesLoader {
  private readonly collector: Collector
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

  load(name: string, text: string): LoadResult {
    const result = new LoadResult(name)
    this.contents.set(name, text)
    this.results.push(result)
    if (readRulesFile(name, text, this.collector, result)) {
      const out = compileCollected(this.collector, this.cfg, result)
      if (out && result.successful) this.compiled = out
    }
    return result
  }
}

function isValidField(src: RuleSourceFields, name: string): boolean {
  const m = /^([^[\]]+)(?:\[(.*)\])?$/.exec(name)
  if (!m) return false
  try {
    src.resolver.bind(m[1]!, m[2])
    return true
  } catch {
    return false
  }
}

/**
 * The rules files a path stands for, as Falco reads them: a directory gives its regular
 * .yaml/.yml files in name order (not recursive); a file path is kept when it ends in
 * .yaml or .yml, and a missing one is reported when it is read.
 */
export function expandRulesPath(p: string): string[] {
  const isYaml = (f: string): boolean => f.endsWith('.yaml') || f.endsWith('.yml')
  let isDir = false
  try {
    isDir = fs.statSync(p).isDirectory()
  } catch {
    isDir = false
  }
  if (!isDir) return isYaml(p) ? [p] : []
  return fs
    .readdirSync(p)
    .map((n) => path.join(p, n))
    .filter((f) => isYaml(f) && fs.statSync(f).isFile())
    .sort()
}

/** Reads a rules file, failing with Falco's message. */
export function readRulesText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    throw new Error(`Could not open file ${file} for reading`)
  }
}
