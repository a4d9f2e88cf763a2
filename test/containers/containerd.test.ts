// containerd on this machine, isolated (its own root, state and socket): a pod made through
// its CRI plugin, a `ctr run` container with Kubernetes labels, and the provider finding
// containerd when it starts late and again after a restart.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { cgroupsHint } from '../../src/containers/cgroup-hint.js'
import { containerEngineConfig } from '../../src/containers/config.js'
import { ContainerMetadata } from '../../src/containers/provider.js'
import type { MetadataChange } from '../../src/containers/provider.js'
import { ContainerRecord, toContainerJson } from '../../src/containers/record.js'
import { CT, ContainerTable, matchCgroup, parseContainerJson } from '../../src/state/containers.js'
import { BUSYBOX_REF, Containerd, buildImages, procCgroups, randomId, removeImages, skipReason, sleep } from './helpers.js'

const skip = skipReason('containerd')

/** A provider that knows only this containerd (CRI and native API on its socket). */
function providerFor(socket: string, extra: Partial<ConstructorParameters<typeof ContainerMetadata>[0]> = {}): ContainerMetadata {
  const { config, problems } = containerEngineConfig({
    engines: { docker: { enabled: false }, podman: { enabled: false }, cri: { sockets: [socket] }, containerd: { sockets: [socket] } },
  })
  assert.deepEqual(problems, [])
  return new ContainerMetadata({ config, discoveryIntervalMs: 200, ...extra })
}

