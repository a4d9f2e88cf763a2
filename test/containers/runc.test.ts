// A bare runc container in a kubepods-style cgroup: the cgroup names the container, but no
// runtime knows it, so there is an id and nothing more (as with Falco), and the lookup says
// why, within its time bound.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { cgroupsHint } from '../../src/containers/cgroup-hint.js'
import { containerEngineConfig } from '../../src/containers/config.js'
import { ContainerMetadata } from '../../src/containers/provider.js'
import { ContainerTable, matchCgroup } from '../../src/state/containers.js'
import { buildImages, killInCgroup, procCgroups, randomId, removeCgroups, removeImages, sh, skipReason, sleep } from './helpers.js'

const skip = skipReason('runc')

describe('runc container in a kubepods cgroup', { skip: skip ?? false, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-runc-'))
  const root = join(dir, 'state')
  const cid = randomId()
  const cgroupRoot = `/kubepods-saker-${cid.slice(0, 6)}`
  const cgroupsPath = `${cgroupRoot}/besteffort/pod${randomUUID()}/${cid}`
  let pid = 0

  before(() => {
    const bundle = join(dir, 'bundle')
    sh('mkdir', ['-p', bundle])
    sh('runc', ['spec', '--bundle', bundle])
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
      root: unknown; hostname: string; process: { terminal: boolean; args: string[] }; linux: { cgroupsPath: string }
    }
    spec.root = { path: buildImages().rootfs, readonly: true }
    spec.process.terminal = false
    spec.process.args = ['sleep', '100000']
    spec.hostname = 'runc-test'
    spec.linux.cgroupsPath = cgroupsPath
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec))
    // The detached container inherits runc's stdio: no pipes, or waiting for them never ends.
    const log = join(dir, 'runc.log')
    const r = spawnSync('runc', ['--root', root, '--log', log, 'run', '-d', '--bundle', bundle, cid], { stdio: 'ignore', timeout: 30_000 })
    if (r.status !== 0) throw new Error(`runc run exited with ${r.status}: ${readFileSync(log, 'utf8').slice(-1000)}`)
    pid = (JSON.parse(sh('runc', ['--root', root, 'state', cid])) as { pid: number }).pid
  })
  after(async () => {
    spawnSync('runc', ['--root', root, 'delete', '-f', cid], { stdio: 'ignore' })
    killInCgroup(cgroupRoot)
    for (let i = 0; i < 20; i++) {
      removeCgroups(cgroupRoot)
      if (spawnSync('test', ['-d', `/sys/fs/cgroup/memory${cgroupRoot}`]).status !== 0) break
      await sleep(250)
    }
    rmSync(dir, { recursive: true, force: true })
    removeImages()
  })

  test('the cgroup gives the container id; no runtime has metadata, and the lookup says so in bounded time', async () => {
    const cgroups = procCgroups(pid)
    assert.ok(cgroups.some(c => c.endsWith(cgroupsPath)), cgroups.join(' | '))
    const m = cgroups.map(matchCgroup).find(x => x !== null)
    assert.equal(m?.id, cid.slice(0, 12))
    assert.equal(m?.info, null, 'a docker-style path: metadata would have to come from a runtime')
    const table = new ContainerTable()
    assert.equal(table.idForCgroups(cgroups), cid.slice(0, 12))
    const hint = cgroupsHint(cgroups)
    assert.equal(hint.fullId, cid)
    assert.deepEqual(hint.engines, ['cri', 'containerd', 'docker'])

    // Every engine pointed at sockets that are not there (this machine's own runtimes, if
    // any, would not know a runc container either).
    const none = join(dir, 'none')
    const { config } = containerEngineConfig({
      engines: Object.fromEntries(['docker', 'podman', 'cri', 'containerd'].map(k => [k, { sockets: [`${none}/${k}.sock`] }])),
    })
    const md = new ContainerMetadata({ config })
    try {
      await md.start()
      const out = await md.resolve(m!.id, hint)
      assert.equal(out.info, null)
      assert.match(out.reason, /no container runtime is reachable/)
      assert.match(out.reason, /cri .*none\/cri\.sock: no socket \(ENOENT\)/)
      assert.ok(out.ms < 100, `${out.ms} ms`)
      const again = await md.resolve(m!.id, hint)
      assert.equal(again.cached, true)
      assert.equal(table.get(m!.id), undefined, 'no record until a runtime knows it')
    } finally {
      md.close()
    }
  })
})
