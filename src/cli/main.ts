// The saker command: Falco's actions in Falco's order (app.cpp), each either done and
// exiting, or passing on to the next. Errors print `Error: <message>` and exit 1.
import fs from 'node:fs'
import os from 'node:os'
import { ConfigError, configSchema, expandRulesPaths, loadConfig, NO_RULES_FILES_MESSAGE } from '../config/index.js'
import type { SakerConfig } from '../config/index.js'
import type { Engine } from '../engine/engine.js'
import { parsePriority } from '../rules/infos.js'
import { BUILTIN_PLUGINS } from '../rules/versions.js'
import type { SyscallEvent } from '../sources/syscall/event.js'
import type { K8sAuditEvent } from '../sources/k8saudit/event.js'
import type { LiveCompanion, LiveServing } from '../sources/live/run.js'
import type { Webserver } from '../server/webserver.js'
import type { Outputs } from '../outputs/dispatcher.js'
import { log } from './log.js'
import { OptionsError, parseOptions, usage } from './options.js'
import type { Options } from './options.js'
import { SAKER_VERSION, versionInfo } from './version.js'

// Modules only some commands need are imported where they are used: loading all ~115 of
// Saker's modules up front was most of what `saker --version` took.

class Fatal extends Error {}

/** Where the configuration comes from when -c is not given: Saker's, then Falco's. */
const DEFAULT_CONFIG_FILES = ['/etc/saker/saker.yaml', '/etc/falco/falco.yaml']

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n')
}