async function until<T>(what: string, f: () => T | null | undefined | Promise<T | null | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== null && v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('containerd: CRI pods and ctr containers', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ctd: Containerd
  let md: ContainerMetadata
  before(async () => {
    buildImages()
    ctd = new Containerd()
    await ctd.start()
    ctd.importImages('k8s.io')
    md = providerFor(ctd.socket)
    await md.start()
  })
  after(async () => {
    md?.close()
    await ctd?.destroy()
  })

  test('a pod made through the CRI gets its container, image, pod name, namespace and labels', async t => {
    const pod = await ctd.runPod('web-0', 'shop', { app: 'web', tier: 'front' }, ['sleep', '100000'])
    const pid = await ctd.criPid(pod.containerId)
    const cgroups = procCgroups(pid)
    const table = new ContainerTable()
    const id = table.idForCgroups(cgroups)
    assert.equal(id, pod.containerId.slice(0, 12), `cgroup id of ${cgroups.join(' | ')}`)
    const hint = cgroupsHint(cgroups)
    assert.equal(hint.fullId, pod.containerId)
    assert.deepEqual(hint.engines.slice(0, 2), ['cri', 'containerd'])

    // A provider that follows no events: the start events of the shared one (containerd's
    // and the CRI's) refresh its record at times of their own, so what is cached would race.
    const quiet = providerFor(ctd.socket, { watch: false, prefetch: false })
    await quiet.start()
    t.after(() => quiet.close())
    const out = await quiet.resolve(id, hint)
    assert.ok(out.info !== null, out.reason)
    assert.equal(out.cached, false)
    const c = out.info
    assert.equal(c.type, CT.CONTAINERD)
    assert.equal(c.engine, 'cri')
    assert.equal(c.runtimeName, 'containerd')
    assert.equal(c.id, id)
    assert.equal(c.fullId, pod.containerId)
    assert.equal(c.name, 'app')
    assert.equal(c.image, BUSYBOX_REF)
    assert.equal(c.imageRepo, 'docker.io/local/busybox')
    assert.equal(c.imageTag, 'test')
    assert.match(c.imageDigest, /^sha256:[0-9a-f]{64}$/)
    assert.match(c.imageId, /^[0-9a-f]{64}$/)
    assert.equal(c.podName, 'web-0')
    assert.equal(c.podNamespace, 'shop')
    assert.equal(c.podUid, pod.uid)
    assert.equal(c.label('io.kubernetes.pod.name'), 'web-0')
    assert.equal(c.label('io.kubernetes.pod.namespace'), 'shop')
    assert.equal(c.label('io.kubernetes.sandbox.id'), pod.podId)
    assert.equal(c.podSandboxId, pod.podId)
    assert.equal(c.podLabel('app'), 'web')
    assert.equal(c.podLabel('tier'), 'front')
    assert.deepEqual(c.podAnnotations.find(([k]) => k === 'saker.test/annotation'), ['saker.test/annotation', 'yes'])
    assert.match(c.ip, /^10\.\d+\.77\.\d+$/)
    assert.equal(c.podIp, c.ip)
    const cni = JSON.parse(c.podSandboxCniResult) as Record<string, { IPConfigs: { IP: string }[] }>
    assert.equal(cni.eth0?.IPConfigs[0]?.IP, c.ip)
    assert.equal(c.privileged, false)
    assert.equal(c.hostNetwork, false)
    assert.equal(c.hostPid, false)
    assert.equal(c.user, '0')
    assert.deepEqual(c.env, ['GREETING=hello'], 'the env the CRI config gave (config.envs, as the plugin reads it)')
    assert.deepEqual(c.mounts.find(mt => mt.dest === '/data'), { source: `${ctd.dir}/vol`, dest: '/data', mode: '', rdwr: false, propagation: 'private' })
    assert.ok(c.createdTime > 1_600_000_000 && c.startedTime >= c.createdTime)

    // The record goes into the state's container table as it is.
    table.put(c)
    assert.equal(table.get(id)?.podLabel('app'), 'web')
    // Written as the plugin's container JSON and read back by the capture reader's parser.
    const back = parseContainerJson(toContainerJson(c))!
    for (const k of ['id', 'fullId', 'type', 'name', 'image', 'imageRepo', 'imageTag', 'imageDigest', 'imageId', 'ip', 'podSandboxId', 'podSandboxCniResult'] as const) {
      assert.equal(back[k], c[k], k)
    }
    assert.deepEqual(back.labels, c.labels)
    assert.deepEqual(back.podSandboxLabels, c.podSandboxLabels)

    // The pause process's cgroup names the sandbox: a record marked as the pod sandbox.
    const sb = await quiet.lookup(pod.podId.slice(0, 12), 'cri')
    assert.ok(sb !== null)
    assert.equal(sb.isPodSandbox, true)
    assert.equal(sb.name, 'web-0')
    assert.equal(sb.podName, 'web-0')
    assert.equal(sb.podLabel('app'), 'web')
    assert.equal(sb.ip, c.ip)

    // Cached: the second lookup asks nobody.
    const queries = quiet.stats.runtimeQueries
    const again = await quiet.resolve(id, hint)
    assert.equal(again.cached, true)
    assert.equal(again.info, c)
    assert.equal(quiet.stats.runtimeQueries, queries)
    console.log(`# CRI lookup (ContainerStatus + PodSandboxStatus): ${out.ms} ms`)
  })

  test('concurrent lookups of one id share one query', async () => {
    const pod = await ctd.runPod('dedup-0', 'default', {}, ['sleep', '100000'])
    const id = pod.containerId.slice(0, 12)
    // A provider of its own that neither follows events nor lists, so it queries only when asked.
    const quiet = providerFor(ctd.socket, { watch: false, prefetch: false })
    await quiet.start()
    try {
      const all = await Promise.all(Array.from({ length: 20 }, () => quiet.lookup(id)))
      assert.equal(quiet.stats.runtimeQueries, 1)
      for (const r of all) assert.equal(r, all[0])
      assert.equal(all[0]?.podName, 'dedup-0')
      // Timing of a lookup that misses the cache, on a warm connection.
      const times: number[] = []
      for (let i = 0; i < 20; i++) {
        quiet.forget(id)
        times.push((await quiet.resolve(id)).ms)
      }
      times.sort((a, b) => a - b)
      console.log(`# CRI lookup, 20 uncached: median ${times[10]} ms, max ${times[19]} ms`)
    } finally {
      quiet.close()
    }
  })

  test('a ctr run container with Kubernetes labels is found through the native API, and dropped when removed', async () => {
    const cid = randomId()
    const uid = 'c0ffee00-0000-4000-8000-000000000001'
    ctd.ctr('-n', 'k8s.io', 'run', '-d',
      '--label', 'io.kubernetes.pod.name=job-0', '--label', 'io.kubernetes.pod.namespace=batch',
      '--label', `io.kubernetes.pod.uid=${uid}`, '--label', 'io.kubernetes.container.name=worker',
      '--label', `long=${'x'.repeat(101)}`,
      '--cgroup', `${ctd.cgroupRoot}/burstable/pod${uid}/${cid}`, BUSYBOX_REF, cid, 'sleep', '100000')
    const pid = Number(/\s(\d+)\s+RUNNING/.exec(ctd.ctr('-n', 'k8s.io', 'task', 'ls').split('\n').find(l => l.startsWith(cid)) ?? '')?.[1])
    assert.ok(pid > 0)
    const cgroups = procCgroups(pid)
    const m = cgroups.map(matchCgroup).find(x => x !== null)
    assert.equal(m?.id, cid.slice(0, 12))

    const changes: MetadataChange[] = []
    md.onChange(ch => changes.push(ch))
    // No hint and the short id only: the CRI does not know it; containers.v1 List by prefix does.
    md.forget(cid)
    const out = await md.resolve(cid.slice(0, 12))
    assert.ok(out.info !== null, out.reason)
    const c = out.info
    assert.ok(c instanceof ContainerRecord)
    assert.equal(c.engine, 'containerd')
    assert.equal(c.type, CT.CONTAINERD)
    assert.equal(c.fullId, cid)
    assert.equal(c.name, cid.slice(0, 12))
    assert.equal(c.runtimeNamespace, 'k8s.io')
    assert.equal(c.image, BUSYBOX_REF)
    assert.equal(c.imageRepo, 'docker.io/local/busybox')
    assert.equal(c.imageTag, 'test')
    assert.match(c.imageDigest, /^sha256:[0-9a-f]{64}$/)
    assert.equal(c.podName, 'job-0')
    assert.equal(c.podNamespace, 'batch')
    assert.equal(c.podUid, uid)
    assert.equal(c.label('io.kubernetes.container.name'), 'worker')
    assert.equal(c.label('long'), undefined, 'a label value over label_max_len (100) is dropped')
    assert.equal(c.privileged, false)
    assert.equal(c.hostNetwork, false)
    assert.equal(c.hostPid, false)
    assert.ok(c.mounts.some(mt => mt.dest === '/proc' && mt.source === 'proc'))
    const times: number[] = []
    for (let i = 0; i < 20; i++) {
      md.forget(cid)
      times.push((await md.resolve(cid.slice(0, 12))).ms)
    }
    times.sort((x, y) => x - y)
    console.log(`# containerd native lookup by 12-character prefix (CRI asked too, says no), 20 uncached: median ${times[10]} ms, max ${times[19]} ms`)

    // Removal: containerd's /containers/delete event drops it from the cache.
    ctd.ctr('-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', cid)
    await until('task stopped', () => (ctd.ctr('-n', 'k8s.io', 'task', 'ls').includes(`${cid}`) && /RUNNING/.test(ctd.ctr('-n', 'k8s.io', 'task', 'ls').split('\n').find(l => l.startsWith(cid)) ?? '') ? null : true))
    ctd.ctr('-n', 'k8s.io', 'task', 'rm', cid)
    ctd.ctr('-n', 'k8s.io', 'containers', 'rm', cid)
    await until('removal event', () => (md.peek(cid) === undefined ? true : null), 5000)
    assert.ok(changes.some(ch => ch.kind === 'removed' && ch.id === cid.slice(0, 12)))
  })

  test('an id no runtime knows comes back null, with the reasons, within the bound', async () => {
    const id = randomId().slice(0, 12)
    const out = await md.resolve(id)
    assert.equal(out.info, null)
    assert.match(out.reason, /CRI: no container or sandbox/)
    assert.match(out.reason, /containerd: no container/)
    assert.ok(out.ms < md.lookupTimeoutMs)
    console.log(`# miss (asked again for 150 ms, as the plugin does): ${out.ms} ms`)
    const again = await md.resolve(id)
    assert.equal(again.info, null)
    assert.equal(again.cached, true, 'a miss is remembered')
  })
})

