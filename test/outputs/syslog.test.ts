// The syslog channel goes through util-linux's logger; a Python listener stands in for the
// syslog daemon's /dev/log (Node cannot bind a unix datagram socket).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { AlertRule } from '../../src/outputs/alert.js'
import { OutputMessage } from '../../src/outputs/channels/channel.js'
import { SyslogChannel, syslogPri } from '../../src/outputs/channels/syslog.js'
import { CAT_WRITE_TIMES, alertWith, catAlert, context, renderWith, tempDir } from './helpers.js'

const ISO = renderWith({ timeFormatIso8601: true })
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const missing = !have('logger') ? 'logger (util-linux) is not installed' : !have('python3') ? 'python3 is not installed' : false

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
s.settimeout(5)
want = int(sys.argv[2])
for _ in range(want):
    d = s.recv(262144)
    sys.stdout.write(d.decode("utf-8", "replace").replace("\\n", "\\\\n") + "\\n")
    sys.stdout.flush()
`

/** Listens on a unix datagram socket until `count` datagrams arrived; resolves with them. */
async function listen(path: string, count: number): Promise<{ ready: Promise<void>; done: Promise<string[]> }> {
  const py = spawn('python3', ['-c', LISTENER, path, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  let readyResolve!: () => void
  const ready = new Promise<void>((r) => (readyResolve = r))
  py.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    if (out.startsWith('ready\n')) readyResolve()
  })
  const done = new Promise<string[]>((resolve) =>
    py.on('close', () => resolve(out.split('\n').slice(1).filter((l) => l !== ''))),
  )
  return { ready, done }
}

test('Falco priorities map to syslog PRI with facility user', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(syslogPri), [8, 9, 10, 11, 12, 13, 14, 15])
})

test('the syslog channel sends one datagram per alert with the priority, tag and line', { skip: missing }, async () => {
  const t = tempDir()
  try {
    const sock = t.path('log.sock')
    const l = await listen(sock, 3)
    await l.ready
    assert.ok(existsSync(sock))
    const ch = new SyslogChannel(context({ render: ISO }), { socket: sock, tag: 'saker' })
    const crit = new AlertRule('crit rule', 2, 'syscall')
    const long = 'y'.repeat(5000)
    await ch.write([
      new OutputMessage(catAlert(CAT_WRITE_TIMES[0]!), ISO, false),
      new OutputMessage(alertWith('forged\n<8>second', null, CAT_WRITE_TIMES[1], crit), ISO, false),
      new OutputMessage(alertWith(long, null, CAT_WRITE_TIMES[2]), ISO, true),
    ])
    await ch.close()
    const got = await l.done
    assert.equal(got.length, 3)
    assert.match(got[0]!, /^<12>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d saker: 2016-08-04T16:17:57\.881781397\+0000: Warning An open was seen \(command=cat \/dev\/null\)$/)
    // the newline was sanitized away: one message, not a forged second one at <8>
    assert.match(got[1]!, /^<10>.* saker: 2016-08-04T16:17:57\.881785348\+0000: Critical forged\uFFFD<8>second$/)
    // a long JSON alert is not cut at logger's default 1 KiB
    const json = got[2]!.slice(got[2]!.indexOf('saker: ') + 7)
    assert.equal(JSON.parse(json.replace(/\d{16,}/g, '0')).output.length, long.length + 44)
  } finally {
    t.cleanup()
  }
})

test('without a syslog socket the alerts go nowhere, silently, as with glibc', { skip: missing }, async () => {
  const t = tempDir()
  try {
    const ch = new SyslogChannel(context(), { socket: t.path('absent.sock') })
    await ch.write([new OutputMessage(catAlert(CAT_WRITE_TIMES[0]!), ISO, false)])
    await ch.close()
  } finally {
    t.cleanup()
  }
})

test('a missing logger command is reported once, then the channel stays quiet', async () => {
  const ch = new SyslogChannel(context(), { logger: '/nonexistent/logger' })
  const m = new OutputMessage(catAlert(CAT_WRITE_TIMES[0]!), ISO, false)
  await assert.rejects(ch.write([m]), /cannot run '\/nonexistent\/logger'/)
  await ch.write([m])
  await ch.close()
})
