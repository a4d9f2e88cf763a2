// FdInfo.clone, which a fork runs on every fd of the parent's table: the clone reads the same
// socket addresses, and a write through either side's sockinfo() leaves the other's alone.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FDT, FdInfo } from '../../src/state/fd.js'
import { V4_DPORT, rd16, wr16 } from '../../src/state/net.js'

function socket(port: number): FdInfo {
  const f = new FdInfo()
  f.type = FDT.IPV4_SOCK
  wr16(f.sockinfo(), V4_DPORT, port)
  return f
}

test('a clone reads the original socket addresses; writes stay on the side that made them', () => {
  const parent = socket(80)
  const child = parent.clone()
  assert.equal(rd16(child.sock!, V4_DPORT), 80)
  assert.equal(child.serverPort(), 80)

  wr16(child.sockinfo(), V4_DPORT, 443)
  assert.equal(child.serverPort(), 443)
  assert.equal(parent.serverPort(), 80, 'the child wrote its own copy')

  const grandchild = child.clone()
  wr16(parent.sockinfo(), V4_DPORT, 8080)
  assert.equal(parent.serverPort(), 8080)
  assert.equal(child.serverPort(), 443, 'the parent wrote its own copy')
  assert.equal(grandchild.serverPort(), 443)
  wr16(child.sockinfo(), V4_DPORT, 22)
  assert.equal(grandchild.serverPort(), 443, 'a clone of a clone is apart from it too')
})

test('an fd without socket addresses clones to one without', () => {
  const f = new FdInfo()
  f.type = FDT.FILE_V2
  assert.equal(f.clone().sock, null)
})
