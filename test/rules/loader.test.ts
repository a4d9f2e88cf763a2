import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Engine } from '../../src/engine/engine.js'
import { exprToString } from '../../src/filter/print.js'
import { knownSources } from '../../src/sources/index.js'
import type { LoadResult } from '../../src/rules/load-result.js'

/** Loads each text as a rules file, in order; returns the engine and every result. */
function load(...files: string[]): { engine: Engine; results: LoadResult[] } {
  const engine = new Engine(knownSources())
  const results = files.map((text, i) => engine.load(`f${i}.yaml`, text))
  return { engine, results }
}

const rule = (engine: Engine, name: string) => {
  const r = engine.loader.compiled.rules.find((x) => x.name === name)
  assert.ok(r, `rule ${name} is loaded`)
  return r
}

const codes = (res: LoadResult) => ({
  errors: res.errors.map((e) => e.code),
  warnings: res.warnings.map((w) => w.code),
})

const BASE = `
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: shell
  desc: a shell ran
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
  tags: [b, a]
`

describe('the rules loader', () => {
  test('expands lists and macros into the compiled condition', () => {
    const { engine, results } = load(BASE)
    assert.deepEqual(codes(results[0]!), { errors: [], warnings: [] })
    const r = rule(engine, 'shell')
    assert.equal(exprToString(r.condition), '(evt.type = execve and proc.name in (bash, sh))')
    assert.deepEqual(r.tags, ['a', 'b'], 'tags are a sorted set, as in Falco')
    assert.equal(r.priority, 4)
  })

  test('a list used bare after = is substituted as Falco substitutes it', () => {
    const { engine } = load(`
- list: cat_binaries
  items: [cat]
- rule: r
  desc: d
  condition: evt.type=open and proc.name=cat_binaries
  output: o
  priority: INFO
`)
    assert.equal(exprToString(rule(engine, 'r').condition), '(evt.type = open and proc.name = cat)')
  })

  test('lists may contain lists defined before them', () => {
    const { engine, results } = load(`
- list: a
  items: [x, y]
- list: b
  items: [a, z]
- rule: r
  desc: d
  condition: evt.type=open and proc.name in (b)
  output: o
  priority: INFO
`)
    assert.deepEqual(codes(results[0]!).warnings, [])
    assert.equal(exprToString(rule(engine, 'r').condition), '(evt.type = open and proc.name in (x, y, z))')
  })

  test('a redefined list keeps its place and takes the new items', () => {
    const { engine } = load(`
- list: l
  items: [one]
- list: l
  items: [two]
- rule: r
  desc: d
  condition: evt.type=open and proc.name in (l)
  output: o
  priority: INFO
`)
    assert.equal(exprToString(rule(engine, 'r').condition), '(evt.type = open and proc.name in (two))')
  })

  test('append: true extends lists, macros and rules across files, with a deprecation warning', () => {
    const { engine, results } = load(
      BASE,
      `
- list: shells
  items: [zsh]
  append: true
- macro: spawned
  condition: or evt.type = execveat
  append: true
- rule: shell
  condition: and proc.pname = sshd
  append: true
`,
    )
    assert.deepEqual(codes(results[1]!).warnings, ['LOAD_DEPRECATED_ITEM', 'LOAD_DEPRECATED_ITEM', 'LOAD_DEPRECATED_ITEM'])
    assert.equal(
      exprToString(rule(engine, 'shell').condition),
      '((evt.type = execve or evt.type = execveat) and proc.name in (bash, sh, zsh) and proc.pname = sshd)',
    )
  })

  test('override appends and replaces the keys it names', () => {
    const { engine, results } = load(
      BASE,
      `
- rule: shell
  condition: and proc.tty != 0
  desc: interactively
  priority: ERROR
  tags: [c]
  override:
    condition: append
    desc: append
    priority: replace
    tags: replace
`,
    )
    assert.deepEqual(codes(results[1]!), { errors: [], warnings: [] })
    const r = rule(engine, 'shell')
    assert.equal(r.description, 'a shell ran interactively')
    assert.equal(r.priority, 3)
    assert.deepEqual(r.tags, ['c'])
    assert.match(exprToString(r.condition), /proc\.tty != 0/)
  })

  test('an override key without its value in the item is an error naming the key', () => {
    const { results } = load(BASE, `
- rule: shell
  override:
    output: append
`)
    assert.equal(results[1]!.errors[0]!.code, 'LOAD_ERR_YAML_VALIDATE')
    assert.equal(results[1]!.errors[0]!.message, "An append override for 'output' was specified but 'output' is not defined")
  })

  test('override and append: true together are rejected', () => {
    const { results } = load(BASE, `
- rule: shell
  condition: and x.y = 1
  append: true
  override:
    condition: append
`)
    assert.match(results[1]!.errors[0]!.message, /cannot be used together/)
  })

  test('the standalone enabled key turns a rule off, with a deprecation warning', () => {
    const { engine, results } = load(BASE, '- rule: shell\n  enabled: false\n')
    assert.deepEqual(codes(results[1]!).warnings, ['LOAD_DEPRECATED_ITEM'])
    engine.buildRulesets(7)
    assert.equal(engine.ruleset('syscall')!.enabledRules.length, 0)
  })

  test('exceptions compile to "and not" clauses with Falco quoting', () => {
    const { engine, results } = load(`
- list: cmds
  items: [cat /dev/zero, "cat /dev/null"]
- rule: r
  desc: d
  condition: evt.type=open and proc.name=cat
  output: o
  priority: INFO
  exceptions:
    - name: pair
      fields: [proc.name, proc.cmdline]
      comps: [=, in]
      values:
        - [cat, cmds]
    - name: single
      fields: proc.pname
      values: [bash, "my shell"]
`)
    assert.deepEqual(codes(results[0]!), { errors: [], warnings: [] })
    assert.equal(
      exprToString(rule(engine, 'r').condition),
      '((evt.type = open and proc.name = cat) and not (proc.name = cat and proc.cmdline in ("cat /dev/zero", "cat /dev/null")) and not proc.pname in (bash, "my shell"))',
    )
    assert.deepEqual(rule(engine, 'r').exceptionFields, ['proc.cmdline', 'proc.name', 'proc.pname'])
  })

  test('exception values appended to an existing exception extend it', () => {
    const { engine } = load(
      `
- rule: r
  desc: d
  condition: evt.type=open
  output: o
  priority: INFO
  exceptions:
    - name: e
      fields: [proc.name]
      values: [[a]]
`,
      `
- rule: r
  exceptions:
    - name: e
      values: [[b]]
  override:
    exceptions: append
`,
    )
    assert.equal(exprToString(rule(engine, 'r').condition), '(evt.type = open and not (proc.name = a or proc.name = b))')
  })

  test('exception checks: unknown field, unknown operator, length mismatches', () => {
    const mk = (body: string) =>
      load(`
- rule: r
  desc: d
  condition: evt.type=open
  output: o
  priority: INFO
  exceptions:
    - name: e
${body}`).results[0]!.errors[0]!
    assert.equal(mk('      fields: [not.exist]\n      values: [[a]]').message, "'not.exist' is not a supported filter field")
    assert.equal(mk('      fields: [proc.name]\n      comps: [no-comp]\n      values: [[a]]').message, "'no-comp' is not a supported comparison operator")
    assert.equal(mk('      fields: [proc.name, proc.pid]\n      comps: [=]').message, 'Fields and comps lists must have equal length')
    assert.equal(mk('      fields: [proc.name, proc.pid]\n      values: [[a]]').message, 'Fields and values lists must have equal length')
    const noFields = mk('      values: [[a]]')
    assert.equal(noFields.code, 'LOAD_ERR_YAML_VALIDATE')
    assert.equal(noFields.message, "Item has no mapping for key 'fields'")
  })

  test('an undefined macro is an error located inside the condition', () => {
    const { results } = load(`
- rule: r
  desc: d
  condition: evt.type=open and nope
  output: o
  priority: INFO
`)
    const e = results[0]!.errors[0]!
    assert.equal(e.code, 'LOAD_ERR_VALIDATE')
    assert.equal(e.message, "Undefined macro 'nope' used in filter.")
    const locs = e.ctx.locations
    assert.deepEqual(locs.map((l) => l.itemType), ['rules content', 'rule', 'condition expression'])
    assert.equal(locs[1]!.itemName, 'r')
    assert.deepEqual(locs[1]!.pos, { offset: 3, line: 1, column: 2 })
  })

  test('a macro loop is reported on the macro', () => {
    const { results } = load(`
- macro: a
  condition: evt.type=open
- macro: b
  condition: a
- macro: a
  condition: b
`)
    const e = results[0]!.errors[0]!
    assert.equal(e.code, 'LOAD_ERR_VALIDATE')
    assert.match(e.message, /^reference loop in macro/)
    assert.equal(e.ctx.locations[1]!.itemName, 'a')
  })

  test('a condition that does not parse gives the parser message and a caret snippet', () => {
    const { engine, results } = load(`- rule: r
  desc: d
  condition: evt.type=open and
  output: o
  priority: INFO
`)
    const res = results[0]!
    assert.equal(res.errors[0]!.code, 'LOAD_ERR_COMPILE_CONDITION')
    const text = res.verbose(engine.loader.contents)
    assert.match(text, /^f0\.yaml: Invalid\n1 Errors:\nIn rules content: \(f0\.yaml:0:0\)\n    rule 'r': \(f0\.yaml:0:2\)\n/)
    assert.match(text, /------\nevt\.type=open and\n +\^\n------\nLOAD_ERR_COMPILE_CONDITION \(Error compiling condition\): /)
  })

  test('dangling appends are errors with Falco messages', () => {
    assert.equal(
      load('- list: l\n  items: [a]\n  append: true\n').results[0]!.errors[0]!.message,
      "List uses 'append' or 'override.items: append' but no list by that name already exists",
    )
    assert.equal(
      load('- macro: m\n  condition: x\n  override:\n    condition: append\n').results[0]!.errors[0]!.message,
      "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
    )
    assert.equal(
      load('- rule: r\n  condition: x\n  append: true\n').results[0]!.errors[0]!.message,
      "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
    )
  })

  test('YAML and structure problems use Falco codes and texts', () => {
    const first = (t: string) => load(t).results[0]!.errors[0]!
    assert.deepEqual(
      { code: first('this : is : not : yaml').code, message: first('this : is : not : yaml').message },
      { code: 'LOAD_ERR_YAML_PARSE', message: 'yaml-cpp: error at line 1, column 11: illegal map value' },
    )
    assert.equal(first('foo: bar').message, 'Rules content is not yaml array of objects')
    assert.equal(first('- foo').message, 'Unexpected element type. Each element should be a yaml associative array.')
    assert.equal(first('- list:\n  items: [a]').message, "Mapping for key 'list' is empty")
    assert.equal(first('- list: bad\n').message, "Item has no mapping for key 'items'")
    assert.equal(first('- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: LOUD\n').message, 'Invalid priority')
    assert.equal(
      first('- required_engine_version: not-a-number').message,
      'Unable to parse engine version \'not-a-number\' as a semver string. Expected "x.y.z" semver format.',
    )
    assert.match(first('- required_engine_version: 9999999').message, /^Rules require engine version 0\.9999999\.0, but engine version is 0\.62\.0/)
  })

  test('an error stops the file but keeps what earlier files defined', () => {
    const { engine, results } = load(BASE, '- rule: r\n  desc: d\n  condition: evt.type=open and nope\n  output: o\n  priority: INFO\n')
    assert.equal(results[1]!.successful, false)
    assert.ok(rule(engine, 'shell'))
  })

  test('unused lists and macros, unknown keys and items are warnings', () => {
    const { results } = load(`
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: evt.type=open
- rule: r
  desc: d
  condition: evt.type=open
  output: o
  priority: INFO
  colour: blue
- something: else
`)
    assert.deepEqual(codes(results[0]!).warnings.sort(), ['LOAD_UNKNOWN_ITEM', 'LOAD_UNKNOWN_KEY', 'LOAD_UNUSED_LIST', 'LOAD_UNUSED_MACRO'])
  })

  test('a rule without an event-type restriction warns, unless warn_evttypes is false', () => {
    const text = (warn: boolean) => `
- rule: r
  desc: d
  condition: proc.name = cat
  output: o
  priority: INFO
  warn_evttypes: ${warn}
`
    assert.deepEqual(codes(load(text(true)).results[0]!).warnings, ['LOAD_NO_EVTTYPE'])
    assert.deepEqual(codes(load(text(false)).results[0]!).warnings, [])
  })

  test('skip-if-unknown-filter turns unknown fields into warnings and skips the rule', () => {
    const { engine, results } = load(`
- rule: r
  desc: d
  condition: evt.type=open and proc.nobody=cat
  output: o
  priority: INFO
  skip-if-unknown-filter: true
`)
    assert.deepEqual(codes(results[0]!), { errors: [], warnings: ['LOAD_UNKNOWN_FILTER'] })
    assert.equal(results[0]!.warnings[0]!.message, 'filter_check called with nonexistent field proc.nobody')
    assert.equal(engine.loader.compiled.rules.length, 0)
  })

  test('an unknown output field is LOAD_ERR_COMPILE_OUTPUT', () => {
    const e = load('- rule: r\n  desc: d\n  condition: evt.type=open\n  output: "%not_a_real_field"\n  priority: INFO\n').results[0]!.errors[0]!
    assert.deepEqual({ code: e.code, message: e.message }, { code: 'LOAD_ERR_COMPILE_OUTPUT', message: 'invalid formatting token not_a_real_field' })
  })

  test('rules of an unknown source are skipped with a warning', () => {
    const { engine, results } = load('- rule: r\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: INFO\n  source: mysource\n')
    assert.deepEqual(codes(results[0]!), { errors: [], warnings: ['LOAD_UNKNOWN_SOURCE'] })
    assert.equal(results[0]!.warnings[0]!.message, 'Unknown source mysource, skipping')
    assert.equal(engine.loader.compiled.rules.length, 0)
  })

  test('rule selection by name wildcard and by tag, and the priority threshold', () => {
    const { engine } = load(`
- rule: open_a
  desc: d
  condition: evt.type=open
  output: o
  priority: INFO
  tags: [net]
- rule: open_b
  desc: d
  condition: evt.type=open
  output: o
  priority: ERROR
- rule: exec_c
  desc: d
  condition: evt.type=execve
  output: o
  priority: ERROR
`)
    engine.buildRulesets(7, [
      { op: 'disable', rule: 'open_*', tag: null },
      { op: 'enable', rule: null, tag: 'net' },
    ])
    assert.deepEqual(engine.ruleset('syscall')!.enabledRules.map((r) => r.name), ['open_a', 'exec_c'])
    engine.buildRulesets(3)
    assert.deepEqual(engine.ruleset('syscall')!.enabledRules.map((r) => r.name), ['open_b', 'exec_c'])
  })

  test('the index gives each event type only the rules that can match it', () => {
    const { engine } = load(BASE, '- rule: any\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n  warn_evttypes: false\n')
    engine.buildRulesets(7)
    const rs = engine.ruleset('syscall')!
    const execve = rule(engine, 'shell').evttypes
    assert.notEqual(execve, 'all')
    const [t] = [...(execve as Set<number>)]
    assert.deepEqual(rs.forType(t!).map((r) => r.name), ['shell', 'any'])
    assert.deepEqual(rs.forType(0).map((r) => r.name), ['any'])
  })

  test('plugin requirements are checked against the built-in plugins', () => {
    const ok = load('- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n')
    assert.equal(ok.engine.checkPluginRequirements(), undefined)
    const tooNew = load('- required_plugin_versions:\n  - name: container\n    version: 0.9.0\n')
    assert.equal(tooNew.engine.checkPluginRequirements(), "Plugin 'container' version '0.7.1' is not compatible with required plugin version '0.9.0'")
    const missing = load('- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n')
    assert.equal(missing.engine.checkPluginRequirements(), 'Plugin requirement not satisfied, must load one of: cloudtrail (>= 0.1.0)')
  })

  test('a schema violation is a schema warning, not an error', () => {
    const { engine, results } = load('- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  enabled: True\n')
    const res = results[0]!
    assert.equal(res.successful, true)
    assert.notEqual(res.schemaValidation, 'ok')
    assert.match(res.summary(), /\n \d+ schema warnings: \[failed for <root>/)
    const j = res.asJson(engine.loader.contents) as { schema_valid: boolean; schema_warnings: string[] }
    assert.equal(j.schema_valid, false)
    assert.ok(j.schema_warnings.length > 0)
  })

  test('the JSON result has Falco keys', () => {
    const { engine, results } = load('- list: l\n  items: [a]\n')
    const j = results[0]!.asJson(engine.loader.contents) as { warnings: { code: string; codedesc: string; context: { locations: unknown[]; snippet: string } }[] }
    assert.deepEqual(Object.keys(j), ['errors', 'name', 'schema_valid', 'schema_warnings', 'successful', 'warnings'])
    assert.equal(j.warnings[0]!.code, 'LOAD_UNUSED_LIST')
    assert.equal(j.warnings[0]!.context.snippet, '- list: l\n  ^\n')
  })
})
