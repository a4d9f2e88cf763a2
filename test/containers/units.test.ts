// The pieces without a runtime: wire encoding, config, cgroup hints, mappings, the gRPC and
// HTTP clients against small fake servers on unix sockets, and the provider's policies
// (dedup, retries, fallbacks, discovery) with fake clients.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { cgroupHint, cgroupsHint } from '../../src/containers/cgroup-hint.js'
import type { Lookup, Probe, RuntimeClient, RuntimeEvent, Watch } from '../../src/containers/client.js'
import { containerEngineConfig, socketPath } from '../../src/containers/config.js'
import { specPrivileged } from '../../src/containers/containerd.js'
import { cniResultOf } from '../../src/containers/cri.js'
import { DockerClient, healthcheckProbe } from '../../src/containers/docker.js'
import { GRPC, GrpcChannel } from '../../src/containers/grpc.js'
import { ContainerMetadata } from '../../src/containers/provider.js'
import { ProtoError, Writer, bool, int, parse, str, strMap, sub, subs } from '../../src/containers/protobuf.js'
import { ContainerRecord, countCpuSet, labelPairs, parseImageRepoTag, toContainerJson } from '../../src/containers/record.js'
import type { EngineKind } from '../../src/containers/record.js'
import { ContainerWait } from '../../src/containers/wait.js'
import { CT, ContainerTable, parseContainerJson } from '../../src/state/containers.js'

const tmp = mkdtempSync(join(tmpdir(), 'sk-unit-'))
after(() => rmSync(tmp, { recursive: true, force: true }))
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))
const ID = 'a'.repeat(64)
const ID2 = 'b'.repeat(64)

describe('protobuf wire format', () => {
  test('messages round-trip: strings, int64 beyond 2^53, negative numbers, maps, nesting', () => {
    const ns = 1_764_300_000_123_456_789n
    const buf = new Writer()
      .string(1, 'héllo')
      .uint(2, ns)
      .uint(3, -5n)
      .bool(4, true)
      .message(5, new Writer().string(1, 'k1').string(2, 'v1'))
      .message(5, new Writer().string(1, 'k2').string(2, 'v2'))
      .message(6, new Writer().message(1, new Writer().string(3, 'deep')))
      .finish()
    const m = parse(buf)
    assert.equal(str(m, 1), 'héllo')
    assert.equal(int(m, 2), ns)
    assert.equal(int(m, 3), -5n)
    assert.equal(bool(m, 4), true)
    assert.deepEqual([...strMap(m, 5)], [['k1', 'v1'], ['k2', 'v2']])
    assert.equal(str(sub(sub(m, 6), 1), 3), 'deep')
    assert.equal(subs(m, 5).length, 2)
    assert.equal(str(m, 99), '')
    assert.equal(int(m, 99), 0n)
    assert.equal(sub(m, 99), null)
  })

  test('proto3 defaults are not written', () => {
    assert.equal(new Writer().string(1, '').uint(2, 0).bool(3, false).finish().length, 0)
  })

  test('a truncated or malformed message is an error, not a hang', () => {
    const good = new Writer().string(1, 'abcdef').finish()
    assert.throws(() => parse(good.subarray(0, 4)), ProtoError)
    assert.throws(() => parse(Buffer.from([0x0b])), ProtoError) // wire type 3 (groups)
    assert.throws(() => parse(Buffer.from([0x08, 0xff])), ProtoError)
  })
})

