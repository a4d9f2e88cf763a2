import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { CaptureError, openCapture } from '../../src/capture/reader.js'
import { blockOffsets, captureFiles, plainBytes, sharedMissing } from './helpers.js'

const skip = sharedMissing()
const dir = mkdtempSync(join(tmpdir(), 'saker-capture-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** One line per event: enough to tell two readings apart. */
function digest(path: string): { count: number; hash: string; error: CaptureError | null } {
  const h = createHash('sha256')
  const r = openCapture(path)
  const count = r.forEachEvent((ev, flags, cpuid) => {
    h.update(`${ev.ts} ${ev.tid} ${ev.type} ${ev.nparams} ${flags} ${cpuid}\n`)
    h.update(ev.raw())
  })
  return { count, hash: h.digest('hex'), error: r.error }
}

function isEventBlock(type: number): boolean {
  return [0x204, 0x216, 0x221, 0x208, 0x217, 0x222].includes(type)
}

const pickCapture = (name: string): string => captureFiles().find(p => p.endsWith(`/traces/${name}`))!

describe('gzip and plain copies', { skip }, () => {
  for (const name of ['cat_write.scap', 'ping_sendto.scap']) {
    test(`${name}: the plain copy and a fresh gzip of it read the same as the original`, () => {
      const original = pickCapture(name)
      const plain = plainBytes(original)
      const plainPath = join(dir, `plain-${name}`)
      const gzPath = join(dir, `regz-${name}.gz`)
      writeFileSync(plainPath, plain)
      writeFileSync(gzPath, gzipSync(plain, { level: 1 }))
      const a = digest(original)
      const b = digest(plainPath)
      const c = digest(gzPath)
      assert.equal(a.error, null)
      assert.deepEqual(b, a)
      assert.deepEqual(c, a)
      assert.equal(openCapture(plainPath).compressed, false)
      assert.equal(openCapture(gzPath).compressed, true)
    })
  }

  test('a plain capture read in tiny chunks reads the same as in one piece', () => {
    const original = pickCapture('curl_google.scap')
    const plainPath = join(dir, 'chunks-curl_google.scap')
    writeFileSync(plainPath, plainBytes(original))
    const whole = digest(original)
    const h = createHash('sha256')
    const r = openCapture(plainPath, { chunkSize: 64 })
    const count = r.forEachEvent((ev, flags, cpuid) => {
      h.update(`${ev.ts} ${ev.tid} ${ev.type} ${ev.nparams} ${flags} ${cpuid}\n`)
      h.update(ev.raw())
    })
    assert.deepEqual({ count, hash: h.digest('hex'), error: r.error }, whole)
  })
})

describe('truncated captures', { skip }, () => {
  test('a capture cut inside an event block reports the block offset and still yields the earlier events', () => {
    const plain = plainBytes(pickCapture('connect_localhost.scap'))
    const blocks = blockOffsets(plain)
    const events = blocks.filter(b => isEventBlock(b.type))
    const cutBlock = events[200]!
    const cut = cutBlock.offset + 20 // past the block header, inside the event header
    const path = join(dir, 'cut-event.scap')
    writeFileSync(path, plain.subarray(0, cut))
    const r = openCapture(path)
    assert.equal(r.error, null, 'the metadata before the cut reads cleanly')
    const seen: number[] = []
    const n = r.forEachEvent(() => {
      seen.push(r.eventOffset)
    }, { raw: true })
    assert.equal(n, 200)
    assert.deepEqual(seen, events.slice(0, 200).map(b => b.offset))
    // forEachEvent sets `error`; re-read it past the narrowing of the assert above.
    const err = r.error as CaptureError | null
    assert.ok(err instanceof CaptureError)
    assert.equal(err.code, 'TRUNCATED')
    assert.equal(err.offset, cutBlock.offset)
    assert.match(err.message, new RegExp(`^${path}: The capture ends in the middle of a block at offset ${cutBlock.offset}: EV block declares ${cutBlock.total} bytes, 20 left$`))
  })

  test('a capture cut inside a block header reports the offset where the header starts', () => {
    const plain = plainBytes(pickCapture('connect_localhost.scap'))
    const events = blockOffsets(plain).filter(b => isEventBlock(b.type))
    const at = events[10]!.offset
    const path = join(dir, 'cut-header.scap')
    writeFileSync(path, plain.subarray(0, at + 5))
    const r = openCapture(path)
    assert.equal(r.forEachEvent(() => {}), 10)
    assert.deepEqual({ code: r.error?.code, offset: r.error?.offset }, { code: 'TRUNCATED', offset: at })
  })

  test('a capture cut inside the process list keeps the threads read so far and yields no events', () => {
    const plain = plainBytes(pickCapture('ping_sendto.scap'))
    const pl = blockOffsets(plain).find(b => b.type === 0x215)!
    const path = join(dir, 'cut-proclist.scap')
    writeFileSync(path, plain.subarray(0, pl.offset + Math.floor(pl.total / 2)))
    const r = openCapture(path)
    assert.deepEqual({ code: r.error?.code, offset: r.error?.offset }, { code: 'TRUNCATED', offset: pl.offset })
    assert.ok(r.machine !== null)
    assert.ok(r.users.length > 0)
    assert.equal(r.forEachEvent(() => {}), 0)
    assert.equal(r.error?.code, 'TRUNCATED')
  })

  test('a truncated gzip file yields what it holds, with a note and a TRUNCATED error', () => {
    const original = pickCapture('curl_google.scap')
    const full = digest(original)
    const gz = gzipSync(plainBytes(original))
    const path = join(dir, 'cut.scap.gz')
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length * 0.8)))
    const r = openCapture(path)
    assert.equal(r.notes[0]?.code, 'GZIP_INCOMPLETE')
    const n = r.forEachEvent(() => {})
    assert.ok(n > 0 && n < full.count, `${n} of ${full.count} events`)
    assert.equal(r.error?.code, 'TRUNCATED')
  })

  test('a capture of only a section header has no events, as scap says', () => {
    const plain = plainBytes(pickCapture('cat_write.scap'))
    const path = join(dir, 'shb-only.scap')
    writeFileSync(path, plain.subarray(0, 28))
    const r = openCapture(path)
    assert.equal(r.error?.code, 'NO_EVENTS')
    assert.equal(r.forEachEvent(() => {}), 0)
  })

  test('a file that is not a capture is refused at open', () => {
    const path = join(dir, 'not-a-capture.txt')
    writeFileSync(path, 'hello, this is not a capture\n')
    assert.throws(() => openCapture(path), (e: unknown) => e instanceof CaptureError && e.code === 'NOT_A_CAPTURE' && e.offset === 0)
    assert.throws(() => openCapture(join(dir, 'missing.scap')), (e: unknown) => e instanceof CaptureError && e.code === 'OPEN_FAILED')
    assert.throws(() => openCapture(dir), (e: unknown) => e instanceof CaptureError && e.code === 'OPEN_FAILED' && /EISDIR/.test(e.message))
  })
})
