import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, existsSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { DEFAULT_RENDER_OPTIONS } from '../../src/outputs/alert.js'
import { OutputMessage } from '../../src/outputs/channels/channel.js'
import { FileChannel } from '../../src/outputs/channels/file.js'
import { ProgramChannel } from '../../src/outputs/channels/program.js'
import { StdoutChannel } from '../../src/outputs/channels/stdout.js'
import { Outputs } from '../../src/outputs/dispatcher.js'
import { CAT_WRITE_TIMES, alertWith, catAlert, context, memoryLog, referenceLines, renderWith, tempDir } from './helpers.js'

const ISO = renderWith({ timeFormatIso8601: true })
const msg = (i: number, jsonOutput = false): OutputMessage => new OutputMessage(catAlert(CAT_WRITE_TIMES[i]!), ISO, jsonOutput)
const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '')

test('the file channel without keep_alive appends and closes each time: a renamed file is not written again', async () => {
  const t = tempDir()
  try {
    const file = t.path('events.txt')
    const ch = new FileChannel(context({ render: ISO }), { filename: file, keepAlive: false })
    await ch.write([msg(0)])
    renameSync(file, t.path('rotated.txt'))
    await ch.write([msg(1), msg(2)])
    await ch.close()
    const ref = referenceLines('single_rule_with_cat_write.txt')
    assert.equal(read(t.path('rotated.txt')), ref[0] + '\n')
    assert.equal(read(file), ref[1] + '\n' + ref[2] + '\n')
  } finally {
    t.cleanup()
  }
})

test('the file channel with keep_alive keeps one descriptor: a renamed file keeps receiving until reopen', async () => {
  const t = tempDir()
  try {
    const file = t.path('events.txt')
    const ch = new FileChannel(context({ render: ISO }), { filename: file, keepAlive: true })
    await ch.write([msg(0)])
    renameSync(file, t.path('rotated.txt'))
    await ch.write([msg(1)])
    assert.equal(existsSync(file), false, 'the path is not opened again')
    await ch.reopen()
    await ch.write([msg(2)])
    await ch.close()
    const ref = referenceLines('single_rule_with_cat_write.txt')
    assert.equal(read(t.path('rotated.txt')), ref[0] + '\n' + ref[1] + '\n')
    assert.equal(read(file), ref[2] + '\n')
  } finally {
    t.cleanup()
  }
})

test('the file channel appends to what the file already holds', async () => {
  const t = tempDir()
  try {
    const file = t.path('events.txt')
    writeFileSync(file, 'before\n')
    const ch = new FileChannel(context({ render: ISO }), { filename: file, keepAlive: true })
    await ch.write([msg(0)])
    await ch.close()
    assert.equal(read(file), 'before\n' + referenceLines('single_rule_with_cat_write.txt')[0] + '\n')
  } finally {
    t.cleanup()
  }
})

test('a buffered kept-alive file holds lines until flush, an unbuffered one writes them at once', async () => {
  const t = tempDir()
  try {
    const buffered = new FileChannel(context({ render: ISO, buffered: true }), { filename: t.path('b.txt'), keepAlive: true })
    const unbuffered = new FileChannel(context({ render: ISO, buffered: false }), { filename: t.path('u.txt'), keepAlive: true })
    await buffered.write([msg(0), msg(1)])
    await unbuffered.write([msg(0), msg(1)])
    assert.equal(read(t.path('b.txt')), '')
    assert.equal(read(t.path('u.txt')).split('\n').length, 3)
    await buffered.flush()
    assert.equal(read(t.path('b.txt')), read(t.path('u.txt')))
    await buffered.close()
    await unbuffered.close()
  } finally {
    t.cleanup()
  }
})

test('a file that cannot be opened fails the write with Falco\'s message', async () => {
  const t = tempDir()
  try {
    const ch = new FileChannel(context(), { filename: t.path('no/such/dir/x.txt'), keepAlive: false })
    await assert.rejects(ch.write([msg(0)]), /^Error: failed to open output file .*no\/such\/dir\/x\.txt/)
  } finally {
    t.cleanup()
  }
})

test('the stdout channel writes to its descriptor, buffered until flush when asked', async () => {
  const t = tempDir()
  try {
    const fd = openSync(t.path('out.txt'), 'w')
    const ch = new StdoutChannel(context({ render: ISO, buffered: true }), { fd })
    await ch.write([msg(0), msg(1, true)])
    assert.equal(read(t.path('out.txt')), '')
    await ch.close()
    closeSync(fd)
    const lines = read(t.path('out.txt')).split('\n')
    assert.equal(lines[0], referenceLines('single_rule_with_cat_write.txt')[0])
    assert.equal(JSON.parse(lines[1]!.replace(/\d{16,}/g, '0')).rule, 'open_from_cat')
    assert.equal(lines[2], '')
  } finally {
    t.cleanup()
  }
})