describe('containerd discovery: late start and restart', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ctd: Containerd
  let md: ContainerMetadata
  before(() => {
    buildImages()
    ctd = new Containerd()
  })
  after(async () => {
    md?.close()
    await ctd?.destroy()
    removeImages()
  })

  test('a provider started before containerd fills metadata once containerd comes up', async () => {
    md = providerFor(ctd.socket)
    const added: string[] = []
    md.onChange(ch => {
      if (ch.kind === 'added') added.push(ch.info.id)
    })
    await md.start()
    assert.deepEqual(md.status().map(s => s.state), ['absent', 'absent'])
    const early = await md.resolve(randomId().slice(0, 12), 'cri')
    assert.equal(early.info, null)
    assert.match(early.reason, /no container runtime is reachable/)
    assert.ok(early.ms < 100, `a lookup with no runtime up answers at once (${early.ms} ms)`)

    await ctd.start()
    ctd.importImages('k8s.io')
    await until('both endpoints up', () => (md.status().every(s => s.state === 'up') ? true : null))
    const pod = await ctd.runPod('late-0', 'default', { app: 'late' }, ['sleep', '100000'])
    const id = pod.containerId.slice(0, 12)
    const hint = cgroupsHint(procCgroups(await ctd.criPid(pod.containerId)))
    const c = await until('metadata of the pod started after the provider', () => md.lookup(id, hint))
    assert.equal(c.podName, 'late-0')
    assert.equal(c.podLabel('app'), 'late')
  })

  test('a restarted containerd is found again, and its events are followed again', async () => {
    await until('watching', () => (md.status().find(s => s.engine === 'containerd')?.watching === true ? true : null))
    await ctd.stop()
    await until('containerd seen down', () => (md.status().every(s => s.state !== 'up') ? true : null), 5000)
    await ctd.start()
    await until('containerd seen up again', () => (md.status().every(s => s.state === 'up') ? true : null), 10_000)
    await until('events followed again', () => (md.status().find(s => s.engine === 'containerd')?.watching === true ? true : null))

    const pod = await ctd.runPod('after-restart-0', 'default', {}, ['sleep', '100000'])
    const c = await md.lookup(pod.containerId.slice(0, 12))
    assert.equal(c?.podName, 'after-restart-0')

    // A removal after the restart reaches the cache through the new event stream.
    const cid = randomId()
    ctd.importImages('default')
    ctd.ctr('-n', 'default', 'containers', 'create', BUSYBOX_REF, cid)
    const rec = await until('native container', () => md.lookup(cid.slice(0, 12)))
    assert.equal(rec.runtimeNamespace, 'default')
    ctd.ctr('-n', 'default', 'containers', 'rm', cid)
    await until('removal seen', () => (md.peek(cid) === undefined ? true : null), 5000)
  })
})
