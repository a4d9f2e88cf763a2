import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { loadConfigText } from '../../src/config/load.js'
import { Alert } from '../../src/outputs/alert.js'
import { FileChannel } from '../../src/outputs/channels/file.js'
import { Outputs, resolveHostname } from '../../src/outputs/dispatcher.js'
import { CAT_WRITE_TIMES, MemoryChannel, OPEN_FROM_CAT, TEST_HOST, catAlert, memoryLog, referenceLines, renderWith, tempDir, tick } from './helpers.js'

const ISO = renderWith({ timeFormatIso8601: true })
const REF_TXT = referenceLines('single_rule_with_cat_write.txt')

function outputs(channels: MemoryChannel[], over: { capacity?: number; timeoutMs?: number; jsonOutput?: boolean } = {}) {
  const logs = memoryLog()
  const o = new Outputs({
    render: ISO,
    jsonOutput: over.jsonOutput ?? false,
    queueCapacity: over.capacity ?? 0,
    timeoutMs: over.timeoutMs ?? 2000,
    hostname: TEST_HOST,
    channels,
    log: logs.log,
  })
  return { o, logs }
}

test('every alert reaches every channel, in order, as the configured line', async () => {
  const a = new MemoryChannel('a')
  const b = new MemoryChannel('b')
  const { o } = outputs([a, b])
  for (const ts of CAT_WRITE_TIMES) o.emit(catAlert(ts))
  await o.flush()
  assert.deepEqual(a.lines, REF_TXT)
  assert.deepEqual(b.lines, REF_TXT)
  await o.close()
})

test('alerts emitted in one synchronous run reach a channel as one batch', async () => {
  const a = new MemoryChannel()
  const { o } = outputs([a])
  for (const ts of CAT_WRITE_TIMES) o.emit(catAlert(ts))
  await o.close()
  assert.deepEqual(a.calls, ['write:8', 'close'])
})

test('with json_output the channels get JSON lines', async () => {
  const a = new MemoryChannel()
  const { o } = outputs([a], { jsonOutput: true })
  o.emit(catAlert(CAT_WRITE_TIMES[0]!))
  await o.close()
  assert.ok(a.lines[0]!.startsWith('{"hostname":"test-falco-hostname","output":"2016-08-04T16:17:57.881781397+0000: Warning '))
})

test('a full queue drops the newest alerts for the slow channel and counts them', async () => {
  const slow = new MemoryChannel('slow')
  const { o, logs } = outputs([slow], { capacity: 5 })
  slow.hold()
  o.emit(catAlert(1n))
  await tick() // the first alert is taken and its write hangs
  for (let i = 0; i < 20; i++) o.emit(catAlert(BigInt(100 + i)))
  assert.equal(o.numDrops, 15)
  assert.deepEqual(o.stats(), [{ name: 'slow', queued: 5, delivered: 0, dropped: 15, failures: 0 }])
  assert.deepEqual(logs.lines, [{ level: 'error', msg: 'Outputs queue out of memory. Drop event and continue on ...' }])
  slow.open()
  await o.close()
  assert.equal(slow.lines.length, 6)
  // the kept alerts are the oldest ones
  assert.deepEqual(
    slow.lines.slice(1).map((l) => l.slice(0, 34)),
    [100, 101, 102, 103, 104].map((i) => `1970-01-01T00:00:00.000000${i}+0000`),
  )
  assert.equal(o.stats()[0]!.delivered, 6)
})

test('a slow channel does not hold up a fast one', async () => {
  const slow = new MemoryChannel('slow')
  const fast = new MemoryChannel('fast')
  const { o } = outputs([slow, fast], { capacity: 2 })
  slow.hold()
  for (let i = 0; i < 10; i++) {
    o.emit(catAlert(BigInt(i)))
    await tick()
  }
  assert.equal(fast.lines.length, 10)
  assert.equal(slow.lines.length, 0)
  assert.equal(o.numDrops, 7) // 1 taken by the hung write, 2 queued
  slow.open()
  await o.close()
  assert.equal(slow.lines.length, 3)
})

