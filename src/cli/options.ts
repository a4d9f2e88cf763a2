// Falco 0.44's command line, parsed with the same meanings (cxxopts rules: `-oVALUE`,
// `-o VALUE`, `--opt=VALUE`, `--opt VALUE`, repeatable options collect every value),
// plus the deprecated spellings users still type, turned into their configuration
// equivalents with a warning.

export type OutputFormat = 'text' | 'markdown' | 'json'

export interface Options {
  help: boolean
  configFile: string | undefined
  printConfigSchema: boolean
  printRuleSchema: boolean
  disableSources: string[]
  enableSources: string[]
  dryRun: boolean
  printIgnoredEvents: boolean
  describeAllRules: boolean
  describeRule: string | undefined
  /** `--list[=source]`: undefined when absent, '' for every source. */
  listFields: string | undefined
  listEvents: boolean
  listPlugins: boolean
  durationSeconds: number
  format: OutputFormat
  namesOnly: boolean
  /** `-o key=value` overrides, in order, after those the deprecated flags imply. */
  configOverrides: string[]
  pluginInfo: string | undefined
  printAdditional: string | undefined
  pidfile: string
  rulesFiles: string[]
  support: boolean
  unbuffered: boolean
  validateFiles: string[]
  verbose: boolean
  version: boolean
  pageSize: boolean
  /** Saker's own: write the whole session's events to a capture file. */
  writeCapture: string | undefined
  /** Deprecation notices to print on stderr. */
  warnings: string[]
}

interface Spec {
  short?: string
  long?: string
  arg?: string
  /** the option takes a value only as `--opt=value` */
  implicit?: boolean
  desc: string
  hidden?: boolean
  set: (o: Options, v: string) => void
}

export class OptionsError extends Error {}

