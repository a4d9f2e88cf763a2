// Hostile and odd audit payloads: forged content inside strings, nesting, wrong types, huge
// numbers, repeated keys, prototype keys, bad escapes and times. Nothing may throw out of the
// event path; what is not an audit event is reported and skipped; what is one reads as the
// k8saudit plugin (fastjson) reads it.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { K8sAuditStream, NOT_AUDIT, parseAuditPayload } from '../../src/sources/k8saudit/event.js'
import { JObject, JsonSyntaxError, MAX_DEPTH, marshal, parseJson } from '../../src/sources/k8saudit/json.js'
import { auditEvent, eventFromText, value } from './helpers.js'
import { EVT_GENERIC_CLASS } from '../../src/fields/classes/evt-generic.js'
import { JSON_CLASS } from '../../src/fields/classes/json.js'
import { K8SAUDIT_CLASS } from '../../src/fields/classes/ka.js'
import { lookupField } from '../../src/fields/registry.js'
import { FF } from '../../src/fields/types.js'
import { k8sAuditExtractors, k8sAuditResolver } from '../../src/sources/k8saudit/fields.js'

const STAMP = '"stageTimestamp":"2024-01-02T03:04:05Z"'
const payload = (text: string, maxEventSize = 1 << 20) => parseAuditPayload(text, { maxEventSize, stream: new K8sAuditStream() })

describe('forgery', () => {
  test('a user name carrying quotes, newlines and a whole forged event stays one value of one event', () => {
    const forged = 'x"}\n{"kind":"Event","auditID":"forged","user":{"username":"admin"},' + STAMP + '}\n{"swallow'
    const body = JSON.stringify({ kind: 'EventList', items: [{ auditID: 'real', stageTimestamp: '2024-01-02T03:04:05Z', user: { username: forged } }] })
    const r = payload(body)
    assert.ok(r.ok)
    assert.equal(r.events.length, 1)
    const ev = r.events[0]!
    assert.equal(value('ka.user.name', ev), forged)
    assert.equal(value('ka.auditid', ev), 'real')
    // the data keeps the escapes: the forged text cannot end the event early
    assert.equal(JSON.parse(ev.data).user.username, forged)
    assert.ok(!ev.data.includes('\n'))
  })

  test('a repeated key reads as its first occurrence, as fastjson reads it, and the data keeps both', () => {
    const ev = eventFromText(`{"kind":"Event","auditID":"a",${STAMP},"user":{"username":"alice"},"user":{"username":"admin"},"verb":"get","verb":"delete"}`)
    assert.equal(value('ka.user.name', ev), 'alice')
    assert.equal(value('ka.verb', ev), 'get')
    assert.equal(value('json.value[/verb]', ev), 'get')
    assert.ok(ev.data.includes('"verb":"get","verb":"delete"'))
  })

  test('the kind that decides what a payload is is also the first one', () => {
    const r = payload(`{"kind":"Event","kind":"EventList","auditID":"a",${STAMP}}`)
    assert.ok(r.ok && r.events.length === 1)
  })

  test('__proto__ and constructor are plain keys: nothing is polluted and they can be read', () => {
    const ev = eventFromText(`{"kind":"Event","auditID":"a",${STAMP},"__proto__":{"polluted":"yes"},"constructor":{"prototype":1},"user":{"__proto__":{"username":"x"}}}`)
    assert.equal(value('json.value[/__proto__/polluted]', ev), 'yes')
    assert.equal(value('json.value[/constructor/prototype]', ev), '1')
    assert.equal(value('ka.user.name', ev), undefined, 'user has no username key of its own')
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  test('strings decode their escapes; unknown or broken escapes stay as written', () => {
    const ev = eventFromText(`{"kind":"Event","auditID":"a",${STAMP},"verb":"\\u0067et","userAgent":"a\\x\\u12\\ud800z\\ud83d\\ude00\\"\\/"}`)
    assert.equal(value('ka.verb', ev), 'get')
    assert.equal(value('ka.useragent', ev), 'a\\x\\u12\\ud800z\u{1f600}"/')
    assert.ok(ev.data.includes('"verb":"\\u0067et"'), 'the data keeps the source text')
  })
})

describe('nesting and size', () => {
  test(`nesting is accepted up to ${MAX_DEPTH} values deep and refused beyond, without overflowing the stack`, () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n)
    assert.ok(Array.isArray(parseJson(nest(MAX_DEPTH))))
    assert.throws(() => parseJson(nest(MAX_DEPTH + 1)), (e: unknown) => e instanceof JsonSyntaxError && /too big depth/.test(e.message))
    assert.throws(() => parseJson('['.repeat(1_000_000)), JsonSyntaxError)
    assert.throws(() => parseJson('{"a":'.repeat(100_000)), JsonSyntaxError)
  })

  test('an event nested near the limit gives its fields, its data and json.obj', () => {
    const deep = '['.repeat(MAX_DEPTH - 2) + '"x"' + ']'.repeat(MAX_DEPTH - 2)
    const ev = eventFromText(`{"kind":"Event","auditID":"a",${STAMP},"deep":${deep}}`)
    assert.equal(value('json.value[/deep/0/0/0]', ev), '['.repeat(MAX_DEPTH - 5) + '"x"' + ']'.repeat(MAX_DEPTH - 5))
    assert.ok((value('json.obj', ev) as string).length > 0)
    assert.ok(ev.data.includes(deep))
  })

  test('an event over maxEventSize is skipped with the plugin\'s message, its neighbours kept', () => {
    const big = JSON.stringify({ kind: 'Event', auditID: 'big', stageTimestamp: '2024-01-02T03:04:05Z', pad: 'x'.repeat(5000) })
    const small = JSON.stringify({ kind: 'Event', auditID: 'small', stageTimestamp: '2024-01-02T03:04:05Z' })
    const r = payload(`{"kind":"EventList","items":[${big},${small}]}`, 4096)
    assert.ok(r.ok)
    assert.deepEqual(r.events.map((e) => value('ka.auditid', e)), ['small'])
    assert.deepEqual(r.problems, [`event larger than maxEventSize: size=${big.length}`])
  })

  test('whitespace does not count against maxEventSize: the marshaled event does', () => {
    const ev = JSON.stringify({ kind: 'Event', auditID: 'a', stageTimestamp: '2024-01-02T03:04:05Z' }, null, 200)
    const compact = JSON.stringify(JSON.parse(ev))
    const r = payload(ev, compact.length)
    assert.ok(r.ok && r.events.length === 1)
  })
})