describe('records', () => {
  test('image repository and tag as the plugin parses them', () => {
    const cases: [string, string, string][] = [
      ['registry.example.com:5000/foo/bar:latest@sha256:d', 'registry.example.com:5000/foo/bar', 'latest'],
      ['registry.example.com:5000/foo/bar@sha256:d', 'registry.example.com:5000/foo/bar', ''],
      ['registry.example.com:5000/foo/bar:latest', 'registry.example.com:5000/foo/bar', 'latest'],
      ['registry.example.com:5000/foo/bar', 'registry.example.com:5000/foo/bar', ''],
      ['foo/bar:latest', 'foo/bar', 'latest'],
      ['foo:latest', 'foo', 'latest'],
      ['', '', ''],
    ]
    for (const [image, repo, tag] of cases) assert.deepEqual(parseImageRepoTag(image), [repo, tag], image)
  })

  test('cpuset counts', () => {
    assert.equal(countCpuSet('1,7'), 2)
    assert.equal(countCpuSet('1-4,7'), 5)
    assert.equal(countCpuSet('1-4,7-10,12'), 9)
    assert.equal(countCpuSet('1-2-3'), 0)
    assert.equal(countCpuSet(''), 0)
  })

  test('labels are sorted and values over label_max_len dropped', () => {
    assert.deepEqual(labelPairs({ b: '2', a: '1', long: 'x'.repeat(5) }, 4), [['a', '1'], ['b', '2']])
  })

  test("the plugin's container JSON round-trips through the capture parser", () => {
    const r = new ContainerRecord()
    Object.assign(r, {
      id: ID.slice(0, 12), fullId: ID, type: CT.CRIO, name: 'app', image: 'quay.io/x/y:1', imageRepo: 'quay.io/x/y', imageTag: '1',
      imageDigest: 'sha256:00', imageId: 'ff', ip: '10.0.0.2', privileged: true, hostPid: true, user: '1000',
      env: ['A=1'], podSandboxId: ID2, podSandboxCniResult: '{"eth0":{}}', isPodSandbox: false, createdTime: 1700000000,
    })
    r.labels = [['io.kubernetes.pod.name', 'p'], ['x', 'y']]
    r.podSandboxLabels = [['app', 'web']]
    r.mounts = [{ source: '/s', dest: '/d', mode: 'z', rdwr: true, propagation: 'rprivate' }]
    r.healthProbes = [{ type: 1, exe: '/bin/sh', args: ['-c', 'true'] }]
    const back = parseContainerJson(toContainerJson(r))!
    for (const k of ['id', 'fullId', 'type', 'name', 'image', 'imageRepo', 'imageTag', 'imageDigest', 'imageId', 'ip', 'privileged',
      'hostPid', 'user', 'podSandboxId', 'podSandboxCniResult', 'createdTime'] as const) assert.deepEqual(back[k], r[k], k)
    assert.deepEqual(back.labels, r.labels)
    assert.deepEqual(back.podSandboxLabels, r.podSandboxLabels)
    assert.deepEqual(back.mounts, r.mounts)
    assert.deepEqual(back.healthProbes, r.healthProbes)
    assert.deepEqual(back.env, r.env)
  })

  test('docker HEALTHCHECK forms', () => {
    assert.deepEqual(healthcheckProbe(['CMD', '/bin/check', '-v']), { type: 1, exe: '/bin/check', args: ['-v'] })
    assert.deepEqual(healthcheckProbe(['CMD-SHELL', 'curl -f localhost']), { type: 1, exe: '/bin/sh', args: ['-c', 'curl -f localhost'] })
    assert.equal(healthcheckProbe(['NONE']), null)
    assert.equal(healthcheckProbe(undefined), null)
  })

  test("CNI result: containerd's interfaces less lo/veth/Mac/Sandbox, or cri-o's annotation, capped at 4096", () => {
    const containerd = {
      cniResult: {
        Interfaces: {
          lo: { IPConfigs: [{ IP: '127.0.0.1' }] },
          veth1234: { Mac: 'aa' },
          eth0: { IPConfigs: [{ IP: '10.1.2.3', Gateway: '10.1.2.1' }], Mac: 'bb', Sandbox: '/var/run/netns/x' },
        },
        DNS: [{}],
      },
    }
    assert.equal(cniResultOf(containerd), '{"eth0":{"IPConfigs":[{"IP":"10.1.2.3","Gateway":"10.1.2.1"}]}}')
    assert.equal(cniResultOf({ runtimeSpec: { annotations: { 'io.kubernetes.cri-o.CNIResult': '{"x":1}\n' } } }), '{"x":1}')
    assert.equal(cniResultOf({ runtimeSpec: { annotations: { 'io.kubernetes.cri-o.CNIResult': 'y'.repeat(5000) } } }).length, 4096)
    assert.equal(cniResultOf({}), '')
  })

  test("containerd's privileged test", () => {
    const priv = { linux: {}, process: {}, mounts: [{ type: 'sysfs', options: ['rw'] }] }
    assert.equal(specPrivileged(priv), true)
    assert.equal(specPrivileged({ ...priv, linux: { maskedPaths: ['/proc/kcore'] } }), false)
    assert.equal(specPrivileged({ ...priv, mounts: [{ type: 'sysfs', options: ['ro'] }] }), false)
    assert.equal(specPrivileged({ ...priv, process: { apparmorProfile: 'cri-containerd.apparmor.d' } }), false)
    assert.equal(specPrivileged({}), false)
  })
})

