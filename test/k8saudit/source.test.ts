// The k8s_audit source from configuration to events: init_config and open_params read as the
// k8saudit plugin reads them, file replay (lines, bad lines reported by number, directories),
// file following, and the whole path from Falco's conformance configuration.

import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { loadConfig } from '../../src/config/index.js'
import type { PluginConfig } from '../../src/config/types.js'
import type { K8sAuditEvent } from '../../src/sources/k8saudit/event.js'
import {
  isK8sAuditPlugin, k8sAuditPluginOf, K8SAUDIT_DEFAULTS, openK8sAuditSource, parseInitConfig, parseOpenParams, pluginLogLine, replayFile, tailFile,
} from '../../src/sources/k8saudit/source.js'
import { AUDIT_DIR, FALCO_TESTS, fixturesMissing, value } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'saker-k8saudit-src-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const STAMP = '2024-01-02T03:04:05Z'
const ev = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ kind: 'Event', auditID: id, stageTimestamp: STAMP, ...extra })
const ids = (evs: K8sAuditEvent[]) => evs.map((e) => value('ka.auditid', e))
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('init_config', () => {
  test('empty text means the plugin defaults', () => {
    assert.deepEqual(parseInitConfig(''), K8SAUDIT_DEFAULTS)
    assert.deepEqual(parseInitConfig('  '), K8SAUDIT_DEFAULTS)
    assert.deepEqual(parseInitConfig('{}'), {
      sslCertificate: '/etc/falco/falco.pem', useAsync: true, maxEventSize: 262144, webhookMaxBatchSize: 12582912,
    })
  })

  test('known keys are read, Go-style case-insensitively, and unknown keys are ignored', () => {
    const c = parseInitConfig('{"maxEventSize":1000,"SSLCertificate":"/x.pem","useAsync":false,"other":[1]}')
    assert.equal(c.maxEventSize, 1000)
    assert.equal(c.sslCertificate, '/x.pem')
    assert.equal(c.useAsync, false)
    assert.equal(c.webhookMaxBatchSize, 12582912)
  })

  test('bad JSON and wrong types fail with libsinsp\'s messages', () => {
    assert.throws(() => parseInitConfig('{maxEventSize: 1'), { message: 'error in plugin k8saudit: init config is not a valid json' })
    assert.throws(() => parseInitConfig('{"maxEventSize":"big"}'), {
      message: "error in plugin k8saudit init config: In <root>[maxEventSize], Value type not permitted by 'type' constraint.",
    })
    assert.throws(() => parseInitConfig('[1]'), /In <root>, Value type not permitted/)
    assert.throws(() => parseInitConfig('{"webhookMaxBatchSize":-1}'), /cannot unmarshal number -1 .* of type uint64/)
    assert.throws(() => parseInitConfig('{"maxEventSize":1.5}'), /Value type not permitted/)
  })
})

describe('open_params', () => {
  test('http(s) URLs open the webhook on their host, port and path', () => {
    assert.deepEqual(parseOpenParams('http://:9765/k8s-audit'), { kind: 'webhook', tls: false, host: '', port: 9765, path: '/k8s-audit' })
    assert.deepEqual(parseOpenParams('https://127.0.0.1:0/a/b?x=1'), { kind: 'webhook', tls: true, host: '127.0.0.1', port: 0, path: '/a/b' })
    assert.deepEqual(parseOpenParams('http://[::1]:8080/k'), { kind: 'webhook', tls: false, host: '::1', port: 8080, path: '/k' })
    assert.deepEqual(parseOpenParams('HTTP:///k8s-audit'), { kind: 'webhook', tls: false, host: '', port: 80, path: '/k8s-audit' })
  })

  test('webhook URLs without a port or a path are refused', () => {
    assert.throws(() => parseOpenParams('http://localhost/k8s-audit'), /missing port in address/)
    assert.throws(() => parseOpenParams('http://:9765'), /needs a path/)
    assert.throws(() => parseOpenParams('http://:99999/k'), /invalid port/)
  })

  test('files, directories and file:// URLs', () => {
    const f = join(dir, 'one.json')
    writeFileSync(f, '')
    assert.deepEqual(parseOpenParams(f), { kind: 'file', path: f })
    assert.deepEqual(parseOpenParams(dir), { kind: 'dir', path: dir })
    assert.deepEqual(parseOpenParams('file:///var/log/k8s%20audit.log'), { kind: 'tail', path: '/var/log/k8s audit.log' })
  })

  test('unknown schemes, missing files and URL errors give Go\'s messages', () => {
    assert.throws(() => parseOpenParams('ftp://x/y'), { message: 'scheme "ftp" is not supported' })
    assert.throws(() => parseOpenParams('/nonexistent/audit.json'), { message: 'stat /nonexistent/audit.json: no such file or directory' })
    assert.throws(() => parseOpenParams(''), { message: 'stat : no such file or directory' })
    assert.throws(() => parseOpenParams('/tmp/100%.json'), /invalid URL escape "%.j"/)
  })
})

