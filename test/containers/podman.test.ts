// podman through the Docker-compatible API on a socket of its own (`podman system service`):
// name, image, labels, mounts, privileged, as the provider reads them from podman's libpod
// endpoint and as the plain Docker client reads them from the compat endpoint.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { cgroupsHint } from '../../src/containers/cgroup-hint.js'
import { containerEngineConfig } from '../../src/containers/config.js'
import { DockerClient } from '../../src/containers/docker.js'
import { ContainerMetadata } from '../../src/containers/provider.js'
import { CT, ContainerTable, mountText } from '../../src/state/containers.js'
import { BUSYBOX_REF, Podman, buildImages, procCgroups, randomId, removeImages, skipReason, sleep } from './helpers.js'

const skip = skipReason('podman')

describe('podman through the Docker-compatible API', { skip: skip ?? false, timeout: 120_000 }, () => {
  let pm: Podman
  let md: ContainerMetadata
  let vol: string
  const name = `saker-pm-${randomId().slice(0, 8)}`
  let fullId = ''
  let pid = 0

  /** A provider that knows only this podman. */
  const provider = (extra: Partial<ConstructorParameters<typeof ContainerMetadata>[0]> = {}): ContainerMetadata => {
    const { config } = containerEngineConfig({
      engines: { docker: { enabled: false }, podman: { sockets: [pm.socket] }, cri: { enabled: false }, containerd: { enabled: false } },
    })
    return new ContainerMetadata({ config, discoveryIntervalMs: 200, ...extra })
  }

  before(async () => {
    buildImages()
    pm = new Podman()
    await pm.start()
    vol = mkdtempSync(join(tmpdir(), 'sk-vol-'))
    fullId = pm.run(name, [
      '--label', 'app=api', '--label', 'io.kubernetes.pod.name=web-1', '--label', 'io.kubernetes.pod.namespace=default',
      '--privileged', '-v', `${vol}:/data:ro`, BUSYBOX_REF, 'sleep', '100000',
    ])
    pid = Number(pm.podman('inspect', '-f', '{{.State.Pid}}', name))
    md = provider()
    await md.start()
  })
  after(async () => {
    md?.close()
    await pm?.destroy()
    if (vol !== undefined) rmSync(vol, { recursive: true, force: true })
    removeImages()
  })

  test('the podman engine gives name, image, labels, mounts and privileged', async t => {
    assert.match(fullId, /^[0-9a-f]{64}$/)
    const cgroups = procCgroups(pid)
    const id = new ContainerTable().idForCgroups(cgroups)
    assert.equal(id, fullId.slice(0, 12), cgroups.join(' | '))
    const hint = cgroupsHint(cgroups)
    assert.deepEqual(hint.engines, ['podman'])
    assert.equal(hint.fullId, fullId)

    // Asked through a provider that follows no events: a lookup the shared one started at the
    // container's create event could still be under way, and would answer 'created'.
    const quiet = provider({ watch: false, prefetch: false })
    await quiet.start()
    t.after(() => quiet.close())
    const out = await quiet.resolve(id, hint)
    assert.ok(out.info !== null, out.reason)
    const c = out.info
    assert.equal(c.type, CT.PODMAN)
    assert.equal(c.engine, 'podman')
    assert.equal(c.id, id)
    assert.equal(c.fullId, fullId)
    assert.equal(c.name, name)
    assert.equal(c.image, BUSYBOX_REF)
    assert.equal(c.imageRepo, 'docker.io/local/busybox')
    assert.equal(c.imageTag, 'test')
    assert.match(c.imageId, /^[0-9a-f]{64}$/)
    assert.equal(c.label('app'), 'api')
    assert.equal(c.podName, 'web-1')
    assert.equal(c.podNamespace, 'default')
    assert.equal(c.privileged, true)
    assert.equal(c.hostNetwork, false)
    assert.equal(c.state, 'running')
    const m = c.mounts.find(x => x.dest === '/data')
    assert.ok(m !== undefined, JSON.stringify(c.mounts))
    assert.equal(m.source, vol)
    assert.equal(m.rdwr, false)
    assert.match(mountText(m), new RegExp(`^${vol}:/data:[^:]*:false:`))
    assert.ok(c.createdTime > 1_600_000_000 && c.startedTime >= c.createdTime)
    const times: number[] = []
    for (let i = 0; i < 20; i++) {
      quiet.forget(id)
      times.push((await quiet.resolve(id, hint)).ms)
    }
    times.sort((x, y) => x - y)
    console.log(`# podman lookup (libpod inspect), 20 uncached: median ${times[10]} ms, max ${times[19]} ms`)
  })

  test('the docker engine on the same socket reads the compat API the same way', async () => {
    const dc = new DockerClient('docker', pm.socket, { labelMaxLen: 100, withSize: false })
    try {
      const p = await dc.probe(1000)
      assert.ok(p.ok, p.ok ? '' : p.reason)
      const r = await dc.inspect(fullId.slice(0, 12), 1000)
      assert.ok(r.ok, r.ok ? '' : r.reason)
      const c = r.info
      assert.equal(c.type, CT.DOCKER)
      assert.equal(c.fullId, fullId)
      assert.equal(c.name, name)
      assert.equal(c.image, BUSYBOX_REF)
      assert.equal(c.imageRepo, 'docker.io/local/busybox')
      assert.equal(c.imageTag, 'test')
      assert.match(c.imageId, /^[0-9a-f]{64}$/)
      assert.equal(c.label('app'), 'api')
      assert.equal(c.privileged, true)
      assert.ok(c.mounts.some(x => x.dest === '/data' && x.source === vol && !x.rdwr))
      const times: number[] = []
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now()
        assert.ok((await dc.inspect(fullId.slice(0, 12), 1000)).ok)
        times.push(performance.now() - t0)
      }
      times.sort((x, y) => x - y)
      console.log(`# docker-compat lookup (container + image inspect), 20: median ${times[10]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`)
      const missing = await dc.inspect(randomId(), 1000)
      assert.equal(missing.ok, false)
      assert.equal(missing.ok ? '' : missing.code, 'not-found')
      const ids = await dc.list(1000)
      assert.ok(ids?.includes(fullId))
    } finally {
      dc.close()
    }
  })

  test('a removed container leaves the cache through the event stream', async () => {
    await md.lookup(fullId)
    assert.ok(md.peek(fullId) !== undefined)
    for (let i = 0; i < 50 && !md.status()[0]?.watching; i++) await sleep(100)
    assert.equal(md.status()[0]?.watching, true)
    pm.podman('rm', '-f', '-t', '0', name)
    for (let i = 0; i < 100 && md.peek(fullId) !== undefined; i++) await sleep(50)
    assert.equal(md.peek(fullId), undefined)
  })
})