describe('config (the plugin init_config)', () => {
  test('defaults: every engine enabled, the plugin sockets (plus containerd.sock for the native API)', () => {
    const { config, problems } = containerEngineConfig({}, {})
    assert.deepEqual(problems, [])
    assert.equal(config.labelMaxLen, 100)
    assert.equal(config.withSize, false)
    assert.equal(config.hostRoot, '')
    assert.deepEqual(config.engines.docker, { enabled: true, sockets: ['/var/run/docker.sock'] })
    assert.equal(config.engines.podman.sockets[0], '/run/podman/podman.sock')
    assert.deepEqual(config.engines.cri.sockets, ['/run/containerd/containerd.sock', '/run/crio/crio.sock', '/run/k3s/containerd/containerd.sock', '/run/host-containerd/containerd.sock'])
    assert.deepEqual(config.engines.containerd.sockets, ['/run/containerd/containerd.sock', '/run/host-containerd/containerd.sock'])
  })

  test('keys as falco.yaml gives them, HOST_ROOT from the environment, host_root winning', () => {
    const init = { label_max_len: 20, with_size: true, engines: { docker: { enabled: false }, cri: { sockets: ['/run/crio/crio.sock'] } } }
    const a = containerEngineConfig(init, { HOST_ROOT: '/host/' }).config
    assert.equal(a.labelMaxLen, 20)
    assert.equal(a.withSize, true)
    assert.equal(a.hostRoot, '/host')
    assert.equal(a.engines.docker.enabled, false)
    assert.deepEqual(a.engines.cri.sockets, ['/run/crio/crio.sock'])
    assert.equal(socketPath(a.hostRoot, '/run/crio/crio.sock'), '/host/run/crio/crio.sock')
    assert.equal(socketPath('', 'unix:///run/x.sock'), '/run/x.sock')
    const b = containerEngineConfig(JSON.stringify({ ...init, host_root: '/other' }), { HOST_ROOT: '/host' }).config
    assert.equal(b.hostRoot, '/other')
  })

  test('wrong types are reported with their key, and the default is kept', () => {
    const { config, problems } = containerEngineConfig({ label_max_len: 'x', engines: { podman: { enabled: 'yes', sockets: [1] } } }, {})
    assert.deepEqual(problems.map(p => p.key).sort(), ['engines.podman.enabled', 'engines.podman.sockets', 'label_max_len'])
    assert.match(problems.find(p => p.key === 'label_max_len')!.message, /non-negative integer, got "x"/)
    assert.equal(config.labelMaxLen, 100)
    assert.equal(config.engines.podman.enabled, true)
    assert.equal(containerEngineConfig('{not json', {}).problems[0]?.key, 'init_config')
  })
})

describe('cgroup hints', () => {
  const cases: [string, EngineKind[], string][] = [
    [`/docker/${ID}`, ['docker', 'podman'], ID],
    [`/system.slice/docker-${ID}.scope`, ['docker', 'podman'], ID],
    [`/kubepods/besteffort/pod1234/${ID}`, ['cri', 'containerd', 'docker'], ID],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice:cri-containerd:${ID}`, ['cri', 'containerd'], ID],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-${ID}.scope`, ['cri', 'containerd'], ID],
    [`/kubepods.slice/kubepods-pod12.slice/crio-${ID}.scope`, ['cri'], ID],
    [`/machine.slice/libpod-${ID}.scope/container`, ['podman'], ID],
    [`/libpod_parent/libpod-${ID}`, ['podman'], ID],
    [`/default/${ID}`, ['containerd'], ID],
    ['/default/mycontainer', ['containerd'], ''],
    ['/user.slice/user-0.slice/session-1.scope', [], ''],
  ]
  for (const [path, engines, fullId] of cases) {
    test(path, () => assert.deepEqual(cgroupHint(path), { engines, fullId }))
  }
  test("a thread's paths: the first that has the full id", () => {
    assert.deepEqual(cgroupsHint(['/', `/kubepods/besteffort/podx/${ID}`]).fullId, ID)
    assert.deepEqual(cgroupsHint(['/', '/']), { engines: [], fullId: '' })
  })
})

