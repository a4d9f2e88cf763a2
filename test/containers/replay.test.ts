// Replay of Falco's container captures: the container meta-events they carry fill the
// container fields (what the capture knows, and nothing looked up: a replay asks no runtime).

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ROOT, SAKER_BIN, SHARED } from '../e2e/helpers.js'

const TRACES = join(SHARED, 'falco', 'traces')
const skip = existsSync(join(TRACES, 'privileged.scap')) ? false : `Falco's traces are not at ${TRACES}`

describe("container fields in a replay of Falco's captures", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-ctr-replay-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const FIELDS = ['container.id', 'container.name', 'container.image', 'container.image.repository', 'container.image.tag', 'container.type', 'container.privileged']
  const rules = join(dir, 'rules.yaml')
  writeFileSync(rules, `- rule: In a container
  desc: every event of a container thread, and the container events
  condition: container.id != host
  output: in a container (${FIELDS.map(f => `%${f}`).join(' ')})
  priority: INFO
`)
  function replay(capture: string): Record<string, unknown>[] {
    const r = spawnSync(process.execPath, [SAKER_BIN, '-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${join(TRACES, capture)}`,
      '-o', 'json_output=true', '-o', 'stdout_output.enabled=true', '-r', rules], { cwd: ROOT, encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    return r.stdout.split('\n').filter(l => l.startsWith('{')).map(l => (JSON.parse(l) as { output_fields: Record<string, unknown> }).output_fields)
  }

  test('run_as_user_0_container.scap: a docker container, name and image from its meta-events', () => {
    const alerts = replay('run_as_user_0_container.scap')
    assert.ok(alerts.length > 100, `${alerts.length} alerts`)
    // the capture's first meta-event is the record libs made before its lookup answered
    assert.deepEqual(FIELDS.map(k => alerts[0]![k]), ['697956520d89', 'incomplete', 'incomplete', 'incomplete', 'incomplete', 'docker', false])
    const seen = new Set(alerts.slice(1).map(f => JSON.stringify(FIELDS.map(k => f[k]))))
    assert.deepEqual([...seen].map(s => JSON.parse(s) as unknown[]), [['697956520d89', 'hopeful_taussig', 'nginx', 'nginx', 'latest', 'docker', false]])
  })

  test("append_output's suggested_output appends the container plugin's suggested fields; -pc adds nothing more (Falco 0.44)", () => {
    // as Falco 0.44's default falco.yaml has it
    const config = join(dir, 'suggested.yaml')
    writeFileSync(config, 'log_stderr: true\nstdout_output:\n  enabled: true\nappend_output:\n  - suggested_output: true\n')
    for (const extra of [[], ['-pc'], ['-pk']]) {
      const r = spawnSync(process.execPath, [SAKER_BIN, '-c', config, '-o', 'engine.kind=replay',
        '-o', `engine.replay.capture_file=${join(TRACES, 'privileged.scap')}`, '-r', rules, ...extra], { cwd: ROOT, encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
      const line = r.stdout.split('\n').find(l => l.includes('in a container'))
      assert.ok(line?.endsWith(') container_id=9dbcbd0c435f container_name=epic_cray container_image_repository=nginx container_image_tag=latest k8s_pod_name=<NA> k8s_ns_name=<NA>'), line)
      if (extra.length > 0) assert.match(r.stderr, /The -p\/--print option is deprecated/)
    }
  })

  test('privileged.scap: the container event of a privileged container', () => {
    const alerts = replay('privileged.scap')
    assert.equal(alerts.length, 1)
    assert.deepEqual(FIELDS.map(k => alerts[0]![k]), ['9dbcbd0c435f', 'epic_cray', 'nginx:latest', 'nginx', 'latest', 'docker', true])
  })
})
