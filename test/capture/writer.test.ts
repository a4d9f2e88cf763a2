// The capture writer: what it writes reads back whole with Saker's reader, and opens in
// Debian's sysdig (libscap of 2022) with the same events and the process, fd and user
// details that its fields print.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openCapture } from '../../src/capture/reader.js'
import { FD_TYPE, L4PROTO, type CaptureSection, type FdInfo, type ThreadInfo } from '../../src/capture/types.js'
import { CaptureWriter } from '../../src/capture/writer.js'
import { newThread } from '../../src/capture/metadata.js'
import { PPME } from '../../src/events/table.js'
import { P, makeEvent } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'saker-writer-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

function fd(n: number, type: number, extra: Partial<FdInfo> = {}): FdInfo {
  return {
    fd: n, ino: 1000n + BigInt(n), type, name: '', openFlags: 0, dev: 0, mountId: 0, l4proto: 0,
    sip: '', sport: 0, dip: '', dport: 0, ip: '', port: 0, source: 0n, dest: 0n, ...extra,
  }
}

function thread(tid: number, pid: number, comm: string, extra: Partial<ThreadInfo> = {}): ThreadInfo {
  return { ...newThread(), tid, pid, ptid: 1, sid: pid, vpgid: pid, pgid: pid, comm, exe: comm, exepath: `/usr/bin/${comm}`,
    vtid: tid, vpid: pid, fdlimit: 1024, uid: 1000, gid: 1000, loginuid: 1000, cwd: '/home/alice/', ...extra }
}

const T1 = 4242
const fds: FdInfo[] = [
  fd(0, FD_TYPE.FILE_V2, { name: '/dev/pts/0', openFlags: 3, dev: 0x8800 }),
  fd(3, FD_TYPE.IPV4_SOCK, { sip: '10.0.0.1', sport: 40000, dip: '93.184.216.34', dport: 443, l4proto: L4PROTO.TCP }),
  fd(4, FD_TYPE.IPV6_SERVSOCK, { ip: '::1', port: 8080, l4proto: L4PROTO.TCP }),
  fd(5, FD_TYPE.UNIX_SOCK, { source: 0xffff0001n, dest: 0xffff0002n, name: '/run/app.sock' }),
  fd(6, FD_TYPE.FIFO, { name: 'pipe:[77]' }),
  fd(7, FD_TYPE.DIRECTORY, { name: '/home/alice' }),
  fd(8, FD_TYPE.MEMFD, { name: '/memfd:x (deleted)' }),
]
const section: Pick<CaptureSection, 'machine' | 'interfaces' | 'users' | 'groups' | 'threads' | 'fds'> = {
  machine: { numCpus: 4, memorySizeBytes: 8n << 30n, maxPid: 4194304n, hostname: 'writer-test', bootTsEpoch: 1_700_000_000_000_000_000n, flags: 0n },
  interfaces: [
    { family: 'ipv4', name: 'lo', addr: '127.0.0.1', netmask: '255.0.0.0', bcast: '127.255.255.255', linkspeed: 0n },
    { family: 'ipv6', name: 'lo', addr: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', bcast: '::', linkspeed: 0n },
  ],
  users: [{ uid: 0, gid: 0, name: 'root', homedir: '/root', shell: '/bin/bash' }, { uid: 1000, gid: 1000, name: 'alice', homedir: '/home/alice', shell: '/bin/zsh' }],
  groups: [{ gid: 0, name: 'root' }, { gid: 1000, name: 'alice' }],
  threads: [
    thread(1, 1, 'init', { ptid: 0, uid: 0, gid: 0, args: ['splash'], exepath: '/sbin/init' }),
    thread(T1, T1, 'curl', { args: ['-s', 'https://example.com/'], env: ['HOME=/home/alice', 'LANG=C'], cgroups: ['cpu=/user.slice', 'memory=/user.slice'],
      capEffective: 0x1234n, exeIno: 99n, exeWritable: true, tty: 34816, fds }),
    thread(T1 + 1, T1, 'curl', { flags: 0x2001 }),
  ],
  fds: new Map([[T1, fds]]),
}

const BASE = 1_700_000_000_000_000_000n
function events(): Uint8Array[] {
  const evs: Uint8Array[] = []
  for (let i = 0; i < 50; i++) {
    const t = BASE + BigInt(i) * 1000n
    evs.push(makeEvent(PPME.SYSCALL_OPENAT_2_X, [P.u64(9), P.u64(0xffffffffffffff9cn), P.str(`/etc/file-${i}`), P.u32(1), P.u32(0), P.u32(0x8800), P.u64(500 + i)], { ts: t, tid: T1 }))
    evs.push(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(9)], { ts: t + 500n, tid: T1 }))
  }
  return evs
}

