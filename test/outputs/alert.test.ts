import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Alert, AlertRule, jsonLine, textLine } from '../../src/outputs/alert.js'
import { sanitizeText } from '../../src/outputs/sanitize.js'
import { localTime } from '../../src/outputs/time.js'
import {
  CAT_WRITE_TIMES,
  OPEN_FROM_CAT,
  TEST_HOST,
  alertWith,
  catAlert,
  parseExact,
  referenceLines,
  renderWith,
} from './helpers.js'

const ISO = renderWith({ timeFormatIso8601: true })

/** Runs `fn` with the process in time zone `tz`. */
function inZone<T>(tz: string, fn: () => T): T {
  const before = process.env['TZ']
  process.env['TZ'] = tz
  try {
    return fn()
  } finally {
    if (before === undefined) delete process.env['TZ']
    else process.env['TZ'] = before
  }
}

/**
 * The reference JSON lines come from an older Falco that appended `, "output_fields": {…}`
 * by hand. Falco 0.44 builds the whole object with nlohmann::json: sorted keys, no spaces.
 * This moves output_fields to its sorted place, byte for byte otherwise.
 */
function asFalco044(line: string): string {
  const m = /^(\{"hostname":.*,"output":"(?:[^"\\]|\\.)*")(,"priority":.*"time":"[^"]*")(?:, "output_fields": )(\{.*\})\}$/.exec(line)
  assert.ok(m, 'reference line has the expected shape: ' + line)
  return m[1] + ',"output_fields":' + m[3] + m[2] + '}'
}

test('the ISO text line matches every line of the reference file byte for byte', () => {
  const expected = referenceLines('single_rule_with_cat_write.txt')
  assert.equal(expected.length, CAT_WRITE_TIMES.length)
  const actual = CAT_WRITE_TIMES.map((ts) => textLine(catAlert(ts), ISO))
  assert.deepEqual(actual, expected)
})

test('the ISO JSON line is the reference line in Falco 0.44 key order, byte for byte', () => {
  const expected = referenceLines('single_rule_with_cat_write.json')
  assert.equal(expected.length, CAT_WRITE_TIMES.length)
  for (let i = 0; i < expected.length; i++) {
    const line = jsonLine(catAlert(CAT_WRITE_TIMES[i]!), ISO)
    assert.equal(line, asFalco044(expected[i]!))
    // and the same document as the reference, the 19-digit time included
    assert.deepEqual(parseExact(line), parseExact(expected[i]!))
  }
})

test('the first JSON line spells out the 0.44 form in full', () => {
  assert.equal(
    jsonLine(catAlert(CAT_WRITE_TIMES[0]!), ISO),
    '{"hostname":"test-falco-hostname","output":"2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)",' +
      '"output_fields":{"evt.time.iso8601":1470327477881781397,"proc.cmdline":"cat /dev/null"},"priority":"Warning","rule":"open_from_cat",' +
      '"source":"syscall","tags":["filesystem","process","testing"],"time":"2016-08-04T16:17:57.881781397Z"}',
  )
})

test('without ISO times the text line shows the local time of day with nanoseconds and no date', () => {
  const alert = catAlert(CAT_WRITE_TIMES[0]!)
  assert.equal(inZone('UTC', () => textLine(alert)), '16:17:57.881781397: Warning An open was seen (command=cat /dev/null)')
  // Etc/GMT-2 is UTC+2 all year round
  assert.equal(inZone('Etc/GMT-2', () => textLine(alert)), '18:17:57.881781397: Warning An open was seen (command=cat /dev/null)')
  assert.equal(inZone('Etc/GMT+10', () => textLine(alert)), '06:17:57.881781397: Warning An open was seen (command=cat /dev/null)')
})

test('the local time of day wraps around midnight and pads every part', () => {
  assert.equal(localTime(1_000_000_005n, 0), '00:00:01.000000005')
  assert.equal(localTime(86_399_000_000_000n + 7n, 3600), '00:59:59.000000007')
  assert.equal(localTime(3_600_000_000_000n, -7200), '23:00:00.000000000')
})

