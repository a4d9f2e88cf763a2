import { test } from 'node:test'
import { writeFileSync } from 'node:fs'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config/load.js'
import { tempTree, throwsConfig } from './helper.js'

function loadTree(files: Record<string, string>, main = 'main.yaml', overrides: string[] = []) {
  const t = tempTree(files)
  try {
    const r = loadConfig({ file: t.path(main), overrides, env: { D: t.dir } })
    return { ...r, dir: t.dir }
  } finally {
    t.cleanup()
  }
}

const MAIN = (includes: string) => `config_files:\n${includes}foo: [ bar ]\nbase_value:\n  id: 1\n  name: foo\n`

test('included files are merged after the main file, in order, and may override it', () => {
  const r = loadTree({
    'main.yaml': MAIN('  - ${D}/conf_2.yaml\n  - ${D}/conf_3.yaml\n'),
    'conf_2.yaml': 'foo2: bar2\nbase_value_2:\n  id: 2\n',
    'conf_3.yaml': 'base_value:\n  id: 3\n',
    'conf_4.yaml': 'base_value_4:\n  id: 4\n',
  })
  assert.deepEqual(r.raw, {
    config_files: [`${r.dir}/conf_2.yaml`, `${r.dir}/conf_3.yaml`],
    foo: ['bar'],
    // replaced as a whole: `name` is gone
    base_value: { id: '3' },
    foo2: 'bar2',
    base_value_2: { id: '2' },
  })
  assert.deepEqual(r.filesLoaded, [`${r.dir}/main.yaml`, `${r.dir}/conf_2.yaml`, `${r.dir}/conf_3.yaml`])
})

test('the default append strategy extends lists and replaces everything else', () => {
  const r = loadTree({
    'main.yaml': MAIN('  - ${D}/conf_2.yaml\n'),
    'conf_2.yaml': 'foo: [ bar2 ]\nbase_value:\n  id: 3\n',
  })
  const raw = r.raw as Record<string, unknown>
  assert.deepEqual(raw.foo, ['bar', 'bar2'])
  assert.deepEqual(raw.base_value, { id: '3' })
})

test('the override strategy replaces lists too', () => {
  const r = loadTree({
    'main.yaml': MAIN('  - path: ${D}/conf_2.yaml\n    strategy: override\n'),
    'conf_2.yaml': 'foo: [ bar2 ]\nbase_value_2:\n  id: 2\n',
  })
  const raw = r.raw as Record<string, unknown>
  assert.deepEqual(raw.foo, ['bar2'])
  assert.deepEqual(raw.base_value_2, { id: '2' })
})

test('the add-only strategy only adds keys the configuration does not have', () => {
  const r = loadTree({
    'main.yaml': MAIN('  - path: ${D}/conf_2.yaml\n    strategy: add-only\n'),
    'conf_2.yaml': 'foo: [ bar2 ]\nbase_value:\n  id: 9\nbase_value_2:\n  id: 2\n',
  })
  const raw = r.raw as Record<string, unknown>
  assert.deepEqual(raw.foo, ['bar'])
  assert.deepEqual(raw.base_value, { id: '1', name: 'foo' })
  assert.deepEqual(raw.base_value_2, { id: '2' })
})

test('an unknown strategy falls back to append and the schema check flags it', () => {
  const r = loadTree({
    'main.yaml': 'config_files:\n  - path: ${D}/conf_2.yaml\n    strategy: wrong\nrules_files: [a.yaml]\n',
    'conf_2.yaml': 'rules_files: [b.yaml]\n',
  })
  assert.deepEqual(r.config.rules_files_configured, ['a.yaml', 'b.yaml'])
  assert.equal(r.config.config_files[0]!.strategy, 'append')
  assert.match(r.validation[0]!.status, /^failed for <root>\[config_files\]\[0\]/)
  assert.equal(r.validation[1]!.status, 'ok')
  assert.ok(r.warnings.some(w => w.startsWith(`${r.dir}/main.yaml | schema validation: failed`)))
})

test('a directory contributes its regular files in name order, whatever their extension', () => {
  const r = loadTree({
    'main.yaml': 'config_files: ${D}/conf.d\nlog_level: info\n',
    'conf.d/20-b.yaml': 'log_level: debug\npriority: error\n',
    'conf.d/10-a.yml': 'log_level: warning\nbuffered_outputs: true\n',
    'conf.d/30-c.conf': 'json_output: true\n',
    'conf.d/sub/40-d.yaml': 'time_format_iso_8601: true\n',
  })
  assert.equal(r.config.log_level, 'debug')
  assert.equal(r.config.priority, 'error')
  assert.equal(r.config.buffered_outputs, true)
  assert.equal(r.config.json_output, true)
  assert.equal(r.config.time_format_iso_8601, false)
  assert.deepEqual(
    r.filesLoaded.map(f => f.slice(r.dir.length)),
    ['/main.yaml', '/conf.d/10-a.yml', '/conf.d/20-b.yaml', '/conf.d/30-c.conf'],
  )
})

