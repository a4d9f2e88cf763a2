// Saker's state from live socket events: `saker` runs with one rule on sendmsg and recvmsg
// while a program sends a UDP datagram between two sockets, and each alert must carry the
// fd's tuple that libsinsp would give it (fd.name), learned from the event itself since
// neither socket is connected.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Saker, skipReason, type Alert } from '../e2e/helpers.js'
import { prog, run } from './helpers.js'

const RULE = `
- rule: UDP message
  desc: a sendmsg or recvmsg of the test program
  condition: evt.type in (sendmsg, recvmsg) and proc.name = udp_msg
  output: udp message (type=%evt.type fd=%fd.num name=%fd.name proto=%fd.l4proto)
  priority: NOTICE
`

describe('saker live keeps the fd tuple of a UDP socket', { skip: skipReason({ falcoRules: false }) ?? false }, () => {
  let saker: Saker
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'saker-live-state-'))
    writeFileSync(join(dir, 'udp.yaml'), RULE)
    saker = new Saker([], ['-r', join(dir, 'udp.yaml')])
    await saker.ready()
  })
  after(async () => {
    await saker?.stop('SIGINT')
    rmSync(dir, { recursive: true, force: true })
  })

  test('every syscall of the state set it selects has its filler', () => {
    assert.ok(!saker.stderr.includes('the probe sends nothing yet'), saker.stderr)
  })

  test('after sendmsg and recvmsg, fd.name is the datagram\'s tuple', async () => {
    const { out } = run(prog('udp_msg'), [])
    const printed = new Map(out.split('\n').map(l => {
      const [name, ...values] = l.split(' ')
      return [name!, values.map(Number)]
    }))
    const [, txFd] = printed.get('sendmsg')!
    const [, rxFd] = printed.get('recvmsg')!
    const [txPort, rxPort] = printed.get('ports')!
    const f = (a: Alert, k: string): unknown => a.output_fields[k]
    // the same name on both ends, as libsinsp gives it: the sender's unset local address
    // (0.0.0.0 in its event) is patched from the interface that reaches the peer
    const name = `127.0.0.1:${txPort}->127.0.0.1:${rxPort}`
    const sent = await saker.alert('UDP message', a => f(a, 'evt.type') === 'sendmsg')
    assert.deepEqual([f(sent, 'fd.num'), f(sent, 'fd.name'), f(sent, 'fd.l4proto')], [txFd, name, 'udp'])
    const got = await saker.alert('UDP message', a => f(a, 'evt.type') === 'recvmsg')
    assert.deepEqual([f(got, 'fd.num'), f(got, 'fd.name'), f(got, 'fd.l4proto')], [rxFd, name, 'udp'])
  })
})