const SPECS: Spec[] = [
  { short: 'h', long: 'help', desc: 'Print this help list and exit.', set: (o) => void (o.help = true) },
  { short: 'c', arg: '<path>', desc: 'Configuration file. If not specified uses /etc/saker/saker.yaml, then /etc/falco/falco.yaml.', set: (o, v) => void (o.configFile = v) },
  { long: 'config-schema', desc: 'Print the config json schema and exit.', set: (o) => void (o.printConfigSchema = true) },
  { long: 'rule-schema', desc: 'Print the rule json schema and exit.', set: (o) => void (o.printRuleSchema = true) },
  {
    long: 'disable-source',
    arg: '<event_source>',
    desc: "Turn off a specific <event_source>. By default, all loaded sources get enabled. Available sources are 'syscall' and 'k8s_audit' (when the k8saudit plugin is configured). This option can be passed multiple times, but turning off all event sources simultaneously is not permitted. This option can not be mixed with --enable-source. This option has no effect when reproducing events from a capture file.",
    set: (o, v) => void o.disableSources.push(v),
  },
  { long: 'dry-run', desc: 'Run Saker without processing events. It can help check that the configuration and rules do not have any errors.', set: (o) => void (o.dryRun = true) },
  {
    long: 'enable-source',
    arg: '<event_source>',
    desc: 'Enable a specific <event_source>. By default, all loaded sources get enabled. This option can be passed multiple times. When using this option, only the event sources specified by it will be enabled. This option can not be mixed with --disable-source. This option has no effect when reproducing events from a capture file.',
    set: (o, v) => void o.enableSources.push(v),
  },
  { short: 'i', desc: 'Print those events that are ignored by default for performance reasons and exit.', set: (o) => void (o.printIgnoredEvents = true) },
  {
    short: 'L',
    desc: 'Show the name and description of all rules and exit. If json_output is set to true, it prints details about all rules, macros, and lists in JSON format.',
    set: (o) => void (o.describeAllRules = true),
  },
  {
    short: 'l',
    arg: '<rule>',
    desc: 'Show the name and description of the rule specified <rule> and exit. If json_output is set to true, it prints details about the rule in JSON format.',
    set: (o, v) => void (o.describeRule = v),
  },
  {
    long: 'list',
    arg: '<source>',
    implicit: true,
    desc: 'List all defined fields and exit. If <source> is provided, only list those fields for the source <source>. Current values for <source> are "syscall" and "k8s_audit".',
    set: (o, v) => void (o.listFields = v),
  },
  { long: 'list-events', desc: 'List all defined syscall events, metaevents, tracepoint events and exit.', set: (o) => void (o.listEvents = true) },
  { long: 'list-plugins', desc: 'Print info on all loaded plugins and exit.', set: (o) => void (o.listPlugins = true) },
  {
    short: 'M',
    arg: '<num_seconds>',
    desc: 'Stop Saker execution after <num_seconds> are passed.',
    set: (o, v) => {
      const n = Number(v)
      if (!Number.isInteger(n) || n < 0) throw new OptionsError(`Argument '${v}' failed to parse`)
      o.durationSeconds = n
    },
  },
  {
    long: 'markdown',
    desc: 'DEPRECATED: use --format markdown instead. Print output in Markdown format when used in conjunction with --list or --list-events options. It has no effect when used with other options.',
    set: (o) => {
      o.format = 'markdown'
      o.warnings.push('WARNING: --markdown is deprecated, use --format markdown instead.')
    },
  },
  {
    long: 'format',
    arg: '<format>',
    desc: "Print output in the specified <format> when used in conjunction with --list or --list-events options. Valid values are 'text', 'markdown', or 'json'. It has no effect when used with other options. Cannot be used together with --markdown.",
    set: (o, v) => {
      const f = v.toLowerCase()
      if (f !== 'text' && f !== 'markdown' && f !== 'json') throw new OptionsError(`Invalid format '${v}'. Valid values are: text, markdown, json`)
      o.format = f
    },
  },
  { short: 'N', desc: 'Only print field names when used in conjunction with the --list option. It has no effect when used with other options.', set: (o) => void (o.namesOnly = true) },
  {
    short: 'o',
    long: 'option',
    arg: '<opt>=<val>',
    desc: 'Set the value of option <opt> to <val>. Overrides values in the configuration file. <opt> can be identified using its location in the configuration file using dot notation. Elements of list entries can be accessed via square brackets []. Use backslash (\\) to escape literal dots, brackets, or backslashes in key names.\n    E.g. base.id=val\n         base.subvalue.subvalue2=val\n         base.list[1]=val\n         base.dotted\\.key=val\n         base.back\\\\slash=val',
    set: (o, v) => void o.configOverrides.push(v),
  },
  { long: 'plugin-info', arg: '<plugin_name>', desc: 'Print info for the plugin specified by <plugin_name> and exit.', set: (o, v) => void (o.pluginInfo = v) },
  {
    short: 'p',
    long: 'print',
    arg: '<output_format>',
    desc: "DEPRECATED: use -o append_output... instead. Print additional information in the rule's output.\nUse -pc or -pcontainer to append container details to syscall events.\nUse -pk or -pkubernetes to add both container and Kubernetes details to syscall events.\nThe details will be directly appended to the rule's output.\nAlternatively, use -p <output_format> for a custom format. In this case, the given <output_format> will be appended to the rule's output without any replacement to all events, including plugin events.",
    set: (o, v) => void (o.printAdditional = v),
  },
  { short: 'P', long: 'pidfile', arg: '<pid_file>', desc: 'Write PID to specified <pid_file> path. By default, no PID file is created.', set: (o, v) => void (o.pidfile = v) },
  {
    short: 'r',
    arg: '<rules_file>',
    desc: 'Rules file or directory to be loaded. This option can be passed multiple times. Saker defaults to the values in the configuration file when this option is not specified. Only files with .yml or .yaml extension are considered.',
    set: (o, v) => void o.rulesFiles.push(v),
  },
  {
    long: 'support',
    desc: 'Print support information, including version, rules files used, loaded configuration, etc., and exit. The output is in JSON format.',
    set: (o) => void (o.support = true),
  },
  { short: 'U', long: 'unbuffered', desc: 'Turn off output buffering for configured outputs.', set: (o) => void (o.unbuffered = true) },
  {
    short: 'V',
    long: 'validate',
    arg: '<rules_file>',
    desc: 'Read the contents of the specified <rules_file> file(s), validate the loaded rules, and exit. This option can be passed multiple times to validate multiple files.',
    set: (o, v) => void o.validateFiles.push(v),
  },
  { short: 'v', desc: 'Enable verbose output.', set: (o) => void (o.verbose = true) },
  { long: 'version', desc: 'Print version information and exit.', set: (o) => void (o.version = true) },
  { long: 'page-size', desc: 'Print the system page size and exit.', set: (o) => void (o.pageSize = true) },
  { short: 'w', long: 'write', arg: '<file>', desc: 'Write every event of this session to the capture file <file> (Saker only).', set: (o, v) => void (o.writeCapture = v) },
  // deprecated spellings, not shown in the help
  {
    short: 'e',
    arg: '<events_file>',
    hidden: true,
    desc: '',
    set: (o, v) => {
      o.warnings.push("WARNING: -e is deprecated, use -o engine.kind=replay -o engine.replay.capture_file=FILE instead.")
      o.configOverrides.unshift('engine.kind=replay', 'engine.replay.capture_file=' + v)
    },
  },
  {
    short: 'A',
    hidden: true,
    desc: '',
    set: (o) => {
      o.warnings.push('WARNING: -A is deprecated, use -o base_syscalls.all=true instead.')
      o.configOverrides.unshift('base_syscalls.all=true')
    },
  },
  {
    short: 'T',
    arg: '<tag>',
    hidden: true,
    desc: '',
    set: (o, v) => {
      o.warnings.push('WARNING: -T is deprecated, use -o rules[].disable.tag=TAG instead.')
      o.configOverrides.push('rules[].disable.tag=' + v)
    },
  },
  {
    short: 't',
    arg: '<tag>',
    hidden: true,
    desc: '',
    set: (o, v) => {
      o.warnings.push('WARNING: -t is deprecated, use -o rules[].disable.rule=* -o rules[].enable.tag=TAG instead.')
      if (!o.configOverrides.includes('rules[].disable.rule=*')) o.configOverrides.push('rules[].disable.rule=*')
      o.configOverrides.push('rules[].enable.tag=' + v)
    },
  },
  {
    short: 'D',
    arg: '<substring>',
    hidden: true,
    desc: '',
    set: (o, v) => {
      o.warnings.push('WARNING: -D is deprecated, use -o rules[].disable.rule=NAME instead.')
      o.configOverrides.push('rules[].disable.rule=' + v)
    },
  },
]

