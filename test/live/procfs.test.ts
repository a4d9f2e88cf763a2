// The fd table /proc gives at live start-up: a real process holds pipes, a socket and a file,
// some close-on-exec and some not, and each entry must say which.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { FD_TYPE } from '../../src/capture/types.js'
import { readContext, readFds } from '../../src/sources/live/procfs.js'
import { O } from '../../src/state/constants.js'

// Python makes its fds non-inheritable (O_CLOEXEC) unless told otherwise (PEP 446).
const HOLDER = `
import os, socket, sys, time
keep_r, keep_w = os.pipe()
os.set_inheritable(keep_r, True)
drop_r, drop_w = os.pipe()
keep_s, drop_s = socket.socketpair()
keep_s.set_inheritable(True)
keep_f = os.open('/etc/hostname', os.O_RDONLY)
os.set_inheritable(keep_f, True)
drop_f = os.open('/etc/hostname', os.O_RDONLY | os.O_CLOEXEC)
print(keep_r, drop_r, keep_s.fileno(), drop_s.fileno(), keep_f, drop_f, flush=True)
sys.stdin.read()
`

test('fds read from /proc carry O_CLOEXEC whatever their type, and files their other open flags', async () => {
  const child = spawn('python3', ['-c', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    // the whole line: with PYTHONUNBUFFERED set, print() writes each number on its own, and
    // one 'data' event can hold only the first (read as a missing socket until session 9)
    let line = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { line += d })
    while (!line.includes('\n')) await once(child.stdout, 'data')
    const [keepPipe, dropPipe, keepSock, dropSock, keepFile, dropFile] = line.trim().split(' ').map(Number)
    const fds = new Map(readFds(readContext(), `/proc/${child.pid}`).map(f => [f.fd, f]))
    const cloexec = (fd: number | undefined): boolean => (fds.get(fd!)!.openFlags & O.CLOEXEC) !== 0
    assert.equal(fds.get(keepPipe!)?.type, FD_TYPE.FIFO)
    assert.equal(fds.get(keepSock!)?.type, FD_TYPE.UNIX_SOCK)
    assert.equal(fds.get(keepFile!)?.type, FD_TYPE.FILE_V2)
    assert.deepEqual([keepPipe, keepSock, keepFile].map(cloexec), [false, false, false])
    assert.deepEqual([dropPipe, dropSock, dropFile].map(cloexec), [true, true, true])
    assert.equal(fds.get(keepPipe!)!.openFlags, 0, 'a pipe keeps no other flag')
    assert.equal(fds.get(keepFile!)!.openFlags & (O.RDONLY | O.WRONLY), O.RDONLY, 'a file keeps its access mode')
  } finally {
    child.kill()
  }
})