test('capacity 0 is unbounded', async () => {
  const slow = new MemoryChannel()
  const { o } = outputs([slow], { capacity: 0 })
  slow.hold()
  for (let i = 0; i < 50_000; i++) o.emit(catAlert(BigInt(i)))
  assert.equal(o.numDrops, 0)
  slow.open()
  await o.close()
  assert.equal(slow.lines.length, 50_000)
})

test('emit returns at once while the channel is stuck', () => {
  const stuck = new MemoryChannel()
  const { o } = outputs([stuck])
  stuck.hold()
  const start = process.hrtime.bigint()
  for (let i = 0; i < 1000; i++) o.emit(catAlert(BigInt(i)))
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  assert.ok(ms < 1000, `1000 emits took ${ms} ms`)
  assert.equal(o.stats()[0]!.queued, 1000)
  stuck.open()
  return o.close()
})

test('close writes out everything still queued and buffered before it resolves', async () => {
  const t = tempDir()
  try {
    const file = t.path('events.txt')
    const o = new Outputs({
      render: ISO,
      buffered: true,
      hostname: TEST_HOST,
      channels: (ctx) => [new FileChannel(ctx, { filename: file, keepAlive: true })],
    })
    for (const ts of CAT_WRITE_TIMES) o.emit(catAlert(ts))
    await tick()
    assert.equal(existsSync(file) ? readFileSync(file, 'utf8') : '', '', 'buffered: nothing written yet')
    await o.close()
    assert.equal(readFileSync(file, 'utf8'), REF_TXT.join('\n') + '\n')
  } finally {
    t.cleanup()
  }
})

test('close gives up on a blocked channel after output_timeout, discarding and stopping it', async () => {
  const stuck = new MemoryChannel('stuck')
  const { o, logs } = outputs([stuck], { timeoutMs: 100 })
  stuck.hold()
  o.emit(catAlert(1n))
  await tick() // taken by a write that hangs
  o.emit(catAlert(2n)) // waits in the queue
  const start = Date.now()
  await o.close()
  assert.ok(Date.now() - start < 1500)
  assert.equal(stuck.destroyed, true)
  assert.ok(logs.lines.some((l) => l.level === 'notice' && l.msg === 'output channels still blocked, discarding all remaining notifications'))
  assert.ok(logs.lines.some((l) => l.level === 'critical' && l.msg.startsWith('"stuck" output timeout')))
  assert.equal(o.stats()[0]!.dropped, 1)
})

test('alerts emitted after close are ignored', async () => {
  const a = new MemoryChannel()
  const { o } = outputs([a])
  await o.close()
  o.emit(catAlert(1n))
  await tick()
  assert.deepEqual(a.lines, [])
})

test('flush and reopen run after the alerts queued before them', async () => {
  const a = new MemoryChannel()
  const { o } = outputs([a])
  o.emit(catAlert(1n))
  const f = o.flush()
  o.emit(catAlert(2n))
  const r = o.reopen()
  o.emit(catAlert(3n))
  await Promise.all([f, r])
  await o.close()
  assert.deepEqual(a.calls, ['write:1', 'flush', 'write:1', 'reopen', 'write:1', 'close'])
})

test('a failing channel is logged with its name, once while it keeps failing', async () => {
  const bad = new MemoryChannel('file')
  bad.write = async () => {
    throw new Error('failed to open output file /x')
  }
  const { o, logs } = outputs([bad])
  for (let i = 0; i < 3; i++) {
    o.emit(catAlert(BigInt(i)))
    await tick()
  }
  await o.close()
  assert.deepEqual(logs.lines, [{ level: 'error', msg: 'file: failed to open output file /x' }])
  assert.equal(o.stats()[0]!.failures, 3)
})