test('a missing included file is skipped and an empty list is accepted', () => {
  const r = loadTree({ 'main.yaml': 'config_files:\n  - ${D}/nope.yaml\nlog_level: debug\n' })
  assert.equal(r.config.log_level, 'debug')
  assert.equal(r.filesLoaded.length, 1)
  const e = loadTree({ 'main.yaml': 'config_files:\nlog_level: debug\n' })
  assert.equal(e.filesLoaded.length, 1)
})

test('included paths are relative to the working directory, not to the main file', () => {
  const t = tempTree({ 'cwd/conf_2.yaml': 'log_level: debug\n', 'etc/main.yaml': 'config_files: [conf_2.yaml]\n' })
  const before = process.cwd()
  try {
    process.chdir(t.path('cwd'))
    const r = loadConfig({ file: t.path('etc/main.yaml'), overrides: [] })
    assert.equal(r.config.log_level, 'debug')
    assert.deepEqual(r.filesLoaded, [t.path('etc/main.yaml'), 'conf_2.yaml'])
  } finally {
    process.chdir(before)
    t.cleanup()
  }
})

test('-o config_files adds an included file before the other overrides apply', () => {
  const t = tempTree({ 'main.yaml': 'log_level: info\n', 'conf_2.yaml': 'log_level: debug\npriority: error\nfoo2: bar2\n' })
  try {
    const r = loadConfig({
      file: t.path('main.yaml'),
      overrides: ['priority=notice', `config_files=${t.path('conf_2.yaml')}`],
    })
    assert.equal(r.config.log_level, 'debug')
    assert.equal(r.config.priority, 'notice')
    assert.deepEqual(r.filesLoaded, [t.path('main.yaml'), t.path('conf_2.yaml')])
  } finally {
    t.cleanup()
  }
})

test('a single included file may be given as a scalar', () => {
  const r = loadTree({ 'main.yaml': 'config_files: ${D}/conf_2.yaml\n', 'conf_2.yaml': 'json_output: true\n' })
  assert.equal(r.config.json_output, true)
  assert.deepEqual(r.config.config_files, [{ path: `${r.dir}/conf_2.yaml`, strategy: 'append' }])
})

test('each file is checked against the schema on its own', () => {
  const r = loadTree({ 'main.yaml': 'config_files:\n  - ${D}/conf_2.yaml\n', 'conf_2.yaml': 'falco_libss:\n  x: 1\n' })
  assert.deepEqual(
    r.validation.map(v => v.status),
    ['ok', "failed for <root>: unknown key 'falco_libss'"],
  )
})

test('the main file may not include itself', () => {
  const t = tempTree({ 'main.yaml': '' })
  try {
    const main = t.path('main.yaml')
    writeFileSync(main, `config_files: ${main}\n`)
    throwsConfig(
      () => loadConfig({ file: main, overrides: [] }),
      `Config error: 'config_files' directive tried to recursively include main config file: ${main}.`,
    )
  } finally {
    t.cleanup()
  }
})

test('an included file may not include further files', () => {
  const t = tempTree({ 'conf_2.yaml': 'foo2: bar2\nconfig_files:\n  - conf_4.yaml\n' })
  try {
    writeFileSync(t.path('main.yaml'), `config_files:\n  - ${t.path('conf_2.yaml')}\n`)
    throwsConfig(
      () => loadConfig({ file: t.path('main.yaml'), overrides: [] }),
      `Config error: 'config_files' directive in included config file ${t.path('conf_2.yaml')}.`,
    )
  } finally {
    t.cleanup()
  }
})

test('appending a list to a map fails with yaml-cpp\'s message', () => {
  const t = tempTree({ 'conf_2.yaml': 'webserver: [a]\n' })
  try {
    writeFileSync(t.path('main.yaml'), `config_files: [${t.path('conf_2.yaml')}]\nwebserver:\n  enabled: true\n`)
    throwsConfig(() => loadConfig({ file: t.path('main.yaml'), overrides: [] }), 'appending to a non-sequence')
  } finally {
    t.cleanup()
  }
})

