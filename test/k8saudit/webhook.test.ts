// The audit webhook over real HTTP and HTTPS, on port 0, with real fetch. HTTPS uses a
// self-signed certificate made at test time with Debian's openssl (Node's crypto cannot
// issue certificates); the HTTPS tests are skipped when openssl is missing.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { K8sAuditEvent } from '../../src/sources/k8saudit/event.js'
import { K8SAUDIT_DEFAULTS, startWebhook, type K8sAuditWebhook, type WebhookOptions } from '../../src/sources/k8saudit/source.js'
import { value } from './helpers.js'

const STAMP = '2024-01-02T03:04:05.5Z'
const event = (id: string, extra: Record<string, unknown> = {}) => ({ kind: 'Event', auditID: id, stageTimestamp: STAMP, verb: 'create', ...extra })
const eventList = (...items: object[]) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items })
const JSON_TYPE = { 'content-type': 'application/json' }

type Fetch = (url: string, init?: RequestInit) => Promise<Response>

interface Running {
  hook: K8sAuditWebhook
  events: K8sAuditEvent[]
  warnings: string[]
  post: (body: string | Uint8Array, headers?: Record<string, string>) => Promise<Response>
}

async function run(tls: boolean, opts: WebhookOptions = {}, doFetch: Fetch = fetch): Promise<Running> {
  const events: K8sAuditEvent[] = []
  const warnings: string[] = []
  const hook = await startWebhook(
    { kind: 'webhook', tls, host: '127.0.0.1', port: 0, path: '/k8s-audit' },
    (ev) => void events.push(ev),
    { onWarning: (m) => warnings.push(m), closeGraceMs: 200, ...opts },
  )
  const post = (body: string | Uint8Array, headers: Record<string, string> = JSON_TYPE) =>
    doFetch(hook.url, { method: 'POST', headers, body })
  return { hook, events, warnings, post }
}

function suite(tls: boolean, setup: () => { fetch: Fetch; config: typeof K8SAUDIT_DEFAULTS } | string) {
  let env: { fetch: Fetch; config: typeof K8SAUDIT_DEFAULTS } | undefined
  const start = (opts: WebhookOptions = {}) => run(tls, { config: env!.config, ...opts }, env!.fetch)

  const skipped = (() => {
    const s = setup()
    if (typeof s === 'string') return s
    env = s
    return false
  })()

  describe(tls ? 'the webhook over HTTPS' : 'the webhook over HTTP', { skip: skipped }, () => {
    test('a valid EventList is answered 200 and its events are delivered in order, numbered', async () => {
      const r = await start()
      try {
        const res = await r.post(eventList(event('e1'), event('e2', { user: { username: 'alice' } }), event('e3')))
        assert.equal(res.status, 200)
        assert.equal(await res.text(), '')
        await r.hook.drained()
        assert.deepEqual(r.events.map((e) => value('ka.auditid', e)), ['e1', 'e2', 'e3'])
        assert.deepEqual(r.events.map((e) => e.num), [1, 2, 3])
        assert.equal(value('ka.user.name', r.events[1]!), 'alice')
        assert.equal(r.events[0]!.ts, BigInt(Date.parse('2024-01-02T03:04:05Z')) * 1_000_000n + 500_000_000n)
        assert.deepEqual(r.hook.stats().queue.delivered, 3)
      } finally {
        await r.hook.close()
      }
    })

    test('a single Event body is accepted too', async () => {
      const r = await start()
      try {
        assert.equal((await r.post(JSON.stringify(event('one')))).status, 200)
        await r.hook.drained()
        assert.equal(r.events.length, 1)
      } finally {
        await r.hook.close()
      }
    })

    test('a malformed body gets 400 with the reason, and the server keeps serving', async () => {
      const r = await start()
      try {
        const bad = await r.post('{"kind":"EventList","items":[')
        assert.equal(bad.status, 400)
        assert.match(await bad.text(), /^cannot parse JSON: /)
        const notAudit = await r.post('{"kind":"Pod","metadata":{}}')
        assert.equal(notAudit.status, 400)
        assert.equal(await notAudit.text(), 'data not recognized as a k8s audit event\n')
        const ok = await r.post(eventList(event('after')))
        assert.equal(ok.status, 200)
        await r.hook.drained()
        assert.deepEqual(r.events.map((e) => value('ka.auditid', e)), ['after'])
        assert.equal(r.hook.stats().server.badRequest, 2)
        assert.ok(r.warnings.some((w) => w.includes('data not recognized as a k8s audit event')))
      } finally {
        await r.hook.close()
      }
    })

    test('a body over webhookMaxBatchSize gets 413, and the server keeps serving', async () => {
      const r = await start({ config: { ...env!.config, webhookMaxBatchSize: 2048 } })
      try {
        const big = eventList(event('big', { pad: 'x'.repeat(4096) }))
        const res = await r.post(big)
        assert.equal(res.status, 413)
        assert.match(await res.text(), /limit is 2048 bytes/)
        const ok = await r.post(eventList(event('small')))
        assert.equal(ok.status, 200)
        await r.hook.drained()
        assert.deepEqual(r.events.map((e) => value('ka.auditid', e)), ['small'])
        assert.equal(r.hook.stats().server.tooLarge, 1)
      } finally {
        await r.hook.close()
      }
    })

    test('events in a good body that lack a usable stageTimestamp are skipped and counted', async () => {
      const r = await start()
      try {
        const res = await r.post(eventList(event('ok'), { kind: 'Event', auditID: 'nostamp' }, event('bad', { stageTimestamp: 'now' })))
        assert.equal(res.status, 200)
        await r.hook.drained()
        assert.deepEqual(r.events.map((e) => value('ka.auditid', e)), ['ok'])
        assert.equal(r.hook.stats().skippedEvents, 2)
      } finally {
        await r.hook.close()
      }
    })

    test('other paths, methods and content types are refused as the plugin refuses them', async () => {
      const r = await start()
      try {
        const base = r.hook.url.replace(/\/k8s-audit$/, '')
        const notFound = await env!.fetch(base + '/other', { method: 'POST', headers: JSON_TYPE, body: '{}' })
        assert.equal(notFound.status, 404)
        await notFound.text()
        const get = await env!.fetch(r.hook.url)
        assert.equal(get.status, 405)
        assert.equal(get.headers.get('allow'), 'POST')
        assert.equal(await get.text(), 'GET method not allowed\n')
        const text = await r.post(eventList(event('x')), { 'content-type': 'text/plain' })
        assert.equal(text.status, 400)
        assert.equal(await text.text(), 'wrong Content Type\n')
        const withCharset = await r.post(eventList(event('y')), { 'content-type': 'application/json; charset=utf-8' })
        assert.equal(withCharset.status, 200)
      } finally {
        await r.hook.close()
      }
    })
  })
}

