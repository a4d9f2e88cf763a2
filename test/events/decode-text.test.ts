// decodeText: what it gives does not depend on what it decoded before (it keeps recent texts).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeText } from '../../src/events/event.js'

const bytesOf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))

describe('decodeText', () => {
  it('gives the same text for the same bytes, and each text for its own bytes', () => {
    const texts = ['/etc/passwd', '/etc/shadow', 'bash', 'bask', 'été', '/tmp/' + 'x'.repeat(200)]
    for (let round = 0; round < 3; round++) {
      for (const t of texts) assert.equal(decodeText(bytesOf(t), 0, bytesOf(t).length), t)
    }
    // many texts of one length: the ones that share a slot replace each other
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2000; i++) {
        const t = `/proc/${i}/stat`.padEnd(16, '_')
        assert.equal(decodeText(bytesOf(t), 0, 16), t)
      }
    }
  })

  it('stops at the first NUL and reads bytes that are not UTF-8 as latin1, cached or not', () => {
    const buf = new Uint8Array([0x61, 0xff, 0x62, 0x00, 0x63])
    for (let i = 0; i < 2; i++) assert.equal(decodeText(buf, 0, buf.length), 'a\u00ffb')
    const utf8 = bytesOf('aéb')
    assert.equal(decodeText(utf8, 0, utf8.length), 'aéb')
    assert.equal(decodeText(buf, 3, buf.length), '')
  })
})