describe('file replay', () => {
  test('reads one payload per line, skips blank lines, drops a trailing CR, and reports bad lines by number', async () => {
    const f = join(dir, 'mixed.json')
    writeFileSync(f, [
      ev('a'),
      '',
      ev('b') + '\r',
      '{"kind":"EventList","items":[' + ev('c') + ',{"auditID":"nostamp"},' + ev('d') + ']}',
      'not json',
      '{"kind":0}',
      ev('e'),
    ].join('\n')) // no newline at the end: the last line still counts
    const got: K8sAuditEvent[] = []
    const warnings: string[] = []
    const stats = await replayFile(f, (e) => void got.push(e), { onWarning: (w) => warnings.push(w) })
    assert.deepEqual(ids(got), ['a', 'b', 'c', 'd', 'e'])
    assert.deepEqual(got.map((e) => e.num), [1, 2, 3, 4, 5])
    assert.deepEqual(stats, { lines: 6, events: 5, badLines: 2, skippedEvents: 1 })
    assert.deepEqual(warnings, [
      `${f}:4: can't read stageTimestamp`,
      `${f}:5: cannot parse JSON: unexpected value found at offset 0; unparsed tail: "not json"`,
      `${f}:6: data not recognized as a k8s audit event`,
    ])
  })

  test('a line longer than webhookMaxBatchSize is skipped without being kept, and reading goes on', async () => {
    const f = join(dir, 'long.json')
    writeFileSync(f, ev('a') + '\n' + ev('big', { pad: 'x'.repeat(3 << 20) }) + '\n' + ev('c') + '\n')
    const got: K8sAuditEvent[] = []
    const warnings: string[] = []
    const stats = await replayFile(f, (e) => void got.push(e), {
      config: { ...K8SAUDIT_DEFAULTS, webhookMaxBatchSize: 1 << 20 },
      onWarning: (w) => warnings.push(w),
    })
    assert.deepEqual(ids(got), ['a', 'c'])
    assert.equal(stats.badLines, 1)
    assert.deepEqual(warnings, [`${f}:2: line longer than 1048576 bytes (webhookMaxBatchSize), skipped`])
  })

  test('a directory is replayed file after file, oldest first', async () => {
    const d = join(dir, 'logs')
    mkdirSync(d)
    writeFileSync(join(d, 'a-newer.json'), ev('second') + '\n')
    writeFileSync(join(d, 'b-older.json'), ev('first'))
    utimesSync(join(d, 'b-older.json'), new Date(1_000_000), new Date(1_000_000))
    utimesSync(join(d, 'a-newer.json'), new Date(2_000_000), new Date(2_000_000))
    const got: K8sAuditEvent[] = []
    await replayFile(d, (e) => void got.push(e), { onWarning: () => {} })
    assert.deepEqual(ids(got), ['first', 'second'])
  })

  test('a consumer\'s promise is awaited before the next event, and an abort stops the replay', async () => {
    const f = join(dir, 'many.json')
    writeFileSync(f, Array.from({ length: 50 }, (_, i) => ev(`e${i}`)).join('\n'))
    const stop = new AbortController()
    const got: string[] = []
    let inFlight = 0
    await replayFile(f, async (e) => {
      assert.equal(inFlight++, 0, 'one event at a time')
      await wait(1)
      got.push(value('ka.auditid', e) as string)
      if (got.length === 10) stop.abort()
      inFlight--
    }, { signal: stop.signal })
    assert.equal(got.length, 10)
  })

  test('a file that cannot be read rejects the replay', async () => {
    await assert.rejects(replayFile(join(dir, 'missing.json'), () => {}), /ENOENT/)
  })
})