describe('what is not an audit event', () => {
  for (const [body, why] of [
    ['5', 'a number'],
    ['"Event"', 'a string'],
    ['null', 'null'],
    ['[1]', 'an array of non-events'],
    ['{"kind":0}', 'a kind that is not a string (fal_01_003)'],
    ['{"kind":"Pod"}', 'another kind'],
    ['{"kind":"EventList","items":{}}', 'items that are not an array'],
    ['{"kind":"EventList"}', 'no items'],
  ] as const) {
    test(`${why} is refused as not audit data`, () => {
      assert.deepEqual(payload(body), { ok: false, error: NOT_AUDIT })
    })
  }

  for (const [body, why] of [
    ['', 'an empty body'],
    ['{', 'an open object'],
    ['{"kind":"Event"', 'a cut event'],
    ['{"kind":"Event"} trailing', 'text after the value'],
    ['{kind:"Event"}', 'an unquoted key'],
    ['\ufeff{"kind":"Event"}', 'a byte order mark'],
    ['{"a":tru}', 'a broken literal'],
  ] as const) {
    test(`${why} is refused as not JSON, with a reason`, () => {
      const r = payload(body)
      assert.equal(r.ok, false)
      assert.match((r as { error: string }).error, /^cannot parse JSON: .* at offset \d+; unparsed tail: /)
    })
  }

  test('one bad element drops the whole array payload, as the plugin does', () => {
    const ev = `{"kind":"Event","auditID":"a",${STAMP}}`
    assert.deepEqual(payload(`[${ev},{"kind":"Pod"}]`), { ok: false, error: NOT_AUDIT })
    const ok = payload(`[${ev},[${ev}],{"kind":"EventList","items":[${ev}]}]`)
    assert.ok(ok.ok && ok.events.length === 3)
  })

  test('an empty array or an empty EventList is audit data with no events', () => {
    assert.deepEqual(payload('[]'), { ok: true, events: [], problems: [] })
    assert.deepEqual(payload('{"kind":"EventList","items":[]}'), { ok: true, events: [], problems: [] })
  })

  test('list items that are not events, or have no usable stageTimestamp, are skipped one by one', () => {
    const r = payload(
      `{"kind":"EventList","items":[5,[],{"auditID":"a"},{"stageTimestamp":7},{"stageTimestamp":"2024-13-01T00:00:00Z"},` +
        `{"stageTimestamp":"2023-02-29T00:00:00Z"},{"stageTimestamp":"yesterday"},{"auditID":"ok",${STAMP}}]}`,
    )
    assert.ok(r.ok)
    assert.deepEqual(r.events.map((e) => value('ka.auditid', e)), ['ok'])
    assert.equal(r.problems.length, 7)
    assert.equal(r.problems[0], "can't read stageTimestamp")
    assert.match(r.problems[3]!, /^parsing time "" as "2006-01-02T15:04:05.999999999Z07:00"/)
    assert.match(r.problems[4]!, /month out of range/)
    assert.match(r.problems[5]!, /day out of range/)
  })

  test('an EventList item needs no kind of its own', () => {
    const r = payload(`{"kind":"EventList","items":[{"auditID":"a",${STAMP}}]}`)
    assert.ok(r.ok && r.events.length === 1)
  })
})

