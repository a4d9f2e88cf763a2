// dist/saker.cjs and its code cache (scripts/bundle.mjs, made by `make build`): what bin/saker
// runs. A cache that this node rejects would make every start-up slow without a sign.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const bundle = join(root, 'dist', 'saker.cjs')
const main = join(root, 'dist', 'src', 'cli', 'main.js')
const fresh = existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(main).mtimeMs
const skip = fresh ? false : 'dist/saker.cjs is missing or older than dist/src (make build makes it)'

test('this node accepts the code cache of the bundle', { skip }, () => {
  const script = new vm.Script(readFileSync(bundle, 'utf8'), { filename: bundle, cachedData: readFileSync(bundle + '.cache') })
  assert.equal(script.cachedDataRejected, false)
})

test('bin/saker, running the bundle, prints what dist/src prints', { skip }, () => {
  const args = ['-c', '/dev/null', '-r', 'rules/saker_rules.yaml', '-o', 'json_output=true', '-o', 'engine.kind=replay',
    '-o', 'engine.replay.capture_file=rules/tests/captures/account-database.scap', '-o', 'stdout_output.enabled=true']
  const run = (entry: string): { status: number | null; stdout: string } => {
    const r = spawnSync(process.execPath, [entry, ...args], { cwd: root, encoding: 'utf8' })
    return { status: r.status, stdout: r.stdout }
  }
  const fromBundle = run(join(root, 'bin', 'saker'))
  assert.match(fromBundle.stdout, /"rule":/)
  assert.deepEqual(fromBundle, run(main))
})