// ---------------------------------------------------------------------------------------
// gRPC against a fake server

function frame(b: Buffer): Buffer {
  const h = Buffer.alloc(5)
  h.writeUInt32BE(b.length, 1)
  return Buffer.concat([h, b])
}

async function grpcServer(path: string, handler: (p: string, body: Buffer, s: http2.ServerHttp2Stream) => void): Promise<http2.Http2Server> {
  const srv = http2.createServer()
  srv.on('stream', (s, h) => {
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('end', () => handler(String(h[':path']), Buffer.concat(chunks).subarray(5), s))
  })
  await new Promise<void>(r => srv.listen(path, r))
  return srv
}

describe('gRPC over a unix socket', () => {
  test('unary answers, status errors, deadlines and absent servers never throw', async () => {
    const sock = join(tmp, 'g.sock')
    const srv = await grpcServer(sock, (p, body, s) => {
      if (p === '/t.S/Echo') {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
        s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }))
        s.end(frame(new Writer().string(1, `echo:${str(parse(body), 1)}`).finish()))
      } else if (p === '/t.S/Missing') {
        // trailers-only answer
        s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'no%20such%20thing' }, { endStream: true })
      } else if (p === '/t.S/Slow') {
        s.on('error', () => {})
      }
    })
    const ch = new GrpcChannel(sock)
    try {
      const ok = await ch.unary('/t.S/Echo', new Writer().string(1, 'hi').finish(), 1000)
      assert.ok(ok.ok)
      assert.equal(str(parse(ok.message), 1), 'echo:hi')
      const nf = await ch.unary('/t.S/Missing', Buffer.alloc(0), 1000)
      assert.deepEqual(nf, { ok: false, code: GRPC.NOT_FOUND, message: 'no such thing' })
      const t0 = Date.now()
      const slow = await ch.unary('/t.S/Slow', Buffer.alloc(0), 100)
      assert.equal(slow.ok ? -1 : slow.code, GRPC.DEADLINE_EXCEEDED)
      assert.ok(Date.now() - t0 < 500)
      // The session survives a cancelled call.
      assert.ok((await ch.unary('/t.S/Echo', new Writer().string(1, 'again').finish(), 1000)).ok)
    } finally {
      ch.close()
      await new Promise(r => srv.close(r))
    }
    const gone = new GrpcChannel(join(tmp, 'nobody.sock'))
    const r = await gone.unary('/t.S/Echo', Buffer.alloc(0), 1000)
    assert.equal(r.ok ? -1 : r.code, GRPC.UNAVAILABLE)
    gone.close()
  })

  test('a server stream delivers its messages, then its end when the server goes away', async () => {
    const sock = join(tmp, 's.sock')
    let stream: http2.ServerHttp2Stream | null = null
    const srv = await grpcServer(sock, (_p, _b, s) => {
      stream = s
      s.respond({ ':status': 200, 'content-type': 'application/grpc' })
      s.write(frame(new Writer().string(1, 'one').finish()))
      s.write(frame(new Writer().string(1, 'two').finish()))
    })
    const ch = new GrpcChannel(sock)
    const got: string[] = []
    const ended = new Promise<string>(resolve => ch.stream('/t.S/Watch', Buffer.alloc(0), m => got.push(str(parse(m), 1)), (_c, msg) => resolve(msg)))
    while (got.length < 2) await sleep(10)
    assert.deepEqual(got, ['one', 'two'])
    ;(stream as http2.ServerHttp2Stream | null)?.close()
    srv.close()
    assert.ok((await ended).length > 0)
    ch.close()
  })
})

// ---------------------------------------------------------------------------------------
// Docker API against a fake server