test('internal messages take the same path, with source internal and their own format', async () => {
  const a = new MemoryChannel()
  const j = new MemoryChannel()
  const text = outputs([a])
  const json = outputs([j], { jsonOutput: true })
  for (const { o } of [text, json]) {
    o.internal(0n, 7, 'Falco internal: syscall event drop', 'Falco internal: syscall event drop. 5 system calls dropped in last second.', {
      n_drops: '5',
      ebpf_enabled: '1',
    })
    await o.close()
  }
  assert.match(a.lines[0]!, /^\d\d:\d\d:00\.000000000: Debug Falco internal: syscall event drop\. 5 system calls dropped in last second\. \(ebpf_enabled="1" n_drops="5"\)$/)
  assert.equal(
    j.lines[0],
    '{"hostname":"test-falco-hostname","output":"Falco internal: syscall event drop. 5 system calls dropped in last second.",' +
      '"output_fields":{"ebpf_enabled":"1","n_drops":"5"},"priority":"Debug","rule":"Falco internal: syscall event drop","source":"internal","time":"1970-01-01T00:00:00.000000000Z"}',
  )
})

test('the hostname is FALCO_HOSTNAME when set, even empty, and the host name otherwise', () => {
  assert.deepEqual(resolveHostname({ FALCO_HOSTNAME: 'node-1' }), { hostname: 'node-1', fromEnv: true })
  assert.deepEqual(resolveHostname({ FALCO_HOSTNAME: '' }), { hostname: '', fromEnv: true })
  assert.deepEqual(resolveHostname({}), { hostname: hostname(), fromEnv: false })
})

test('fields are asked for only when some output prints them', () => {
  const json = new Outputs({ jsonOutput: true, render: ISO, channels: [] })
  const jsonNoFields = new Outputs({ jsonOutput: true, render: renderWith({ jsonIncludeOutputFieldsProperty: false }), channels: [] })
  const text = new Outputs({ jsonOutput: false, render: ISO, channels: [] })
  assert.deepEqual([json.wantsFields, jsonNoFields.wantsFields, text.wantsFields], [true, false, false])
})

test('from a configuration: file output in JSON with the hostname from FALCO_HOSTNAME', async () => {
  const t = tempDir()
  try {
    const file = t.path('events.json')
    const { config } = loadConfigText(
      [
        'stdout_output: {enabled: false}',
        'syslog_output: {enabled: false}',
        `file_output: {enabled: true, keep_alive: false, filename: "${file}"}`,
        'json_output: true',
        'time_format_iso_8601: true',
        'outputs_queue: {capacity: 10}',
      ].join('\n'),
      { env: {} },
    )
    const logs = memoryLog()
    const o = Outputs.fromConfig(config, { env: { FALCO_HOSTNAME: 'from-env' }, log: logs.log })
    assert.equal(o.hostname, 'from-env')
    assert.deepEqual(o.channels.map((c) => c.name), ['file'])
    for (const ts of CAT_WRITE_TIMES) {
      o.emit(new Alert(OPEN_FROM_CAT, ts, 'An open was seen (command=cat /dev/null)', { 'proc.cmdline': 'cat /dev/null' }, o.hostname))
    }
    await o.close()
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
    assert.equal(lines.length, 8)
    const doc = JSON.parse(lines[7]!.replace(/\d{16,}/g, '0'))
    assert.equal(doc.hostname, 'from-env')
    assert.equal(doc.time, '2016-08-04T16:17:57.882054739Z')
    assert.deepEqual(logs.lines, [{ level: 'info', msg: 'Hostname value has been overridden via environment variable to: from-env' }])
  } finally {
    t.cleanup()
  }
})

test('a configuration with no output enabled is refused with Falco\'s message', () => {
  const { config } = loadConfigText('stdout_output: {enabled: false}\nsyslog_output: {enabled: false}\n', { env: {} })
  assert.throws(() => Outputs.fromConfig(config, { log: () => {} }), {
    message: 'No output configured, please make sure at least one output is configured and enabled.',
  })
})

test('a channel that takes one alert per write gets them one by one', async () => {
  const one = new (class extends MemoryChannel {
    readonly maxBatch = 1
  })()
  const { o } = outputs([one])
  for (let i = 0; i < 3; i++) o.emit(catAlert(BigInt(i)))
  await o.close()
  assert.deepEqual(one.calls, ['write:1', 'write:1', 'write:1', 'close'])
})
