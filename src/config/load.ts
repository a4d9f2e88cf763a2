// Loading saker.yaml / falco.yaml the way Falco 0.44 loads falco.yaml
// (falco_configuration::init_from_file):
//
//   1. read and parse the main file, expand ${VAR} in its values, check it against the schema;
//   2. apply the `-o config_files...` overrides, so the command line can add included files;
//   3. merge the `config_files` entries (files, or directories read in name order) with their
//      strategy (append / override / add-only), each included file expanded and checked alone;
//   4. apply every `-o key=value` override, in order;
//   5. build the typed configuration, with Falco's defaults and its errors.
//
// Schema violations never stop the load: Falco logs them as warnings, and so do we (they are in
// `warnings`, one per file, as "<file> | schema validation: failed for ..."). Overrides are not
// checked against the schema, as in Falco.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { buildConfig } from './build.js'
import { cppStringStrict, toPlain } from './convert.js'
import { DEFAULT_CONFIG_NAME, DEFAULT_PLUGINS_DIR } from './defaults.js'
import { expandEnv } from './env.js'
import type { Env } from './env.js'
import { ConfigError } from './errors.js'
import { BadConversion, childByKey, pushBack, YamlCppError, YNode } from './node.js'
import { applyOverride, lookupKey } from './override.js'
import { parseYaml, YamlSyntaxError } from './parse.js'
import type { ConfigFileEntry, MergeStrategy, SakerConfig } from './types.js'
import { VALIDATION_OK, validateNode } from './validate.js'

export { applyOverride } from './override.js'

const CONFIG_FILES_KEY = 'config_files'

export interface LoadOptions {
  /** The main configuration file; without one, only the overrides and the defaults apply. */
  file?: string
  /** `-o key=value` options, in command-line order. */
  overrides: string[]
  /** Environment for ${VAR} expansion; process.env by default. */
  env?: NodeJS.ProcessEnv
  /** Directory a relative plugin library_path is resolved against. */
  pluginsDir?: string
}

export interface FileValidation {
  file: string
  /** "ok", or "failed for <place>: <what>". */
  status: string
}

export interface LoadResult {
  config: SakerConfig
  /**
   * The merged document after overrides, as plain data: every scalar is its text (types are
   * decided when a key is read, see SakerConfig), null values are null.
   */
  raw: unknown
  warnings: string[]
  /** The main file, then every included file, in the order they were read. */
  filesLoaded: string[]
  /** The schema check of each file read, in order (Falco prints these at start-up). */
  validation: FileValidation[]
}

/** Load the configuration; throws ConfigError with Falco's message on failure. */
export function loadConfig(opts: LoadOptions): LoadResult {
  const env: Env = opts.env ?? process.env
  const pluginsDir = opts.pluginsDir ?? DEFAULT_PLUGINS_DIR
  if (opts.file === undefined) {
    // Falco without a configuration file: the overrides on an empty document, nothing to merge
    // and nothing to report about the schema.
    const root = YNode.null()
    for (const o of opts.overrides) applyOverride(root, o)
    return finish(root, DEFAULT_CONFIG_NAME, pluginsDir, [], [], [])
  }

  const main = opts.file
  const validation = new Map<string, string>()
  const filesLoaded: string[] = []
  const root = readMainFile(main, env)
  filesLoaded.push(main)
  validation.set(main, validateNode(root))

  for (const o of opts.overrides) if (o.startsWith(CONFIG_FILES_KEY)) applyOverride(root, o)
  const configFiles = mergeConfigFiles(root, main, env, validation, filesLoaded)
  for (const o of opts.overrides) applyOverride(root, o)

  const checks = [...validation].map(([file, status]) => ({ file, status }))
  return finish(root, main, pluginsDir, configFiles, filesLoaded, checks)
}

/**
 * Load a configuration held in a string (Falco's init_from_content): expanded and checked like
 * a file, then the overrides; `config_files` is not followed. Handy for tests and tools.
 */
export function loadConfigText(
  text: string,
  opts: { overrides?: string[]; env?: NodeJS.ProcessEnv; pluginsDir?: string; name?: string } = {},
): LoadResult {
  const name = opts.name ?? DEFAULT_CONFIG_NAME
  const root = parseOrThrow(text, msg => msg)
  expandEnv(root, opts.env ?? process.env)
  const status = validateNode(root)
  for (const o of opts.overrides ?? []) applyOverride(root, o)
  return finish(root, name, opts.pluginsDir ?? DEFAULT_PLUGINS_DIR, [], [], [{ file: name, status }])
}

function finish(
  root: YNode,
  configName: string,
  pluginsDir: string,
  configFiles: ConfigFileEntry[],
  filesLoaded: string[],
  validation: FileValidation[],
): LoadResult {
  const warnings: string[] = []
  for (const v of validation) {
    if (v.status !== VALIDATION_OK) warnings.push(`${v.file} | schema validation: ${v.status}`)
  }
  let config: SakerConfig
  try {
    config = buildConfig(root, { configName, pluginsDir, configFiles }, warnings)
  } catch (e) {
    // yaml-cpp errors escape Falco's loader as they are; so do they here, as ConfigErrors.
    if (e instanceof YamlCppError) throw new ConfigError(e.message)
    throw e
  }
  return { config, raw: toPlain(root) ?? null, warnings, filesLoaded, validation }
}