// ---- HTTP -----------------------------------------------------------------------------------

suite(false, () => ({ fetch, config: K8SAUDIT_DEFAULTS }))

describe('the webhook queue and shutdown', () => {
  test('when the queue is full a body gets 503 with Retry-After, nothing accepted is lost, and it drains', async () => {
    const events: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const hook = await startWebhook(
      { kind: 'webhook', tls: false, host: '127.0.0.1', port: 0, path: '/k8s-audit' },
      async (ev) => {
        await gate // a consumer stuck until released
        events.push(value('ka.auditid', ev) as string)
      },
      { queueCapacity: 3, onWarning: () => {}, closeGraceMs: 200 },
    )
    try {
      const post = (b: string) => fetch(hook.url, { method: 'POST', headers: JSON_TYPE, body: b })
      assert.equal((await post(eventList(event('a'), event('b')))).status, 200)
      assert.equal((await post(eventList(event('c')))).status, 200)
      const full = await post(eventList(event('d'), event('e')))
      assert.equal(full.status, 503)
      assert.equal(full.headers.get('retry-after'), '1')
      await full.text()
      const s = hook.stats()
      assert.equal(s.queue.accepted, 3)
      assert.equal(s.queue.rejected, 2)
      assert.equal(s.server.busy, 1)
      release()
      await hook.drained()
      assert.deepEqual(events, ['a', 'b', 'c'])
      assert.equal((await post(eventList(event('f')))).status, 200, 'room again once drained')
      await hook.drained()
      assert.deepEqual(events, ['a', 'b', 'c', 'f'])
    } finally {
      release()
      await hook.close()
    }
  })

  test('close() delivers what was accepted, then the port refuses connections', async () => {
    const events: string[] = []
    const hook = await startWebhook(
      { kind: 'webhook', tls: false, host: '127.0.0.1', port: 0, path: '/k8s-audit' },
      async (ev) => {
        await new Promise((r) => setTimeout(r, 2))
        events.push(value('ka.auditid', ev) as string)
      },
      { onWarning: () => {}, closeGraceMs: 200 },
    )
    const url = hook.url
    const res = await fetch(url, { method: 'POST', headers: JSON_TYPE, body: eventList(...Array.from({ length: 20 }, (_, i) => event(`e${i}`))) })
    assert.equal(res.status, 200)
    await hook.close()
    assert.equal(events.length, 20)
    assert.equal(hook.stats().queue.dropped, 0)
    await assert.rejects(fetch(url, { method: 'POST', headers: JSON_TYPE, body: eventList(event('late')) }))
  })

  test('close({ drain: false }) counts what it leaves undelivered', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let delivered = 0
    const hook = await startWebhook(
      { kind: 'webhook', tls: false, host: '127.0.0.1', port: 0, path: '/k8s-audit' },
      async () => {
        await gate
        delivered++
      },
      { onWarning: () => {}, closeGraceMs: 200 },
    )
    const res = await fetch(hook.url, { method: 'POST', headers: JSON_TYPE, body: eventList(event('a'), event('b'), event('c')) })
    assert.equal(res.status, 200)
    await new Promise((r) => setImmediate(r))
    const closing = hook.close({ drain: false })
    release()
    await closing
    const s = hook.stats().queue
    assert.equal(s.accepted, 3)
    assert.equal(delivered + s.dropped, 3, 'every accepted event is delivered or counted as dropped')
  })

  test('a chunked body that grows past the limit gets 413 without being kept', async () => {
    const hook = await startWebhook(
      { kind: 'webhook', tls: false, host: '127.0.0.1', port: 0, path: '/k8s-audit' },
      () => {},
      { config: { ...K8SAUDIT_DEFAULTS, webhookMaxBatchSize: 1024 }, onWarning: () => {}, closeGraceMs: 200 },
    )
    try {
      const { port } = hook.address
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers: JSON_TYPE }, (res) => {
          res.resume()
          resolve(res.statusCode!)
        })
        req.on('error', reject)
        for (let i = 0; i < 8; i++) req.write('x'.repeat(512)) // no Content-Length: chunked
        req.end()
      })
      assert.equal(status, 413)
      assert.equal(hook.stats().server.tooLarge, 1)
    } finally {
      await hook.close()
    }
  })

  test('a port in use is reported when the webhook starts', async () => {
    const first = await startWebhook({ kind: 'webhook', tls: false, host: '127.0.0.1', port: 0, path: '/k8s-audit' }, () => {}, { onWarning: () => {} })
    try {
      await assert.rejects(
        startWebhook({ kind: 'webhook', tls: false, host: '127.0.0.1', port: first.address.port, path: '/k8s-audit' }, () => {}),
        /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      )
    } finally {
      await first.close()
    }
  })
})