describe('odd values inside audit events', () => {
  test('wrong types along a field\'s path make it missing, never an exception', () => {
    const ev = auditEvent({ user: 'root', objectRef: [1, 2], requestObject: { spec: { containers: 5, volumes: 'x' }, subjects: { kind: 'User' }, rules: 'all' } })
    for (const f of [
      'ka.user.name', 'ka.user.groups', 'ka.target.name', 'ka.target.pod.name', 'ka.req.pod.containers.image', 'ka.req.pod.containers.host_port',
      'ka.req.container.image', 'ka.req.pod.volumes.hostpath', 'ka.req.pod.volumes.volume_type', 'ka.req.binding.subjects',
      'ka.req.binding.subjects.user_names', 'ka.req.role.rules', 'ka.req.role.rules.verbs', 'ka.uri.param[x]',
    ]) {
      assert.equal(value(f, ev), undefined, f)
    }
    assert.equal(value('ka.req.volume.hostpath[/]', ev), undefined)
  })

  test('non-string scalars give their JSON text, null included', () => {
    const ev = auditEvent({ verb: null, stage: false, requestURI: 17, objectRef: { resource: { a: [1, 'b'] } } })
    assert.equal(value('ka.verb', ev), 'null')
    assert.equal(value('ka.stage', ev), 'false')
    assert.equal(value('ka.uri', ev), '17')
    assert.equal(value('ka.target.resource', ev), '{"a":[1,"b"]}')
  })

  test('huge and odd numbers keep their source text', () => {
    const ev = eventFromText(
      `{"kind":"Event","auditID":"a",${STAMP},"responseStatus":{"code":123456789012345678901234567890},` +
        `"requestObject":{"spec":{"securityContext":{"runAsUser":1e400,"runAsGroup":-0.0,"fsGroup":1.50}}}}`,
    )
    assert.equal(value('ka.response.code', ev), '123456789012345678901234567890')
    assert.equal(value('ka.req.pod.run_as_user', ev), '1e400')
    assert.equal(value('ka.req.pod.run_as_group', ev), '-0.0')
    assert.equal(value('ka.req.pod.fs_group', ev), '1.50')
  })

  test('numbers fastjson accepts but JSON does not still read, and json.obj (Go json.Indent) is missing for them', () => {
    const ev = eventFromText(`{"kind":"Event","auditID":"a",${STAMP},"responseStatus":{"code":1.2.3},"x":NaN,"y":-inf}`)
    assert.equal(value('ka.response.code', ev), '1.2.3')
    assert.equal(value('json.value[/x]', ev), 'NaN')
    assert.equal(value('json.value[/y]', ev), '-inf')
    assert.equal(value('json.obj', ev), undefined)
  })

  test('raw control characters inside strings are kept, and json.obj is missing for them', () => {
    const ev = eventFromText(`{"kind":"Event","auditID":"a",${STAMP},"verb":"get\tall"}`)
    assert.equal(value('ka.verb', ev), 'get\tall')
    assert.equal(value('json.obj', ev), undefined)
  })

  test('a request URI Go cannot parse, or a query with a bad escape or a semicolon, has no parameters', () => {
    for (const uri of ['/api?a=%zz&command=x', '/api?a=1;b=2&command=x', '/api\x7f?command=x', '/a%2?command=x', '1a:b?command=x']) {
      assert.equal(value('ka.uri.param[command]', auditEvent({ requestURI: uri })), undefined, uri)
    }
    assert.equal(value('ka.uri.param[command]', auditEvent({ requestURI: '/api?command=a+b%21&x' })), 'a b!')
    assert.equal(value('ka.uri.param[x]', auditEvent({ requestURI: '/api?command=a&x' })), '')
    assert.equal(value('ka.uri.param[command]', auditEvent({ requestURI: 'https://h/api?command=ls#frag' })), 'ls')
    assert.equal(value('ka.uri.param[command]', auditEvent({ requestURI: 'a:b?command=x' })), 'x', 'an opaque URL with a scheme')
  })

  test('object keys keep their order, integer-like keys included, when marshaled', () => {
    const v = parseJson('{"b":1,"2":2,"a":3,"1":4}')
    assert.ok(v instanceof JObject)
    assert.equal(marshal(v), '{"b":1,"2":2,"a":3,"1":4}')
  })

  test('a large object finds its first repeated key through its index too', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')
    const v = parseJson(`{${keys},"k3":"again"}`) as JObject
    assert.equal(marshal(v.get('k3')!), '3')
    assert.equal(v.get('k39') !== undefined, true)
    assert.equal(v.get('nope'), undefined)
  })
})