test('without ISO times the JSON output carries the local time and output_fields names evt.time', () => {
  const line = inZone('UTC', () => jsonLine(catAlert(CAT_WRITE_TIMES[0]!)))
  assert.equal(
    line,
    '{"hostname":"test-falco-hostname","output":"16:17:57.881781397: Warning An open was seen (command=cat /dev/null)",' +
      '"output_fields":{"evt.time":1470327477881781397,"proc.cmdline":"cat /dev/null"},"priority":"Warning","rule":"open_from_cat",' +
      '"source":"syscall","tags":["filesystem","process","testing"],"time":"2016-08-04T16:17:57.881781397Z"}',
  )
})

test('json_include_output_property off leaves out "output" and nothing else', () => {
  const doc = parseExact(jsonLine(catAlert(CAT_WRITE_TIMES[0]!), renderWith({ timeFormatIso8601: true, jsonIncludeOutputProperty: false })))
  assert.deepEqual(Object.keys(doc as object), ['hostname', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time'])
})

test('json_include_tags_property off leaves out "tags"', () => {
  const line = jsonLine(catAlert(CAT_WRITE_TIMES[0]!), renderWith({ timeFormatIso8601: true, jsonIncludeTagsProperty: false }))
  assert.deepEqual(Object.keys(parseExact(line) as object), ['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'time'])
  assert.ok(line.endsWith(',"source":"syscall","time":"2016-08-04T16:17:57.881781397Z"}'))
})

test('a rule with no tags prints an empty tags list', () => {
  const rule = new AlertRule('r', 4, 'syscall')
  const line = jsonLine(alertWith('x', {}, CAT_WRITE_TIMES[0], rule), ISO)
  assert.ok(line.includes(',"tags":[],"time":'))
})

test('json_include_message_property on adds "message": the output without time and priority, sorted before "output"', () => {
  const line = jsonLine(catAlert(CAT_WRITE_TIMES[0]!), renderWith({ timeFormatIso8601: true, jsonIncludeMessageProperty: true }))
  assert.ok(line.startsWith('{"hostname":"test-falco-hostname","message":"An open was seen (command=cat /dev/null)","output":"2016-'))
  assert.deepEqual(Object.keys(parseExact(line) as object), ['hostname', 'message', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time'])
})

test('json_include_output_fields_property off leaves out "output_fields", time field included', () => {
  const line = jsonLine(catAlert(CAT_WRITE_TIMES[0]!), renderWith({ timeFormatIso8601: true, jsonIncludeOutputFieldsProperty: false }))
  assert.deepEqual(Object.keys(parseExact(line) as object), ['hostname', 'output', 'priority', 'rule', 'source', 'tags', 'time'])
  assert.ok(!line.includes('evt.time'))
})

test('all four switches at once give the smallest object', () => {
  const line = jsonLine(
    catAlert(CAT_WRITE_TIMES[0]!),
    renderWith({ jsonIncludeOutputProperty: false, jsonIncludeTagsProperty: false, jsonIncludeOutputFieldsProperty: false }),
  )
  assert.equal(line, '{"hostname":"test-falco-hostname","priority":"Warning","rule":"open_from_cat","source":"syscall","time":"2016-08-04T16:17:57.881781397Z"}')
})

test('every priority prints with its Falco name, Informational in full', () => {
  const names = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => textLine(alertWith('m', null, CAT_WRITE_TIMES[0], new AlertRule('r', p, 'syscall')), ISO))
  assert.deepEqual(
    names.map((l) => l.split(' ')[1]),
    ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'],
  )
  assert.throws(() => new AlertRule('r', 8, 'syscall'), /Unknown priority enum value: 8/)
})

test('tags print sorted and once, as a std::set gives them', () => {
  const rule = new AlertRule('r', 4, 'syscall', ['b', 'a', 'b', 'T'])
  assert.deepEqual(rule.tags, ['T', 'a', 'b'])
  assert.ok(jsonLine(alertWith('x', {}, CAT_WRITE_TIMES[0], rule), ISO).includes('"tags":["T","a","b"]'))
})

test('output_fields keep each value type: numbers, big integers as digits, booleans, null, lists; keys sorted', () => {
  const fields = {
    'proc.pid': 42,
    'fd.ino': 18446744073709551615n,
    'proc.is_exe_writable': true,
    'container.id': null,
    'proc.aname[2]': 'bash',
    'proc.args': ['a', 'b'],
    'evt.res': -1,
  }
  const line = jsonLine(alertWith('x', fields), ISO)
  const m = /"output_fields":(\{[^}]*\})/.exec(line)
  assert.equal(
    m?.[1],
    '{"container.id":null,"evt.res":-1,"evt.time.iso8601":1470327477881781397,"fd.ino":18446744073709551615,' +
      '"proc.aname[2]":"bash","proc.args":["a","b"],"proc.is_exe_writable":true,"proc.pid":42}',
  )
})

test('output_fields keys sort by code point, as std::map sorts UTF-8 strings', () => {
  const line = jsonLine(alertWith('x', { '\uffff': 1, '\u{1F600}': 2, b: 3, B: 4 }), renderWith({ jsonIncludeOutputFieldsProperty: true }))
  const fields = /"output_fields":(\{[^}]*\})/.exec(line)![1]!
  assert.deepEqual(Object.keys(JSON.parse(fields.replace(/\d{16,}/g, '0'))), ['B', 'b', 'evt.time', '\uffff', '\u{1F600}'])
})

test('a rule whose field set changes between alerts still sorts each alert right', () => {
  const rule = new AlertRule('changing', 4, 'syscall')
  const a = jsonLine(alertWith('x', { b: 1, a: 2 }, CAT_WRITE_TIMES[0], rule), ISO)
  const b = jsonLine(alertWith('x', { c: 1 }, CAT_WRITE_TIMES[0], rule), ISO)
  assert.ok(a.includes('"output_fields":{"a":2,"b":1,"evt.time.iso8601":'))
  assert.ok(b.includes('"output_fields":{"c":1,"evt.time.iso8601":'))
})

// Forgery: pino's escaping test, applied to what an attacker controls in an alert.
const FORGED_NAME = 'x"}\n{"rule":"forged'

test('a file name built to forge a second JSON alert gives exactly one well-formed alert', () => {
  const output = `File opened (file=${FORGED_NAME})`
  const alert = alertWith(output, { 'fd.name': FORGED_NAME, 'proc.cmdline': 'sh -c "echo\r\n"' })
  for (const opts of [ISO, renderWith({ jsonIncludeMessageProperty: true })]) {
    const line = jsonLine(alert, opts)
    assert.equal(line.split('\n').length, 1, 'one line')
    assert.ok(!/[\u0000-\u001f]/.test(line), 'no raw control characters')
    const doc = JSON.parse(line.replace(/\d{16,}/g, '0')) as Record<string, unknown>
    assert.equal(doc['rule'], 'open_from_cat')
    assert.equal((doc['output_fields'] as Record<string, unknown>)['fd.name'], 'x"}\uFFFD{"rule":"forged')
    assert.equal((doc['output_fields'] as Record<string, unknown>)['proc.cmdline'], 'sh -c "echo\uFFFD\uFFFD"')
  }
})

test('the same file name cannot start a second text line either', () => {
  const line = textLine(alertWith(`File opened (file=${FORGED_NAME})`, null), ISO)
  assert.equal(line, '2016-08-04T16:17:57.881781397+0000: Warning File opened (file=x"}\uFFFD{"rule":"forged)')
})

test('a forged key in output_fields is escaped, not interpreted', () => {
  const key = 'x"}\n{"level":60,"msg":"forged"}\n{"swallow'
  const line = jsonLine(alertWith('x', { [key]: 'v' }), ISO)
  assert.equal(line.split('\n').length, 1)
  const doc = JSON.parse(line.replace(/\d{16,}/g, '0')) as Record<string, Record<string, unknown>>
  assert.equal(doc['output_fields']![key], 'v')
  assert.equal(Object.keys(doc).length, 8)
})

test('rule names, sources, tags and the hostname with quotes stay inside their strings', () => {
  const rule = new AlertRule('r"}{"x', 2, 's\\"', ['t"'])
  const alert = new Alert(rule, 1n, 'o', {}, 'h"\n')
  const doc = JSON.parse(jsonLine(alert, ISO)) as Record<string, unknown>
  assert.equal(doc['rule'], 'r"}{"x')
  assert.equal(doc['source'], 's\\"')
  assert.deepEqual(doc['tags'], ['t"'])
  assert.equal(doc['hostname'], 'h"\n')
})

test('sanitizing replaces what libsinsp replaces and keeps printable text as it is', () => {
  assert.equal(sanitizeText('hello world'), 'hello world')
  assert.equal(sanitizeText('诶比西 АБВ 😀'), '诶比西 АБВ 😀')
  assert.equal(sanitizeText('foo\x01\x1fxyz'), 'foo\uFFFD\uFFFDxyz')
  assert.equal(sanitizeText('foo\x7fxyz'), 'foo\uFFFDxyz')
  assert.equal(sanitizeText('foo\u0085xyz'), 'foo\uFFFDxyz')
  assert.equal(sanitizeText('\ufdd0\uffff\ufffe'), '\uFFFD\uFFFD\uFFFD')
  assert.equal(sanitizeText('\u{1FFFE}a\u{10FFFF}'), '\uFFFDa\uFFFD')
  assert.equal(sanitizeText('a\ud800b\udc00'), 'a\uFFFDb\uFFFD')
  assert.equal(sanitizeText('tab\there'), 'tab\uFFFDhere')
})

test('an internal message renders as handle_msg does: local time, message, fields as JSON values', () => {
  const rule = AlertRule.internalMessage('Falco internal: syscall event drop', 7)
  const alert = new Alert(rule, CAT_WRITE_TIMES[0]!, 'Falco internal: syscall event drop. 3 system calls dropped in last second.', { n_evts: '100', n_drops: '3', ebpf_enabled: '1' }, TEST_HOST)
  assert.equal(
    inZone('UTC', () => textLine(alert, ISO)),
    '16:17:57.881781397: Debug Falco internal: syscall event drop. 3 system calls dropped in last second. (ebpf_enabled="1" n_drops="3" n_evts="100")',
  )
  assert.equal(
    jsonLine(alert, renderWith({ jsonIncludeOutputProperty: false, jsonIncludeTagsProperty: false, jsonIncludeOutputFieldsProperty: false })),
    '{"hostname":"test-falco-hostname","output":"Falco internal: syscall event drop. 3 system calls dropped in last second.",' +
      '"output_fields":{"ebpf_enabled":"1","n_drops":"3","n_evts":"100"},"priority":"Debug","rule":"Falco internal: syscall event drop",' +
      '"source":"internal","time":"2016-08-04T16:17:57.881781397Z"}',
  )
})

test('an internal message with numbers and no fields prints them bare and an empty list', () => {
  const rule = AlertRule.internalMessage('Falco internal: metrics snapshot', 6)
  const withNums = new Alert(rule, 0n, 'Falco metrics snapshot', { 'falco.evts_rate_sec': 1.5, 'falco.num_evts': 12 }, TEST_HOST)
  assert.equal(inZone('UTC', () => textLine(withNums)), '00:00:00.000000000: Informational Falco metrics snapshot (falco.evts_rate_sec=1.5 falco.num_evts=12)')
  const empty = new Alert(rule, 0n, 'm', {}, TEST_HOST)
  assert.equal(inZone('UTC', () => textLine(empty)), '00:00:00.000000000: Informational m ()')
})

test('the rule part of the JSON is built once per rule', () => {
  assert.equal(OPEN_FROM_CAT.jsonTailWithTags, ',"priority":"Warning","rule":"open_from_cat","source":"syscall","tags":["filesystem","process","testing"],"time":"')
  assert.equal(OPEN_FROM_CAT.jsonTailNoTags, ',"priority":"Warning","rule":"open_from_cat","source":"syscall","time":"')
  assert.equal(OPEN_FROM_CAT.textHead, ': Warning ')
})
