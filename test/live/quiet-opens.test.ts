// The probe's quiet opens (driver/bpf/saker.bpf.c quiet_open): once user space has named a
// file's flags and path, its openat events and the closes of their fds are not sent, while
// other files, directories under a quiet key, and long paths still are; and an event that
// names a quiet fd is preceded by the openat that was held back; a process's quiet fds are
// forgotten when it exits.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PPME } from '../../src/events/table.js'
import { QUIET_FLAGS_NOT_IN_KEY } from '../../src/sources/live/layout.js'
import { openLive } from '../../src/sources/live/live.js'
import { selectNames } from '../../src/sources/live/select.js'
import { Collector, prog, run, skipReason, type Captured } from './helpers.js'

const skip = skipReason() ?? false

describe('quiet opens', { skip }, () => {
  test('a quiet file\'s openat and close are held back; other files and directories are sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saker-quiet-'))
    const quiet = join(dir, 'quiet')
    const loud = join(dir, 'loud')
    const sub = join(dir, 'sub')
    writeFileSync(quiet, 'q')
    writeFileSync(loud, 'l')
    mkdirSync(sub)
    const live = openLive({ selection: selectNames(['openat', 'close']), quietOpens: true })
    try {
      const events = new Collector(live)
      const openOf = (pid: number, path: string) =>
        events.events.find(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === path)
      /** The fds closed after the process's last openat (the program's own closes, not its loader's). */
      const closesAfterOpens = (pid: number) => {
        const own = events.events.filter(c => c.tid === pid)
        const last = own.map(c => c.type).lastIndexOf(PPME.SYSCALL_OPENAT_2_X)
        return own.slice(last + 1).filter(c => c.type === PPME.SYSCALL_CLOSE_X).map(c => Collector.view(c).i64(1))
      }
      const files = [quiet, sub, loud]

      const first = run(prog('open_files'), files)
      await events.find(c => c.tid === first.pid && c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === loud)
      const flagsOf = (path: string) => Collector.view(openOf(first.pid, path)!).u32(3) & ~QUIET_FLAGS_NOT_IN_KEY
      assert.equal(live.quietOpen(flagsOf(quiet), 'open_files', Buffer.from(quiet)), true)
      assert.equal(live.quietOpen(flagsOf(sub), 'open_files', Buffer.from(sub)), true)
      assert.equal(live.quietOpen(flagsOf(loud), 'other_program', Buffer.from(loud)), true)
      assert.equal(live.quietOpen(flagsOf(quiet), 'open_files', Buffer.from('/' + 'x'.repeat(130))), false, 'too long to be a key')
      const before = live.stats().quiet

      const second = run(prog('open_files'), files)
      const [qfd, dfd, lfd] = second.out.split(' ').map(Number)
      await events.find(c => c.tid === second.pid && c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === lfd)
      assert.equal(openOf(second.pid, quiet), undefined, 'the quiet file\'s openat was held back')
      assert.ok(openOf(second.pid, sub), 'a directory is always sent')
      assert.ok(openOf(second.pid, loud), 'a file quiet for another comm is sent')
      assert.deepEqual(closesAfterOpens(first.pid), [qfd, dfd, lfd])
      assert.deepEqual(closesAfterOpens(second.pid), [dfd, lfd], 'the quiet fd\'s close was held back')
      assert.equal(live.stats().quiet - before, 2, 'one openat and one close held back')
      assert.ok(openOf(first.pid, quiet), 'before the key was given, the file was sent')
    } finally {
      live.stop()
    }
  })

  test('an event naming a quiet fd comes after its openat; a child\'s close of an inherited one is held back; a renamed thread is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saker-quiet-'))
    const file = join(dir, 'f')
    writeFileSync(file, 'f')
    const live = openLive({ selection: selectNames(['openat', 'close', 'fchmod', 'clone', 'clone3', 'fork']), quietOpens: true })
    try {
      const events = new Collector(live)
      const own = (pid: number) => events.events.filter(c => c.tid === pid)
      const first = run(prog('use_fd'), [file, 'keep'])
      await events.find(c => c.tid === first.pid && c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === Number(first.out))
      const open = own(first.pid).find(c => c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === file)!
      live.quietOpen(Collector.view(open).u32(3) & ~QUIET_FLAGS_NOT_IN_KEY, 'use_fd', Buffer.from(file))
      const fileOpens = (pid: number) => own(pid).filter(c => c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === file)

      // a thread renamed since its exec (here to the same name) is not known by its comm
      const renamed = run(prog('use_fd'), [file, 'rename'])
      await events.find(c => c.tid === renamed.pid && c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === Number(renamed.out))
      assert.equal(fileOpens(renamed.pid).length, 1, 'a renamed thread\'s open is sent')

      const used = run(prog('use_fd'), [file, 'fchmod'])
      const fd = Number(used.out)
      await events.find(c => c.tid === used.pid && c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === fd)
      const types = own(used.pid).map(c => c.type)
      const sent = own(used.pid).findIndex(c => c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === file)
      assert.ok(sent >= 0, 'the held-back openat was sent when fchmod named the fd')
      const v = Collector.view(own(used.pid)[sent]!)
      assert.equal(v.i64(0), fd)
      assert.equal(v.u32(3) & ~QUIET_FLAGS_NOT_IN_KEY, Collector.view(open).u32(3) & ~QUIET_FLAGS_NOT_IN_KEY)
      assert.equal(v.u64(6), Collector.view(open).u64(6), 'the same inode')
      assert.ok(sent < types.indexOf(PPME.SYSCALL_FCHMOD_X), 'before the fchmod event')

      const forked = run(prog('use_fd'), [file, 'fork'])
      const pfd = Number(forked.out)
      const clone = (c: Captured) => c.type === PPME.SYSCALL_CLONE_20_X || c.type === PPME.SYSCALL_CLONE3_X
      // the child's clone event: result 0, its parent (ptid) the program
      const child = await events.find(c => clone(c) && Collector.view(c).i64(0) === 0 && Collector.view(c).i64(5) === forked.pid)
      await events.find(c => c.tid === forked.pid && c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === pfd)
        .catch(() => undefined) // its own close is held back: this only waits for the rest to arrive
      await new Promise(r => setTimeout(r, 200))
      assert.equal(fileOpens(forked.pid).length, 0)
      assert.equal(own(child.tid).filter(c => c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === pfd).length, 0,
        'the child\'s close of the inherited quiet fd was held back')
      // the parent's own close, after its fork (the loader closed the same fd number before main)
      const parent = own(forked.pid)
      const forkAt = parent.findIndex(c => clone(c) && Collector.view(c).i64(0) > 0)
      assert.ok(forkAt >= 0, 'the parent\'s clone event')
      const afterFork = parent.slice(forkAt)
      assert.equal(afterFork.filter(c => c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === pfd).length, 0)
    } finally {
      live.stop()
    }
  })

  test('a process holds its quiet slot while it has quiet fds, and gives it back when it exits', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'saker-quiet-')), 'held')
    writeFileSync(file, 'h')
    // opens the file, says so, and holds it until its stdin closes
    const holder = 'import os, sys\nos.open(sys.argv[1], os.O_RDONLY)\nprint("open", flush=True)\nsys.stdin.read()\n'
    /** Whether some loaded probe's quiet_procs map has a slot owned by `pid` (slot pid % size). */
    const owns = (pid: number): boolean => {
      const maps = (JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as
        { id: number; name?: string; max_entries: number }[]).filter(m => m.name === 'quiet_procs')
      assert.ok(maps.length > 0, 'the probe has its quiet_procs map')
      return maps.some(m => {
        const key = Buffer.alloc(4)
        key.writeUInt32LE(pid % m.max_entries)
        const out = execFileSync('bpftool', ['-j', 'map', 'lookup', 'id', String(m.id), 'key', ...[...key].map(String)], { encoding: 'utf8' })
        const value = (JSON.parse(out) as { value: string[] }).value
        return Buffer.from(value.slice(0, 8).map(b => Number(b))).readBigUInt64LE(0) === BigInt(pid)
      })
    }
    const live = openLive({ selection: selectNames(['openat', 'close']), quietOpens: true })
    try {
      const events = new Collector(live)
      const first = spawnSync('python3', ['-c', holder, file], { input: '' })
      assert.equal(first.status, 0)
      const open = await events.find(c => c.tid === first.pid && c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === file)
      assert.equal(live.quietOpen(open.u32(3) & ~QUIET_FLAGS_NOT_IN_KEY, 'python3', Buffer.from(file)), true)

      const held = spawn('python3', ['-c', holder, file], { stdio: ['pipe', 'pipe', 'inherit'] })
      await new Promise(r => held.stdout.once('data', r))
      assert.ok(owns(held.pid!), 'a running process with a quiet fd has its slot')
      held.stdin.end()
      await new Promise(r => held.on('exit', r))
      assert.ok(!owns(held.pid!), 'given back when its last thread exits holding the fd')
    } finally {
      live.stop()
    }
  })
})