describe('every field on mangled audit payloads', () => {
  // Every k8s_audit field, with arguments where it takes one (and an index where it may).
  const bindings = [...K8SAUDIT_CLASS.fields, ...JSON_CLASS.fields, ...EVT_GENERIC_CLASS.fields].flatMap((f) => {
    const uses: (string | undefined)[] = []
    if (f.flags & FF.ARG_REQUIRED) uses.push(f.name.includes('value') ? '/requestObject/spec/containers/0' : '/x*')
    else uses.push(undefined)
    if (f.flags & FF.ARG_INDEX) uses.push('0', '1')
    return uses.map((arg) => ({ name: arg === undefined ? f.name : `${f.name}[${arg}]`, extract: k8sAuditResolver.bind(f.name, arg).extract }))
  })

  test('every ka.*, json.* and evt.* field of the registry has an extractor', () => {
    for (const cls of [K8SAUDIT_CLASS, JSON_CLASS, EVT_GENERIC_CLASS]) {
      for (const f of cls.fields) {
        const ref = lookupField('k8s_audit', f.name, f.flags & FF.ARG_REQUIRED ? 'x' : undefined)
        assert.ok(!('error' in ref), f.name)
        assert.notEqual(k8sAuditExtractors(ref), undefined, `${f.name} has an extractor`)
      }
    }
  })

  // A small deterministic generator (xorshift32), so a failure replays.
  function rng(seed: number): () => number {
    let x = seed | 0 || 1
    return () => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return (x >>> 0) / 0x100000000
    }
  }
  const SPICE = ['[', ']', '{', '}', '"', '\\', ',', ':', '0', '-1e999', 'null', 'true', '\\u', '\\ud800', '\n', '\x00', '[[[[[[[[', '{"a":']

  test('mangled fixture lines never throw: each is refused with a reason, or read and every field extracted', () => {
    const seeds = [
      JSON.stringify({ kind: 'Event', auditID: 'a', stageTimestamp: '2024-01-02T03:04:05Z', requestURI: '/api?a=b', user: { username: 'u', groups: ['g'] },
        objectRef: { resource: 'pods' }, requestObject: { rules: [{ verbs: ['get'], sourceIPs: ['1.1.1.1'] }], subjects: [{ kind: 'User', name: 'n' }],
          spec: { containers: [{ name: 'c', image: 'i:1', command: ['sh'], ports: [{ hostPort: 1 }], securityContext: { privileged: true } }], volumes: [{ name: 'v', hostPath: { path: '/x' } }] } } }),
    ]
    const next = rng(0x5a4e)
    let refused = 0
    let read = 0
    for (let round = 0; round < 400; round++) {
      let text = seeds[0]!
      const edits = 1 + Math.floor(next() * 4)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * text.length)
        const what = next()
        if (what < 0.4) text = text.slice(0, at) + SPICE[Math.floor(next() * SPICE.length)] + text.slice(at)
        else if (what < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 8))
        else text = text.slice(0, at) + String.fromCharCode(Math.floor(next() * 128)) + text.slice(at + 1)
      }
      const r = parseAuditPayload(text, { maxEventSize: 1 << 20, stream: new K8sAuditStream() })
      if (!r.ok) {
        assert.ok(r.error.length > 0)
        refused++
        continue
      }
      read++
      for (const ev of r.events) for (const b of bindings) assert.doesNotThrow(() => b.extract(ev), b.name)
    }
    assert.ok(refused > 0 && read > 0, `${refused} refused, ${read} read`)
  })
})