describe('docker client (fake Engine API)', () => {
  test('repository, tag and digest from the image; the ip of a shared network; the health check', async () => {
    const sock = join(tmp, 'd.sock')
    const imageId = 'sha256:' + 'c'.repeat(64)
    const docs: Record<string, unknown> = {
      '/version': { Version: '27.0.1', Components: [{ Name: 'Engine' }] },
      [`/containers/${ID.slice(0, 12)}/json`]: {
        Id: ID, Name: '/web', Created: '2026-11-28T05:00:00.123456789Z', Image: imageId,
        State: { Status: 'running', StartedAt: '2026-11-28T05:00:01Z' },
        Config: { Image: 'nginx:1.27', Labels: { a: '1' }, Env: ['X=1'], User: 'www', Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'] } },
        HostConfig: { Privileged: false, NetworkMode: `container:${ID2}`, PidMode: 'host', IpcMode: 'private', CpuShares: 512, Memory: 1024 },
        NetworkSettings: { IPAddress: '', Networks: {} },
        Mounts: [{ Type: 'bind', Source: '/srv', Destination: '/usr/share/nginx', Mode: 'ro', RW: false, Propagation: 'rprivate' }],
      },
      [`/containers/${ID2}/json`]: { Id: ID2, NetworkSettings: { IPAddress: '', Networks: { bridge: { IPAddress: '172.17.0.9' } } } },
      [`/images/${encodeURIComponent(imageId)}/json`]: {
        Id: imageId, RepoTags: ['nginx:1.27', 'nginx:latest'], RepoDigests: ['nginx@sha256:' + 'd'.repeat(64)],
      },
    }
    const srv = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!
      const doc = docs[path]
      res.writeHead(doc === undefined ? 404 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(doc ?? { message: `No such container: ${path}` }))
    })
    await new Promise<void>(r => srv.listen(sock, r))
    const dc = new DockerClient('docker', sock, { labelMaxLen: 100, withSize: false })
    try {
      const p = await dc.probe(1000)
      assert.deepEqual(p, { ok: true, runtimeName: 'Engine', version: '27.0.1' })
      const r = await dc.inspect(ID.slice(0, 12), 1000)
      assert.ok(r.ok, r.ok ? '' : r.reason)
      const c = r.info
      assert.equal(c.type, CT.DOCKER)
      assert.equal(c.name, 'web')
      assert.equal(c.image, 'nginx:1.27')
      assert.equal(c.imageRepo, 'nginx')
      assert.equal(c.imageTag, '1.27')
      assert.equal(c.imageDigest, 'sha256:' + 'd'.repeat(64))
      assert.equal(c.imageId, 'c'.repeat(64))
      assert.equal(c.ip, '172.17.0.9')
      assert.equal(c.hostPid, true)
      assert.equal(c.hostIpc, false)
      assert.equal(c.user, 'www')
      assert.equal(c.cpuShares, 512)
      assert.equal(c.memoryLimit, 1024)
      assert.equal(c.createdTime, Math.floor(Date.parse('2026-11-28T05:00:00Z') / 1000))
      assert.equal(c.state, 'running')
      assert.deepEqual(c.healthProbes, [{ type: 1, exe: '/bin/sh', args: ['-c', 'curl -f localhost'] }])
      assert.deepEqual(c.mounts, [{ source: '/srv', dest: '/usr/share/nginx', mode: 'ro', rdwr: false, propagation: 'rprivate' }])
      const nf = await dc.inspect('nope', 1000)
      assert.equal(nf.ok ? '' : nf.code, 'not-found')
    } finally {
      dc.close()
      await new Promise(r => srv.close(r))
    }
    const gone = new DockerClient('docker', join(tmp, 'nobody.sock'), { labelMaxLen: 100, withSize: false })
    const g = await gone.inspect(ID, 500)
    assert.equal(g.ok ? '' : g.code, 'unavailable')
    gone.close()
  })
})

// ---------------------------------------------------------------------------------------
// The provider's policies, with fake runtimes

class FakeClient implements RuntimeClient {
  readonly known = new Map<string, () => ContainerRecord>()
  up = true
  calls = 0
  delayMs = 0
  onEvent: ((e: RuntimeEvent) => void) | null = null
  endWatch: ((reason: string, unsupported: boolean) => void) | null = null