test('the program channel without keep_alive runs the program once per alert, in order', async () => {
  const t = tempDir()
  try {
    const out = t.path('program_output.txt')
    const ch = new ProgramChannel(context({ render: ISO }), { program: `echo start >> ${out}; cat >> ${out}`, keepAlive: false })
    await ch.write([msg(0), msg(1)])
    await ch.write([msg(2)])
    await ch.close()
    const ref = referenceLines('single_rule_with_cat_write.txt')
    assert.equal(read(out), `start\n${ref[0]}\nstart\n${ref[1]}\nstart\n${ref[2]}\n`)
  } finally {
    t.cleanup()
  }
})

test('the program channel with keep_alive starts the program once and feeds it every alert', async () => {
  const t = tempDir()
  try {
    const out = t.path('program_output.txt')
    const ch = new ProgramChannel(context({ render: ISO }), { program: `echo start >> ${out}; cat >> ${out}`, keepAlive: true })
    for (let i = 0; i < CAT_WRITE_TIMES.length; i++) await ch.write([msg(i)])
    await ch.close()
    assert.equal(read(out), 'start\n' + referenceLines('single_rule_with_cat_write.txt').join('\n') + '\n')
  } finally {
    t.cleanup()
  }
})

test('a kept-alive program that exits is started again at the next alert', async () => {
  const t = tempDir()
  try {
    const out = t.path('o.txt')
    // reads one line, then exits
    const ch = new ProgramChannel(context({ render: ISO }), { program: `head -n 1 >> ${out}`, keepAlive: true })
    await ch.write([msg(0)])
    // wait for the first child to go
    for (let i = 0; i < 200 && read(out) === ''; i++) await new Promise((r) => setTimeout(r, 10))
    await new Promise((r) => setTimeout(r, 50))
    await ch.write([msg(1)]).catch(() => {})
    await ch.write([msg(2)]).catch(() => {})
    await ch.close()
    const lines = read(out).split('\n').filter((l) => l !== '')
    const ref = referenceLines('single_rule_with_cat_write.txt')
    assert.equal(lines[0], ref[0])
    assert.ok(lines.length >= 2, 'a later alert reached a new child: ' + JSON.stringify(lines))
  } finally {
    t.cleanup()
  }
})

test('reproduces the program_output_strict case: `cat >> file` gets the reference text lines', async () => {
  const t = tempDir()
  try {
    const out = t.path('program_output.txt')
    const logs = memoryLog()
    const o = new Outputs({
      render: ISO,
      channels: (ctx) => [new ProgramChannel(ctx, { program: `cat >> ${out}`, keepAlive: false })],
      log: logs.log,
    })
    for (const ts of CAT_WRITE_TIMES) o.emit(catAlert(ts))
    await o.close()
    assert.equal(read(out), referenceLines('single_rule_with_cat_write.txt').join('\n') + '\n')
    assert.deepEqual(logs.lines, [])
  } finally {
    t.cleanup()
  }
})

test('a forged file name makes exactly one line in a file, text or JSON', async () => {
  const t = tempDir()
  try {
    const forged = 'x"}\n{"rule":"forged'
    for (const jsonOutput of [false, true]) {
      const file = t.path(`forged-${jsonOutput}.txt`)
      const o = new Outputs({
        jsonOutput,
        render: DEFAULT_RENDER_OPTIONS,
        channels: (ctx) => [new FileChannel(ctx, { filename: file, keepAlive: true })],
      })
      o.emit(alertWith(`File below /etc opened (file=${forged})`, { 'fd.name': forged }))
      await o.close()
      const lines = read(file).split('\n')
      assert.equal(lines.length, 2, 'one line and the final newline')
      assert.equal(lines[1], '')
      if (jsonOutput) assert.equal(JSON.parse(lines[0]!.replace(/\d{16,}/g, '0')).rule, 'open_from_cat')
      else assert.ok(lines[0]!.endsWith('File below /etc opened (file=x"}\uFFFD{"rule":"forged)'))
    }
  } finally {
    t.cleanup()
  }
})

test('a channel without its file name or program refuses to start', () => {
  assert.throws(() => new FileChannel(context(), { filename: '', keepAlive: false }), /no filename/)
  assert.throws(() => new ProgramChannel(context(), { program: '', keepAlive: false }), /no program/)
})

test('writes to an unlinked kept-alive file do not fail', async () => {
  const t = tempDir()
  try {
    const file = t.path('x.txt')
    const ch = new FileChannel(context(), { filename: file, keepAlive: true })
    await ch.write([msg(0)])
    unlinkSync(file)
    await ch.write([msg(1)])
    await ch.close()
    assert.equal(existsSync(file), false)
  } finally {
    t.cleanup()
  }
})