function defaults(): Options {
  return {
    help: false,
    configFile: undefined,
    printConfigSchema: false,
    printRuleSchema: false,
    disableSources: [],
    enableSources: [],
    dryRun: false,
    printIgnoredEvents: false,
    describeAllRules: false,
    describeRule: undefined,
    listFields: undefined,
    listEvents: false,
    listPlugins: false,
    durationSeconds: 0,
    format: 'text',
    namesOnly: false,
    configOverrides: [],
    pluginInfo: undefined,
    printAdditional: undefined,
    pidfile: '',
    rulesFiles: [],
    support: false,
    unbuffered: false,
    validateFiles: [],
    verbose: false,
    version: false,
    pageSize: false,
    writeCapture: undefined,
    warnings: [],
  }
}

export function parseOptions(argv: readonly string[]): Options {
  const o = defaults()
  let sawMarkdown = false
  let sawFormat = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    let spec: Spec | undefined
    let inline: string | undefined
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
      spec = SPECS.find((s) => s.long === name)
      if (!spec) throw new OptionsError(`Option '${name}' does not exist`)
      if (eq >= 0) inline = a.slice(eq + 1)
    } else if (a.startsWith('-') && a.length > 1) {
      // short options group (`-Vx` is not a group when -V takes a value: the rest is its value)
      let j = 1
      while (j < a.length) {
        const s = SPECS.find((x) => x.short === a[j])
        if (!s) throw new OptionsError(`Option '${a[j]}' does not exist`)
        if (s.arg) {
          spec = s
          if (j + 1 < a.length) inline = a.slice(j + 1)
          break
        }
        s.set(o, '')
        j++
      }
      if (!spec) continue
    } else {
      throw new OptionsError(`Unmatched argument '${a}': Saker takes no positional arguments`)
    }
    if (spec.long === 'markdown') sawMarkdown = true
    if (spec.long === 'format') sawFormat = true
    if (!spec.arg) {
      if (inline !== undefined) throw new OptionsError(`Option '${spec.long}' does not take an argument`)
      spec.set(o, '')
      continue
    }
    if (inline === undefined) {
      if (spec.implicit) {
        // `--list syscall` is accepted as well as `--list=syscall`
        const next = argv[i + 1]
        inline = next !== undefined && !next.startsWith('-') ? argv[++i]! : ''
      } else {
        if (i + 1 >= argv.length) throw new OptionsError(`Option '${spec.long ?? spec.short}' is missing an argument`)
        inline = argv[++i]!
      }
    }
    spec.set(o, inline)
  }
  if (sawMarkdown && sawFormat) throw new OptionsError('Cannot specify both --markdown and --format options together')
  if (o.enableSources.length > 0 && o.disableSources.length > 0) {
    throw new OptionsError('You can not mix --enable-source and --disable-source')
  }
  return o
}

/** The help text, laid out as cxxopts lays out Falco's (width 140). */
export function usage(): string {
  const rows = SPECS.filter((s) => !s.hidden).map((s) => {
    let left = s.short ? `-${s.short}` : '   '
    if (s.long) left += (s.short ? ', ' : ' ') + `--${s.long}`
    if (s.arg) left += s.implicit ? `[=${s.arg}(=)]` : ` ${s.arg}`
    return { left: '  ' + left, desc: s.desc }
  })
  const col = Math.min(Math.max(...rows.map((r) => r.left.length)) + 2, 50)
  const width = 140 - col
  const wrap = (text: string): string[] => {
    const out: string[] = []
    for (const para of text.split('\n')) {
      let line = ''
      const lead = para.match(/^ */)![0]
      for (const word of para.trim().split(/\s+/)) {
        if (line !== '' && line.length + 1 + word.length > width) {
          out.push(line)
          line = lead + word
        } else line = line === '' ? lead + word : line + ' ' + word
      }
      out.push(line)
    }
    return out
  }
  const lines = ['Saker - runtime security, compatible with Falco', 'Usage:', '  saker [OPTION...]   (the same options as falco [OPTION...])', '']
  for (const r of rows) {
    const d = wrap(r.desc)
    const head = r.left.length + 2 > col ? [r.left, ' '.repeat(col) + d[0]] : [r.left.padEnd(col) + d[0]]
    lines.push(...head, ...d.slice(1).map((l) => ' '.repeat(col) + l))
  }
  return lines.join('\n') + '\n'
}