  constructor(readonly engine: EngineKind, readonly socket: string) {}

  async probe(): Promise<Probe> {
    return this.up ? { ok: true, runtimeName: this.engine, version: '1' } : { ok: false, code: 'unavailable', reason: 'down' }
  }

  async inspect(id: string, timeoutMs: number): Promise<Lookup> {
    this.calls++
    if (this.delayMs > 0) await sleep(Math.min(this.delayMs, timeoutMs))
    if (this.delayMs > timeoutMs) return { ok: false, code: 'timeout', reason: `${this.engine}: slow` }
    if (!this.up) return { ok: false, code: 'unavailable', reason: `${this.engine}: ECONNREFUSED` }
    for (const [full, make] of this.known) {
      if (full.startsWith(id)) {
        const r = make()
        r.engine = this.engine
        r.socket = this.socket
        return { ok: true, info: r }
      }
    }
    return { ok: false, code: 'not-found', reason: `${this.engine}: no ${id}` }
  }

  async list(): Promise<string[] | null> {
    return [...this.known.keys()]
  }

  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (reason: string, unsupported: boolean) => void): Watch {
    this.onEvent = onEvent
    this.endWatch = onEnd
    return { cancel: () => { this.onEvent = null } }
  }

  close(): void {}
}

function rec(fullId: string, name: string, labels: [string, string][] = []): () => ContainerRecord {
  return () => {
    const r = new ContainerRecord()
    r.fullId = fullId
    r.id = fullId.slice(0, 12)
    r.name = name
    r.labels = labels
    r.podFromLabels()
    return r
  }
}

function sockFile(name: string): string {
  const p = join(tmp, name)
  writeFileSync(p, '')
  return p
}