export async function main(argv: readonly string[]): Promise<number> {
  // `saker test` (Saker's own command): rules files against cases of captures and live commands
  if (argv[0] === 'test') {
    const { runRuleTests } = await import('../testing/index.js')
    return runRuleTests(argv.slice(1))
  }
  let opts: Options
  try {
    opts = parseOptions(argv)
  } catch (e) {
    if (e instanceof OptionsError) {
      process.stderr.write(`Error: ${e.message}\n`)
      return 1
    }
    throw e
  }
  try {
    return await run(opts)
  } catch (e) {
    if (e instanceof Fatal || e instanceof ConfigError) {
      process.stderr.write(`Error: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

async function run(opts: Options): Promise<number> {
  for (const w of opts.warnings) process.stderr.write(w + '\n')
  if (opts.help) {
    out(usage())
    return 0
  }
  if (opts.printConfigSchema) {
    out(JSON.stringify(configSchema, null, 2))
    return 0
  }
  if (opts.printRuleSchema) {
    const { ruleSchema } = await import('../rules/schema.js')
    process.stdout.write(JSON.stringify(ruleSchema, null, 2))
    return 0
  }
  if (opts.printIgnoredEvents) {
    const { ignoredSyscallNames } = await import('../events/syscalls.js')
    out('Ignored syscall(s):\n' + ignoredSyscallNames().map((n) => `- ${n}\n`).join(''))
    return 0
  }
  if (opts.listEvents) {
    const { listEvents } = await import('./list-events.js')
    out(listEvents(opts.format))
    return 0
  }

  const { config, files: configFiles } = loadConfiguration(opts)
  if (opts.version) {
    out(config.json_output ? JSON.stringify(versionInfo()) : versionText())
    return 0
  }
  if (opts.pageSize) {
    out(`Your system page size is: ${pageSize()} bytes`)
    return 0
  }
  if (opts.listPlugins || opts.pluginInfo !== undefined) {
    out(pluginsText(opts.pluginInfo))
    return 0
  }

  const [{ Engine }, { knownSources }] = await Promise.all([import('../engine/engine.js'), import('../sources/index.js')])
  const engine = new Engine(knownSources(), extraOutputs(config, opts))
  if (opts.listFields !== undefined) {
    const { FIELD_SOURCES, listFields } = await import('../fields/registry.js')
    if (opts.listFields !== '' && !FIELD_SOURCES.includes(opts.listFields)) throw new Fatal('Value for --list must be a valid source type')
    process.stdout.write(listFields({ source: opts.listFields || undefined, names: opts.namesOnly, format: opts.format, verbose: opts.verbose }))
    return 0
  }

  if (opts.validateFiles.length > 0) return validate(engine, config, opts)

  await loadRules(engine, config, opts)
  if (opts.describeAllRules || opts.describeRule !== undefined) {
    const { describeRules, formatDescribedRulesAsText } = await import('../engine/describe.js')
    const described = describeRules(engine, opts.describeRule)
    if (typeof described === 'string') throw new Fatal(described)
    out(config.json_output ? JSON.stringify(described) : formatDescribedRulesAsText(described))
    return 0
  }
  if (opts.support) {
    out(JSON.stringify(supportInfo(config, engine), null, 2))
    return 0
  }
  if (opts.dryRun) {
    log.log('info', 'Skipping event processing in dry-run')
    return 0
  }
  const { metricsConfigError } = await import('../metrics/writer.js')
  const metricsError = metricsConfigError(config)
  if (metricsError !== null) throw new Fatal(metricsError)
  if (config.metrics.enabled) log.log('info', `Setting metrics interval to ${config.metrics.interval}, equivalent to ${config.metrics.interval_ms} (ms)`)
  if (config.engine.kind === 'replay') return runReplay(engine, config, opts, configFiles)
  return runSources(engine, config, opts, configFiles)
}

/**
 * Live mode: the event sources that are loaded (syscall from the kernel probe unless the
 * engine is nodriver; k8s_audit when the k8saudit plugin is configured), narrowed by
 * --enable-source / --disable-source, run side by side into the same outputs until a
 * signal, -M, or a source that ends (a replayed audit file), as Falco runs them.
 */
async function runSources(engine: Engine, config: SakerConfig, opts: Options, configFiles: readonly string[]): Promise<number> {
  const web = await startWebserver(config)
  try {
    return await runEnabledSources(engine, config, opts, { webserver: web, configFiles })
  } finally {
    await web?.close()
  }
}

/** Falco's health webserver (before the sources open: /healthz answers while they start). */
async function startWebserver(config: SakerConfig): Promise<Webserver | null> {
  const w = config.webserver
  if (!w.enabled) return null
  const [{ Webserver }, { loadPemPair }] = await Promise.all([import('../server/webserver.js'), import('../server/tls.js')])
  log.log('info', `Starting health webserver with threadiness ${w.threadiness}, listening on ${w.listen_address}:${w.listen_port}${w.ssl_enabled ? ' (SSL)' : ''}`)
  try {
    return await Webserver.start({
      host: w.listen_address,
      port: w.listen_port,
      tls: w.ssl_enabled ? loadPemPair(w.ssl_certificate) : undefined,
      healthzPath: w.k8s_healthz_endpoint,
      versions: versionInfo,
    })
  } catch (e) {
    throw new Fatal(`an error occurred while starting webserver: ${(e as Error).message}`)
  }
}

async function runEnabledSources(engine: Engine, config: SakerConfig, opts: Options, serving: LiveServing): Promise<number> {
  // imported here: the audit source brings the webhook server (http, https, tls), which replay never needs
  const { openK8sAuditSource, k8sAuditPluginOf } = await import('../sources/k8saudit/source.js')
  const k8sEntry = k8sAuditPluginOf(config.plugins)
  const loaded = ['syscall', ...(k8sEntry ? ['k8s_audit'] : [])]
  const enabled = selectSources(loaded, opts)
  log.log('info', `Loaded event sources: ${loaded.join(', ')}`)
  log.log('info', `Enabled event sources: ${enabled.join(', ')}`)
  const syscall = enabled.includes('syscall') && config.engine.kind !== 'nodriver'
  if (syscall && !k8sEntry) return runLiveSyscalls(engine, config, opts, serving)

  const [{ Outputs }, { RuleMatcher, RuleStats }, { onStopSignals }, { startMetrics }] = await Promise.all([
    import('../outputs/dispatcher.js'),
    import('../engine/matcher.js'),
    import('../sources/live/signals.js'),
    import('../metrics/writer.js'),
  ])
  let outputs: Outputs
  try {
    outputs = Outputs.fromConfig(config)
  } catch (e) {
    throw new Fatal((e as Error).message)
  }
  const stats = new RuleStats()
  let ended!: () => void
  const until = new Promise<void>((r) => (ended = r))
  let k8s: Awaited<ReturnType<typeof openK8sAuditSource>> | undefined
  let k8sMetrics: ReturnType<typeof startMetrics> = null
  if (k8sEntry && enabled.includes('k8s_audit')) {
    const matcher = new RuleMatcher<K8sAuditEvent>(engine.ruleset('k8s_audit')!, outputs, config.rule_matching === 'first', stats)
    let events = 0
    k8sMetrics = startMetrics(engine, config, { name: 'k8s_audit', engineName: 'source_plugin', numEvents: () => events, kernel: () => null, state: () => null, programs: () => null },
      // /metrics comes from the syscall source when it runs, as Falco's page has that source's counters
      { outputs, ruleStats: stats, webserver: syscall ? null : serving.webserver ?? null, configFiles: serving.configFiles ?? [] })
    const onAuditEvent = (ev: K8sAuditEvent): void => {
      k8sMetrics?.onEvents()
      events++
      matcher.match(ev, 0, () => ev.ts)
    }
    try {
      k8s = await openK8sAuditSource(k8sEntry, onAuditEvent, {
        hostname: config.plugins_hostinfo ? os.hostname() : undefined,
      })
    } catch (e) {
      await outputs.close()
      throw new Fatal((e as Error).message)
    }
    log.log('info', `Opening 'k8s_audit' source with plugin '${k8sEntry.name}'`)
    void k8s.done.then(ended, ended)
  }
  let code = 0
  if (syscall) {
    code = await runLiveSyscalls(engine, config, opts, serving, { outputs, stats, until })
  } else {
    const signals = onStopSignals(() => void outputs.reopen())
    const timer = opts.durationSeconds > 0 ? setTimeout(ended, opts.durationSeconds * 1000) : null
    await Promise.race([until, signals.stopped])
    signals.dispose()
    if (timer) clearTimeout(timer)
  }
  await k8s?.close()
  await outputs.close()
  process.stdout.write(stats.summary(engine.loader.compiled.rules))
  return code
}

/** Falco's --enable-source / --disable-source over the loaded sources. */
function selectSources(loaded: readonly string[], opts: Options): string[] {
  for (const s of [...opts.enableSources, ...opts.disableSources]) {
    if (!loaded.includes(s)) throw new Fatal(`Attempted ${opts.enableSources.includes(s) ? 'enabling' : 'disabling'} an unknown event source: ${s}`)
  }
  const enabled = opts.enableSources.length > 0 ? loaded.filter((s) => opts.enableSources.includes(s)) : loaded.filter((s) => !opts.disableSources.includes(s))
  if (enabled.length === 0) throw new Fatal('Must enable at least one event source')
  return enabled
}

async function runLiveSyscalls(engine: Engine, config: SakerConfig, opts: Options, serving: LiveServing, companion?: LiveCompanion): Promise<number> {
  // Saker has one kernel driver, its eBPF probe; kmod (Falco's built-in default kind) uses it too.
  // Loaded only here, so that commands which do not run live never load the addon.
  const { runLive } = await import('../sources/live/run.js')
  try {
    return await runLive(engine, config, { durationS: opts.durationSeconds, verbose: opts.verbose, writeCapture: opts.writeCapture, ...serving }, companion)
  } catch (e) {
    throw new Fatal((e as Error).message)
  }
}


/** Capture mode: the file's events through the syscall rules, then Falco's summaries. */
async function runReplay(engine: Engine, config: SakerConfig, opts: Options, configFiles: readonly string[]): Promise<number> {
  const [{ Outputs }, { openReplay, replay }, { RuleMatcher }, { DropMonitor }, { startMetrics }, { stateCounters }] = await Promise.all([
    import('../outputs/dispatcher.js'),
    import('../sources/syscall/replay.js'),
    import('../engine/matcher.js'),
    import('../engine/drops.js'),
    import('../metrics/writer.js'),
    import('../metrics/collector.js'),
  ])
  let outputs: Outputs
  try {
    outputs = Outputs.fromConfig(config)
  } catch (e) {
    throw new Fatal((e as Error).message)
  }
  const file = config.engine.replay.capture_file
  let reader
  try {
    reader = openReplay(file)
  } catch (e) {
    await outputs.close()
    throw new Fatal((e as Error).message)
  }
  log.log('info', `Replaying events from the capture file: ${file}`)
  const matcher = new RuleMatcher<SyscallEvent>(engine.ruleset('syscall')!, outputs, config.rule_matching === 'first')
  const started = process.hrtime.bigint()
  const res = replay(reader, matcher, {
    state: { threadTableSize: config.falco_libs.thread_table_size },
    durationS: opts.durationSeconds,
    drops: (counters) => new DropMonitor(config.syscall_event_drops, counters, outputs, false),
    // no kernel counters in a capture; no webserver in capture mode, as in Falco
    metrics: (state, events) => startMetrics(engine, config,
      { name: 'syscall', engineName: 'savefile', numEvents: events, kernel: () => null, state: () => stateCounters(state), programs: () => null },
      { outputs, ruleStats: matcher.stats, webserver: null, configFiles }),
  })
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  if (opts.verbose) process.stderr.write(`Elapsed time: ${elapsed.toFixed(3)}, Captured Events: ${res.events}, ${(res.events / elapsed).toFixed(2)} eps\n`)
  if (res.drops) process.stderr.write(res.drops.stats())
  await outputs.close()
  process.stdout.write(matcher.summary())
  if (res.error) {
    // the events before the damage were processed and their alerts sent; the exit code says the file was bad
    process.stderr.write(`Error: capture file ${file}: ${res.error.message} (the ${res.events} events before it were processed)\n`)
    return 1
  }
  return res.stoppedByDrops ? 1 : 0
}

/** The configuration, and the files it was read from (the main one first). */
function loadConfiguration(opts: Options): { config: SakerConfig; files: string[] } {
  let file = opts.configFile
  if (file === undefined) file = DEFAULT_CONFIG_FILES.find((f) => fs.existsSync(f))
  const loaded = loadConfig({ file, overrides: opts.configOverrides, env: process.env })
  const config = loaded.config
  log.iso8601 = config.time_format_iso_8601
  log.toStderr = config.log_stderr
  log.setLevel(config.log_level)
  if (opts.unbuffered) config.buffered_outputs = false
  if (opts.rulesFiles.length > 0) config.rules_files = opts.rulesFiles
  for (const w of loaded.warnings) log.log('warning', w)
  log.log('info', `Saker version: ${SAKER_VERSION}`)
  if (loaded.filesLoaded.length > 0) log.log('info', 'Saker initialized with configuration files:\n' + loaded.filesLoaded.map((f) => `   ${f}\n`).join(''))
  return { config, files: loaded.filesLoaded }
}

/** The container plugin's fields flagged as suggested output formats (extract.cpp), in its order. */
const SUGGESTED_FIELDS = ['container.id', 'container.name', 'container.image.repository', 'container.image.tag', 'k8s.pod.name', 'k8s.ns.name']

function extraOutputs(config: SakerConfig, opts: Options): { source: string; tags: string[]; rule: string; format: string; key: string }[] {
  const extras = []
  for (const a of config.append_output) {
    const base = { source: a.match.source ?? '', tags: a.match.tags, rule: a.match.rule ?? '' }
    if (a.extra_output !== '') extras.push({ ...base, format: a.extra_output, key: '' })
    // the container plugin's suggested fields, "foo_bar=%foo.bar" each (Falco's add_suggested_output);
    // no other source has suggested fields
    if (a.suggested_output && (base.source === '' || base.source === 'syscall')) {
      for (const f of SUGGESTED_FIELDS) extras.push({ ...base, source: 'syscall', format: `${f.replaceAll('.', '_')}=%${f}`, key: '' })
    }
    for (const f of a.extra_fields) extras.push({ ...base, format: f.format, key: f.name })
  }
  // -p (deprecated): Falco 0.44 ignores -pc / -pk (append_output's suggested_output gives the
  // container and k8s fields now); anything else is a format for every alert
  const p = opts.printAdditional
  if (p !== undefined) {
    log.log('warning', 'The -p/--print option is deprecated and will be removed. Use -o append_output=... instead.')
    if (p !== 'c' && p !== 'container' && p !== 'k' && p !== 'kubernetes') extras.push({ source: '', tags: [], rule: '', format: p, key: '' })
  }
  return extras
}

function rulesFileList(config: SakerConfig): string[] {
  return expandRulesPaths(config.rules_files).files
}

async function readAll(files: readonly string[]): Promise<Map<string, string>> {
  const { readRulesText } = await import('../rules/loader.js')
  const texts = new Map<string, string>()
  for (const f of files) {
    try {
      texts.set(f, readRulesText(f))
    } catch (e) {
      throw new Fatal((e as Error).message)
    }
  }
  return texts
}

/** -V: each file loaded in turn; text summary or {"falco_load_results": [...]}. */
async function validate(engine: Engine, config: SakerConfig, opts: Options): Promise<number> {
  const texts = await readAll(opts.validateFiles)
  log.log('info', 'Validating rules file(s):\n' + opts.validateFiles.map((f) => `   ${f}\n`).join(''))
  let successful = true
  const results = []
  const summary: string[] = []
  for (const [file, text] of texts) {
    const res = engine.load(file, text)
    const reqErr = engine.checkPluginRequirements()
    if (reqErr) throw new Fatal(reqErr)
    successful &&= res.successful
    results.push(res.asJson(engine.loader.contents))
    if (!res.successful || res.warnings.length === 0) summary.push(res.verbose(engine.loader.contents))
    else {
      summary.push(`${file}: Ok, with warnings`)
      if (log.enabled('warning')) log.log('warning', res.verbose(engine.loader.contents))
    }
  }
  // -L / -l with -V: the rules described after the load results (the describer loaded only then)
  const describe = successful && (opts.describeAllRules || opts.describeRule !== undefined) ? await import('../engine/describe.js') : null
  let described: ReturnType<NonNullable<typeof describe>['describeRules']> | undefined
  if (describe !== null) {
    engine.buildRulesets(ruleMinPriority(config), config.rules)
    described = describe.describeRules(engine, opts.describeRule)
    if (typeof described === 'string') throw new Fatal(described)
  }
  if (config.json_output) {
    const doc: Record<string, unknown> = { falco_load_results: results }
    if (described) doc.falco_describe_results = described
    out(JSON.stringify(doc))
  } else {
    out(summary.join('\n'))
    if (describe !== null && described !== undefined && typeof described !== 'string') out('\n' + describe.formatDescribedRulesAsText(described))
  }
  if (!successful) {
    process.stderr.write(`Error: ${summary.join('\n')}\n`)
    return 1
  }
  return 0
}

function ruleMinPriority(config: SakerConfig): number {
  return parsePriority(config.priority) ?? 7
}

/** Loads the configured rules files (-r replaces them), as Falco's load_rules_files. */
async function loadRules(engine: Engine, config: SakerConfig, opts: Options): Promise<void> {
  const files = rulesFileList(config)
  if (config.rules_files.length === 0 || (files.length === 0 && opts.rulesFiles.length === 0)) throw new Fatal(NO_RULES_FILES_MESSAGE)
  const texts = await readAll(files)
  log.log('info', 'Loading rules from:\n' + files.map((f) => `   ${f}\n`).join(''))
  for (const [file, text] of texts) {
    const res = engine.load(file, text)
    log.log(res.schemaValidation === 'ok' ? 'info' : 'warning', `   ${file} | schema validation: ${res.schemaValidation}`)
    if (!res.successful) throw new Fatal(res.verbose(engine.loader.contents))
    if (res.warnings.length > 0 && log.enabled('warning')) log.log('warning', res.verbose(engine.loader.contents))
  }
  const reqErr = engine.checkPluginRequirements()
  if (reqErr) throw new Fatal(reqErr)
  engine.buildRulesets(ruleMinPriority(config), config.rules)
  for (const sel of config.rules) {
    const verb = sel.op === 'enable' ? 'Enabling' : 'Disabling'
    if (sel.rule) log.log('info', `${verb} rules with name: ${sel.rule}`)
    if (sel.tag) log.log('info', `${verb} rules with tag: ${sel.tag}`)
  }
}

function versionText(): string {
  const v = versionInfo()
  return [
    `Saker version: ${SAKER_VERSION} (compatible with Falco ${v.falco_version})`,
    `Libs version:  ${v.libs_version}`,
    `Plugin API:    ${v.plugin_api_version}`,
    `Engine:        ${v.engine_version_semver}`,
    'Driver:',
    `  API version:    ${v.driver_api_version}`,
    `  Schema version: ${v.driver_schema_version}`,
    `  Default driver: ${v.default_driver_version}`,
  ].join('\n')
}

function pageSize(): number {
  // Node has no sysconf; the kernel's page size is what /proc/self/smaps reports for mappings.
  try {
    const m = /KernelPageSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/smaps', 'utf8'))
    if (m) return Number(m[1]) * 1024
  } catch {
    // fall through
  }
  return 4096
}

function pluginsText(name: string | undefined): string {
  const shown = name === undefined ? BUILTIN_PLUGINS : BUILTIN_PLUGINS.filter((p) => p.name === name)
  if (name !== undefined && shown.length === 0) throw new Fatal(`Plugin '${name}' is not built into Saker (built in: ${BUILTIN_PLUGINS.map((p) => p.name).join(', ')})`)
  const lines = [`${shown.length} Plugins Loaded:`, '']
  for (const p of shown) lines.push(`Name: ${p.name}`, `Version: ${p.version}`, 'Built into Saker', '')
  return lines.join('\n')
}

function supportInfo(config: SakerConfig, engine: Engine): object {
  return {
    version: SAKER_VERSION,
    engine_info: { engine_version: versionInfo().engine_version_semver },
    system_info: { sysname: os.type(), nodename: os.hostname(), release: os.release(), version: os.version(), machine: os.machine() },
    cmdline: process.argv.slice(2).join(' '),
    config: config,
    rules_files: [...engine.loader.contents.entries()].map(([name, content]) => ({ name, content })),
  }
}

// not a top-level await: scripts/bundle.mjs makes a CommonJS file of the CLI, which has none
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
