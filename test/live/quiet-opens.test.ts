// The probe's quiet opens (driver/bpf/saker.bpf.c quiet_open): once user space has named a
// file's flags and path, its openat events and the closes of their fds are not sent, while
// other files, directories under a quiet key, and long paths still are.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PPME } from '../../src/events/table.js'
import { QUIET_FLAGS_NOT_IN_KEY } from '../../src/sources/live/layout.js'
import { openLive } from '../../src/sources/live/live.js'
import { selectNames } from '../../src/sources/live/select.js'
import { Collector, prog, run, skipReason } from './helpers.js'

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
      assert.equal(live.quietOpen(flagsOf(quiet), Buffer.from(quiet)), true)
      assert.equal(live.quietOpen(flagsOf(sub), Buffer.from(sub)), true)
      assert.equal(live.quietOpen(flagsOf(quiet), Buffer.from('/' + 'x'.repeat(130))), false, 'too long to be a key')
      const before = live.stats().quiet

      const second = run(prog('open_files'), files)
      const [qfd, dfd, lfd] = second.out.split(' ').map(Number)
      await events.find(c => c.tid === second.pid && c.type === PPME.SYSCALL_CLOSE_X && Collector.view(c).i64(1) === lfd)
      assert.equal(openOf(second.pid, quiet), undefined, 'the quiet file\'s openat was held back')
      assert.ok(openOf(second.pid, sub), 'a directory is always sent')
      assert.ok(openOf(second.pid, loud), 'another file is sent')
      assert.deepEqual(closesAfterOpens(first.pid), [qfd, dfd, lfd])
      assert.deepEqual(closesAfterOpens(second.pid), [dfd, lfd], 'the quiet fd\'s close was held back')
      assert.equal(live.stats().quiet - before, 2, 'one openat and one close held back')
      assert.ok(openOf(first.pid, quiet), 'before the key was given, the file was sent')
    } finally {
      live.stop()
    }
  })
})