describe('provider policies', () => {
  test('a lookup looks for a runtime socket that appeared since the last discovery round', async () => {
    const path = join(tmp, 'appears.sock')
    const c = new FakeClient('cri', path)
    c.known.set(ID, rec(ID, 'late'))
    const md = new ContainerMetadata({ clients: [c], prefetch: false, discoveryIntervalMs: 60_000 })
    await md.start()
    assert.equal(md.status()[0]?.state, 'absent')
    writeFileSync(path, '')
    await sleep(110) // a socket is probed at most every 100 ms
    const out = await md.resolve(ID.slice(0, 12), { engines: ['cri'], fullId: ID })
    assert.equal(out.info?.name, 'late', out.reason)
    md.close()
  })

  test('the hinted runtime wins; concurrent lookups share a query; misses are remembered', async () => {
    const docker = new FakeClient('docker', sockFile('p1'))
    const podman = new FakeClient('podman', sockFile('p2'))
    docker.known.set(ID, rec(ID, 'from-docker'))
    podman.known.set(ID, rec(ID, 'from-podman'))
    const md = new ContainerMetadata({ clients: [podman, docker], prefetch: false })
    await md.start()
    const [a, b] = await Promise.all([md.lookup(ID.slice(0, 12), 'docker'), md.lookup(ID.slice(0, 12), 'docker')])
    assert.equal(a?.name, 'from-docker')
    assert.equal(a, b)
    assert.equal(docker.calls, 1)
    const miss = await md.resolve(ID2.slice(0, 12))
    assert.equal(miss.info, null)
    assert.match(miss.reason, /podman: no bbbbbbbbbbbb; docker: no bbbbbbbbbbbb/)
    assert.ok(miss.ms >= 100 && miss.ms < 1000, `asked again for ~150 ms (${miss.ms})`)
    const calls = docker.calls
    assert.equal((await md.resolve(ID2.slice(0, 12))).cached, true)
    assert.equal(docker.calls, calls)
    md.close()
  })

  test('a container the runtime learns of within 150 ms is found by the same lookup', async () => {
    const c = new FakeClient('docker', sockFile('p3'))
    const md = new ContainerMetadata({ clients: [c], prefetch: false })
    await md.start()
    setTimeout(() => c.known.set(ID, rec(ID, 'late')), 60)
    assert.equal((await md.lookup(ID.slice(0, 12)))?.name, 'late')
    md.close()
  })

  test('a slow runtime is bounded by the lookup time limit', async () => {
    const c = new FakeClient('docker', sockFile('p4'))
    c.delayMs = 5000
    c.known.set(ID, rec(ID, 'slow'))
    const md = new ContainerMetadata({ clients: [c], prefetch: false, lookupTimeoutMs: 300, callTimeoutMs: 200 })
    await md.start()
    const out = await md.resolve(ID)
    assert.equal(out.info, null)
    assert.ok(out.ms < 600, `${out.ms} ms`)
    md.close()
  })

  test('a CRI-made container seen first by the native API waits for the CRI answer', async () => {
    const sock = sockFile('p5')
    const cri = new FakeClient('cri', sock)
    const native = new FakeClient('containerd', sock)
    native.known.set(ID, rec(ID, 'native', [['io.cri-containerd.kind', 'container']]))
    const md = new ContainerMetadata({ clients: [cri, native], prefetch: false })
    await md.start()
    setTimeout(() => cri.known.set(ID, rec(ID, 'app', [['io.kubernetes.pod.name', 'web-0']])), 300)
    const c = await md.lookup(ID, { engines: ['containerd'], fullId: ID })
    assert.equal(c?.engine, 'cri')
    assert.equal(c?.podName, 'web-0')
    md.close()
  })

  test('removal events drop entries; a runtime that goes away is probed again and its unresolved ids retried', async () => {
    const socket = join(tmp, 'late.sock')
    const c = new FakeClient('containerd', socket)
    const md = new ContainerMetadata({ clients: [c], discoveryIntervalMs: 50 })
    const changes: string[] = []
    md.onChange(ch => changes.push(ch.kind === 'added' ? `+${ch.info.name}` : `-${ch.id}`))
    await md.start()
    assert.equal(md.status()[0]?.state, 'absent')
    assert.equal(await md.lookup(ID), null)
    // The socket appears with the container already there: found without anyone asking again.
    c.known.set(ID, rec(ID, 'first'))
    writeFileSync(socket, '')
    for (let i = 0; i < 100 && md.peek(ID) === undefined; i++) await sleep(20)
    assert.equal(md.peek(ID)?.name, 'first')
    assert.equal(md.status()[0]?.state, 'up')
    c.onEvent?.({ kind: 'remove', id: ID })
    assert.equal(md.peek(ID), undefined)
    // The runtime restarts: its stream ends, it is probed again, a new stream is opened.
    c.up = false
    c.endWatch?.('stream closed', false)
    assert.equal(md.status()[0]?.state, 'down')
    c.up = true
    for (let i = 0; i < 100 && md.status()[0]?.state !== 'up'; i++) await sleep(20)
    assert.equal(md.status()[0]?.state, 'up')
    assert.equal(md.status()[0]?.watching, true)
    assert.deepEqual(changes.slice(0, 2), ['+first', `-${ID.slice(0, 12)}`])
    md.close()
  })
})

// ---------------------------------------------------------------------------------------
// The bounded wait of a new container's first events