function parseOrThrow(text: string, wrap: (msg: string) => string): YNode {
  try {
    return parseYaml(text)
  } catch (e) {
    if (e instanceof YamlSyntaxError) throw new ConfigError(wrap(e.message))
    throw e
  }
}

function readMainFile(path: string, env: Env): YNode {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new ConfigError(`Could not find configuration file at ${path}`)
  }
  const root = parseOrThrow(text, msg => `Cannot read config file (${path}): ${msg}`)
  expandEnv(root, env)
  return root
}

function readIncludedFile(path: string, env: Env): YNode {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new ConfigError(`bad file: ${path}`)
  }
  const root = parseOrThrow(text, msg => `Cannot read config file (${path}): ${msg}`)
  expandEnv(root, env)
  return root
}

/** std::filesystem::path equality: element by element, repeated separators ignored. */
function samePath(a: string, b: string): boolean {
  const elements = (p: string): string[] => {
    const parts = p.split('/').filter(s => s !== '')
    if (p.startsWith('/')) parts.unshift('/')
    if (p.length > 1 && p.endsWith('/')) parts.push('')
    return parts
  }
  const ea = elements(a)
  const eb = elements(b)
  return ea.length === eb.length && ea.every((x, i) => x === eb[i])
}

function strategyFrom(text: string): MergeStrategy {
  // Anything else (a typo included) falls back to append; the schema check flags it.
  return text === 'override' || text === 'add-only' ? text : 'append'
}

function decodeConfigFile(n: YNode): ConfigFileEntry {
  if (n.kind !== 'map') return { path: cppStringStrict(n), strategy: 'append' }
  const path = n.get('path')
  if (path === undefined) throw new BadConversion(n.mark)
  const strategy = n.get('strategy')
  return {
    path: cppStringStrict(path),
    strategy: strategy === undefined ? 'append' : strategyFrom(cppStringStrict(strategy)),
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function exists(p: string): boolean {
  try {
    statSync(p)
    return true
  } catch {
    return false
  }
}

function mergeConfigFiles(
  root: YNode,
  main: string,
  env: Env,
  validation: Map<string, string>,
  filesLoaded: string[],
): ConfigFileEntry[] {
  let entries: ConfigFileEntry[]
  try {
    const node = lookupKey(root, CONFIG_FILES_KEY)
    entries =
      node === undefined
        ? []
        : node.kind === 'seq'
          ? node.seqItems().map(decodeConfigFile)
          : node.kind === 'scalar'
            ? [decodeConfigFile(node)]
            : []
  } catch (e) {
    if (e instanceof YamlCppError) throw new ConfigError(e.message)
    throw e
  }

  const include = (path: string, strategy: MergeStrategy): void => {
    const doc = readIncludedFile(path, env)
    filesLoaded.push(path)
    validation.set(path, validateNode(doc))
    try {
      mergeInto(root, doc, strategy, path)
    } catch (e) {
      if (e instanceof YamlCppError) throw new ConfigError(e.message)
      throw e
    }
  }

  for (const entry of entries) {
    // Relative paths are relative to the working directory, not to the main file.
    if (samePath(entry.path, main)) {
      throw new ConfigError(
        `Config error: '${CONFIG_FILES_KEY}' directive tried to recursively include main config file: ${main}.`,
      )
    }
    if (!exists(entry.path)) continue // like a missing rules file: skipped
    if (isFile(entry.path)) {
      include(entry.path, entry.strategy)
    } else if (isDirectory(entry.path)) {
      const dir = entry.path
      let names: string[] = []
      try {
        names = readdirSync(dir)
      } catch {
        names = [] // Falco skips directories it may not read
      }
      const files = names
        .map(n => (dir.endsWith('/') ? dir + n : `${dir}/${n}`))
        .filter(isFile)
        .sort()
      for (const f of files) include(f, entry.strategy)
    }
  }
  return entries
}

/** yaml_helper::include_config_file: merge one included document into the main one. */
function mergeInto(root: YNode, doc: YNode, strategy: MergeStrategy, path: string): void {
  if (doc.kind !== 'map') return
  for (const [key, value] of doc.mapEntries()) {
    // Included files may not include further files (no recursion to reason about).
    if (key === CONFIG_FILES_KEY) {
      throw new ConfigError(`Config error: '${CONFIG_FILES_KEY}' directive in included config file ${path}.`)
    }
    if (strategy === 'append' && value.kind === 'seq') {
      const target = childByKey(root, key)
      for (const item of value.seqItems()) pushBack(target, item)
    } else if (strategy === 'add-only') {
      if (root.get(key) === undefined) childByKey(root, key).assign(value)
    } else {
      // override, and append for anything that is not a sequence
      childByKey(root, key).assign(value)
    }
  }
}