describe('file following (file://)', () => {
  test('lines appended after the start are read; lines already there are not', async () => {
    const f = join(dir, 'follow.log')
    writeFileSync(f, ev('old') + '\n')
    const got: K8sAuditEvent[] = []
    const tail = tailFile(f, (e) => void got.push(e), { onWarning: () => {} })
    try {
      await wait(50)
      appendFileSync(f, ev('new1') + '\n' + ev('new2') + '\n' + ev('partial').slice(0, 10))
      for (let i = 0; i < 100 && got.length < 2; i++) await wait(20)
      assert.deepEqual(ids(got), ['new1', 'new2'])
      appendFileSync(f, ev('partial').slice(10) + '\n')
      for (let i = 0; i < 100 && got.length < 3; i++) await wait(20)
      assert.deepEqual(ids(got), ['new1', 'new2', 'partial'], 'a line is read once its newline arrives')
    } finally {
      await tail.close()
    }
  })
})

describe('plugin entries', () => {
  const entry = (p: Partial<PluginConfig>): PluginConfig => ({ name: 'x', library_path: '/usr/share/falco/plugins/libx.so', init_config: '', init_config_text: '', open_params: '', ...p })

  test('the k8saudit entry is found by its name or its library file', () => {
    assert.ok(isK8sAuditPlugin(entry({ name: 'k8saudit', library_path: '' })))
    assert.ok(isK8sAuditPlugin(entry({ name: 'audit', library_path: '/usr/share/falco/plugins/libk8saudit.so' })))
    assert.ok(!isK8sAuditPlugin(entry({ name: 'json', library_path: 'libjson.so' })))
    assert.ok(!isK8sAuditPlugin(entry({ name: 'k8saudit', library_path: '/usr/share/falco/plugins/libk8saudit-eks.so' })), 'the library decides')
    assert.equal(k8sAuditPluginOf([entry({ name: 'json' }), entry({ name: 'k8saudit', library_path: 'libk8saudit.so', open_params: 'x' })])?.open_params, 'x')
  })

  test('a plugin log line looks like the plugin\'s Go logger output', () => {
    assert.equal(pluginLogLine('hello', new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '2024/01/02 03:04:05 [k8saudit] hello\n')
  })
})

describe('from Falco\'s conformance configuration', { skip: fixturesMissing() }, () => {
  test('confs/plugins/k8s_audit.yaml with open_params set replays the fixture through openK8sAuditSource', async () => {
    const file = join(AUDIT_DIR, 'create_configmap_sensitive_values.json')
    const { config } = loadConfig({ file: join(FALCO_TESTS, 'confs/plugins/k8s_audit.yaml'), overrides: [`plugins[0].open_params=${file}`] })
    const p = k8sAuditPluginOf(config.plugins)
    assert.ok(p, 'the k8saudit entry is among the plugins to load')
    assert.equal(p.library_path.endsWith('libk8saudit.so'), true)
    const got: K8sAuditEvent[] = []
    const src = await openK8sAuditSource(p, (e) => void got.push(e), { hostname: 'node-1', onWarning: () => {} })
    await src.done
    assert.equal(src.target.kind, 'file')
    assert.deepEqual(src.config, K8SAUDIT_DEFAULTS)
    assert.equal(got.length, 6)
    assert.equal(value('evt.hostname', got[0]!), 'node-1')
    assert.ok((value('evt.reltime', got[5]!) as bigint) > 0n)
    await src.close()
  })

  test('fal_01_003.json ({"kind": 0}) is reported with the plugin\'s message and gives no event', async () => {
    const p: PluginConfig = {
      name: 'k8saudit', library_path: 'libk8saudit.so', init_config: '', init_config_text: '',
      open_params: join(AUDIT_DIR, 'fal_01_003.json'),
    }
    const warnings: string[] = []
    const got: K8sAuditEvent[] = []
    const src = await openK8sAuditSource(p, (e) => void got.push(e), { onWarning: (w) => warnings.push(w) })
    await src.done
    assert.equal(got.length, 0)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /fal_01_003\.json:1: data not recognized as a k8s audit event$/)
  })

  test('a webhook entry opens the server, and close() shuts it', async () => {
    const p: PluginConfig = {
      name: 'k8saudit', library_path: 'libk8saudit.so', init_config: { maxEventSize: 4096 }, init_config_text: '{"maxEventSize":4096}',
      open_params: 'http://127.0.0.1:0/k8s-audit',
    }
    const got: K8sAuditEvent[] = []
    const src = await openK8sAuditSource(p, (e) => void got.push(e), { onWarning: () => {} })
    assert.ok(src.webhook)
    assert.equal(src.config.maxEventSize, 4096)
    const res = await fetch(src.webhook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ev('w') })
    assert.equal(res.status, 200)
    await src.close()
    await src.done
    assert.deepEqual(ids(got), ['w'])
  })
})