describe('ContainerWait', () => {
  /**
   * A tiny event loop: events "tid:containerId"; applied = the order the state saw them;
   * matched = the order rules saw them, with the container name then.
   */
  function loop(md: ContainerMetadata, opts: { maxWaitMs?: number; maxHeldBytes?: number } = {}) {
    const table = new ContainerTable()
    const applied: string[] = []
    const matched: string[] = []
    const match = (text: string): void => {
      const cid = text.split(':')[1] ?? ''
      matched.push(`${text}=${cid === '' ? 'host' : table.get(cid.slice(0, 12))?.name ?? '<NA>'}`)
    }
    const wait: ContainerWait<{ text: string; applied: boolean }> = new ContainerWait(md, table, items => {
      for (const it of items) {
        if (it.applied) match(it.text)
        else push(it.text)
      }
    }, opts)
    function push(text: string): void {
      const tid = Number(text.split(':')[0])
      if (wait.holds(tid)) return wait.hold(tid, { text, applied: false }, text.length)
      applied.push(text)
      const cid = text.split(':')[1] ?? ''
      if (wait.needsWait(cid.slice(0, 12), [`/kubepods/besteffort/podx/${cid}`], tid)) return wait.hold(tid, { text, applied: true }, text.length)
      match(text)
    }
    return { table, applied, matched, wait, push }
  }

  test("a new container's events wait for its record; other threads flow; order per thread is kept", async () => {
    const c = new FakeClient('cri', sockFile('w1'))
    c.delayMs = 30
    c.known.set(ID, rec(ID, 'web'))
    const md = new ContainerMetadata({ clients: [c], prefetch: false })
    await md.start()
    const l = loop(md)
    l.push('1:')
    l.push(`2:${ID}`)
    l.push('3:')
    l.push('2:')
    l.push(`4:${ID}`)
    assert.deepEqual(l.matched, ['1:=host', '3:=host'], 'the host thread 3 is not held')
    assert.deepEqual(l.applied, ['1:', `2:${ID}`, '3:', `4:${ID}`], "thread 2's next event waits unapplied")
    while (l.wait.holding) await sleep(5)
    assert.deepEqual(l.matched, ['1:=host', '3:=host', `2:${ID}=web`, '2:=host', `4:${ID}=web`])
    assert.deepEqual(l.applied, ['1:', `2:${ID}`, '3:', `4:${ID}`, '2:'])
    assert.equal(l.wait.stats.answered, 1)
    assert.equal(l.wait.stats.waits, 1)
    md.close()
  })

  test('a container no runtime knows is waited for once, at most maxWaitMs', async () => {
    const c = new FakeClient('cri', sockFile('w2'))
    c.delayMs = 5000
    const md = new ContainerMetadata({ clients: [c], prefetch: false })
    await md.start()
    const l = loop(md, { maxWaitMs: 50 })
    const t0 = Date.now()
    l.push(`1:${ID}`)
    l.push(`1:${ID}`)
    while (l.wait.holding) await sleep(5)
    assert.ok(Date.now() - t0 < 200)
    l.push(`1:${ID}`)
    assert.deepEqual(l.matched, [`1:${ID}=<NA>`, `1:${ID}=<NA>`, `1:${ID}=<NA>`])
    assert.equal(l.wait.stats.timedOut, 1)
    assert.equal(l.wait.stats.waits, 1)
    md.close()
  })

  test('a container whose lookup found nothing is looked up again (at most once a second) while its events go on', async () => {
    const c = new FakeClient('cri', sockFile('w4'))
    const md = new ContainerMetadata({ clients: [c], prefetch: false, notFoundRetryMs: 0 })
    await md.start()
    const l = loop(md)
    l.push(`1:${ID}`)
    while (l.wait.holding) await sleep(5)
    c.known.set(ID, rec(ID, 'late'))
    await sleep(1000)
    l.push(`1:${ID}`) // asks again, does not wait
    await sleep(50)
    l.push(`1:${ID}`)
    assert.deepEqual(l.matched, [`1:${ID}=<NA>`, `1:${ID}=<NA>`, `1:${ID}=late`])
    assert.equal(l.wait.stats.waits, 1)
    md.close()
  })

  test('two new containers wait side by side; too many held bytes end every wait at once', async () => {
    const c = new FakeClient('cri', sockFile('w3'))
    c.delayMs = 40
    c.known.set(ID, rec(ID, 'a'))
    c.known.set(ID2, rec(ID2, 'b'))
    const md = new ContainerMetadata({ clients: [c], prefetch: false })
    await md.start()
    const l = loop(md, { maxHeldBytes: 1000 })
    l.push(`1:${ID}`)
    l.push(`2:${ID2}`)
    l.push('3:')
    assert.deepEqual(l.matched, ['3:=host'])
    while (l.wait.holding) await sleep(5)
    assert.deepEqual(l.matched, ['3:=host', `1:${ID}=a`, `2:${ID2}=b`])
    const m = loop(md, { maxHeldBytes: 100 })
    const other = 'c'.repeat(64)
    m.push(`1:${other}`)
    for (let i = 0; i < 5; i++) m.push(`1:${other}`)
    assert.equal(m.wait.stats.overflowed, 1)
    assert.equal(m.matched.length, 6, 'released at once, without metadata')
    assert.equal(m.wait.holding, false)
    md.close()
  })
})