// ---- HTTPS ----------------------------------------------------------------------------------

let certDir: string | undefined

/** A self-signed certificate for 127.0.0.1 made with openssl, written as one PEM (cert + key) like falco.pem. */
function makeCert(): { pem: string; cert: string } | string {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) return 'openssl is not available to make a test certificate'
  certDir = mkdtempSync(join(tmpdir(), 'saker-k8saudit-tls-'))
  const key = join(certDir, 'key.pem')
  const cert = join(certDir, 'cert.pem')
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { encoding: 'utf8' })
  if (made.status !== 0) return `openssl could not make a certificate: ${made.stderr}`
  const pem = join(certDir, 'falco.pem')
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'))
  return { pem, cert: readFileSync(cert, 'utf8') }
}

// fetch trusting our CA: an Agent of the same class as Node's global dispatcher, given `ca`
// (Node's fetch takes a `dispatcher`; undici is not a dependency of Saker, so it is not imported).
async function fetchTrusting(ca: string): Promise<Fetch | string> {
  const key = Symbol.for('undici.globalDispatcher.1')
  if (!(globalThis as Record<symbol, unknown>)[key]) await fetch('http://127.0.0.1:1').catch(() => undefined)
  const d = (globalThis as Record<symbol, unknown>)[key] as { constructor: new (o: object) => object } | undefined
  if (!d) return "Node's fetch exposes no dispatcher to give a CA to"
  const agent = new d.constructor({ connect: { ca } })
  return (url, init) => fetch(url, { ...init, dispatcher: agent } as RequestInit)
}

after(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true })
})

// The HTTPS suite needs the certificate before its tests are declared.
const cert = makeCert()
const tlsSetup: () => { fetch: Fetch; config: typeof K8SAUDIT_DEFAULTS } | string = () => {
  if (typeof cert === 'string') return cert
  const config = { ...K8SAUDIT_DEFAULTS, sslCertificate: cert.pem }
  let trusted: Fetch | undefined
  const lazy: Fetch = async (url, init) => {
    if (!trusted) {
      const f = await fetchTrusting(cert.cert)
      if (typeof f === 'string') throw new Error(f)
      trusted = f
    }
    return trusted(url, init)
  }
  return { fetch: lazy, config }
}
suite(true, tlsSetup)

describe('the webhook certificate', { skip: typeof cert === 'string' ? cert : false }, () => {
  test('HTTPS refuses a client that does not trust the certificate, and keeps serving', async () => {
    const c = cert as { pem: string; cert: string }
    const r = await run(true, { config: { ...K8SAUDIT_DEFAULTS, sslCertificate: c.pem } })
    try {
      await assert.rejects(r.post(eventList(event('x'))))
      const f = await fetchTrusting(c.cert)
      assert.equal(typeof f, 'function')
      const ok = await (f as Fetch)(r.hook.url, { method: 'POST', headers: JSON_TYPE, body: eventList(event('y')) })
      assert.equal(ok.status, 200)
    } finally {
      await r.hook.close()
    }
  })

  test('a certificate file without a private key is refused at start, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saker-k8saudit-pem-'))
    try {
      const only = join(dir, 'cert-only.pem')
      writeFileSync(only, (cert as { cert: string }).cert)
      await assert.rejects(run(true, { config: { ...K8SAUDIT_DEFAULTS, sslCertificate: only } }), new RegExp(`${only}: no PRIVATE KEY block`))
      await assert.rejects(
        run(true, { config: { ...K8SAUDIT_DEFAULTS, sslCertificate: join(dir, 'missing.pem') } }),
        /cannot read SSL certificate .*missing\.pem/,
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