function write(path: string, opts: { compress?: boolean; large?: boolean } = {}): number {
  const w = CaptureWriter.open(path, { compress: opts.compress ?? false, chunkBytes: 4096 })
  w.writeHeader(section)
  const evs = events()
  if (opts.large) {
    // a write exit event whose block passes 64 KiB: only a LARGE block may hold it
    evs.push(makeEvent(PPME.SYSCALL_WRITE_X, [P.u64(65000), new Uint8Array(65000).fill(0x41), P.u64(1), P.u32(65000)], { ts: BASE + 999_999n, tid: T1 }))
  }
  for (const e of evs) w.writeEvent(e, 0, e.length)
  w.close()
  return evs.length
}

describe('capture writer', () => {
  test('a written capture reads back with its metadata and every event', () => {
    const path = join(dir, 'plain.scap')
    const n = write(path, { large: true })
    const r = openCapture(path)
    assert.equal(r.error, null)
    assert.deepEqual(r.header && { major: r.header.major, minor: r.header.minor }, { major: 1, minor: 2 })
    assert.deepEqual(r.machine, section.machine)
    assert.deepEqual(r.users, section.users)
    assert.deepEqual(r.groups, section.groups)
    assert.deepEqual(r.interfaces.map(i => [i.family, i.name, i.addr]), [['ipv4', 'lo', '127.0.0.1'], ['ipv6', 'lo', '::1']])
    assert.equal(r.threads.length, 3)
    const curl = r.threads.find(t => t.tid === T1)!
    const want = section.threads[1]!
    for (const k of ['pid', 'ptid', 'sid', 'comm', 'exe', 'exepath', 'args', 'env', 'cwd', 'uid', 'gid', 'loginuid', 'cgroups',
      'capEffective', 'exeIno', 'exeWritable', 'tty', 'vtid', 'vpid', 'pgid'] as const) {
      assert.deepEqual(curl[k], want[k], k)
    }
    assert.equal(r.threads.find(t => t.tid === T1 + 1)!.flags, 0x2001)
    const got = r.fds.get(T1)!
    assert.equal(got.length, fds.length)
    assert.deepEqual(got[1], { ...fds[1], name: '' })
    assert.deepEqual(got[2], { ...fds[2], name: '' })
    assert.deepEqual(got[3], fds[3])
    assert.deepEqual(got[0], fds[0])
    // memfd is written as "unsupported" for older readers, its name kept
    assert.deepEqual([got[6]!.type, got[6]!.name], [FD_TYPE.UNSUPPORTED, '/memfd:x (deleted)'])
    const seen: string[] = []
    let count = 0
    r.forEachEvent(v => {
      count++
      if (v.type === PPME.SYSCALL_OPENAT_2_X && seen.length < 2) seen.push(`${v.tid} ${v.ts} ${v.str(2)}`)
      if (v.type === PPME.SYSCALL_WRITE_X) assert.equal(v.paramLen(1), 65000)
    }, { raw: true })
    assert.equal(count, n)
    assert.deepEqual(seen, [`${T1} ${BASE} /etc/file-0`, `${T1} ${BASE + 1000n} /etc/file-1`])
  })

  test('a compressed capture (one gzip member per flush) reads back the same', () => {
    const path = join(dir, 'gz.scap')
    const n = write(path, { compress: true })
    const bytes = readFileSync(path)
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b])
    const r = openCapture(path)
    assert.equal(r.threads.length, 3)
    assert.equal(r.forEachEvent(() => {}, { raw: true }), n)
    assert.equal(r.error, null)
  })

  const sysdig = spawnSync('sysdig', ['--version'], { encoding: 'utf8' })
  test('sysdig reads it: same events, process, fd and user fields', { skip: sysdig.status === 0 ? false : 'sysdig is not installed' }, () => {
    for (const compress of [false, true]) {
      const path = join(dir, `sysdig-${compress}.scap`)
      const n = write(path, { compress })
      const r = spawnSync('sysdig', ['-r', path, '-p', '%evt.num %evt.type %proc.name %proc.cmdline %fd.name %user.name %proc.cwd'], { encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
      const lines = r.stdout.trim().split('\n')
      assert.equal(lines.length, n, r.stderr)
      assert.equal(lines[0], '1 openat curl curl -s https://example.com/ /etc/file-0 alice /home/alice/')
      assert.equal(lines[1], '2 close curl curl -s https://example.com/ /etc/file-0 alice /home/alice/')
    }
  })
})
