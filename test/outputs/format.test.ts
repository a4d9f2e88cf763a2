import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { OutputFormatError, compileOutput } from '../../src/outputs/format.js'
import { resolver } from '../filter/helpers.js'
import type { TestEvent } from '../filter/helpers.js'

const EV: TestEvent = {
  'proc.name': 'bash',
  'proc.pid': 42,
  'proc.flags': 255,
  'proc.args': ['-c', 'ls'],
  'proc.exepath': '/usr/bin/bash',
  'proc.is_exe_writable': false,
  'proc.start_ts': 12345678901234567890n,
  'proc.aname[2]': 'init',
  'fd.sip': '10.0.0.1',
  'fd.cip': new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
  'fd.sport': 443,
  'evt.buffer': new Uint8Array([0x41, 0x00, 0x42, 0x0a]),
}

const render = (fmt: string, ev: TestEvent = EV): string => compileOutput(fmt, resolver).render(ev)

function formatError(fmt: string): string {
  try {
    compileOutput(fmt, resolver)
  } catch (e) {
    assert.ok(e instanceof OutputFormatError, String(e))
    return e.message
  }
  assert.fail('expected ' + JSON.stringify(fmt) + ' not to compile')
}

describe('output formats: text', () => {
  test('fields are replaced by their values, text is kept', () => {
    assert.equal(render('File opened by %proc.name (pid=%proc.pid)'), 'File opened by bash (pid=42)')
  })

  test('values print as libsinsp prints them', () => {
    assert.equal(render('%proc.flags'), 'FF')
    assert.equal(render('%proc.args'), '(-c,ls)')
    assert.equal(render('%proc.is_exe_writable'), 'false')
    assert.equal(render('%proc.start_ts'), '12345678901234567890')
    assert.equal(render('%fd.sip %fd.cip %fd.sport'), '10.0.0.1 2001:db8::1 443')
    assert.equal(render('%evt.buffer'), 'A.B.')
  })

  test('missing values print as <NA>', () => {
    assert.equal(render('name=%proc.name parent=%proc.pname'), 'name=bash parent=<NA>')
    assert.equal(render('*name=%proc.name parent=%proc.pname'), 'name=bash parent=<NA>')
  })

  test('without a leading * a missing value leaves no output', () => {
    const o = compileOutput('parent=%proc.pname', resolver)
    assert.equal(o.requireAllValues, true)
    assert.equal(o.tryRender(EV), undefined)
    const star = compileOutput('*parent=%proc.pname', resolver)
    assert.equal(star.requireAllValues, false)
    assert.equal(star.tryRender(EV), 'parent=<NA>')
  })

  test('field arguments and the longest known field name', () => {
    assert.equal(render('%proc.aname[2]'), 'init')
    assert.equal(render('%proc.namex'), 'bashx')
    assert.equal(render('(%proc.name)'), '(bash)')
    assert.equal(render('%proc.name.'), 'bash.')
  })

  test('a width pads or cuts the value', () => {
    assert.equal(render('[%6proc.name]'), '[bash  ]')
    assert.equal(render('[%2proc.name]'), '[ba]')
    assert.equal(render('[%6proc.pname]'), '[<NA>  ]')
  })

  test('transformers apply in the text', () => {
    assert.equal(render('%toupper(proc.name)'), 'BASH')
    assert.equal(render('%basename(proc.exepath)'), 'bash')
    assert.equal(render('%len(proc.name)'), '4')
    assert.equal(render('%concat(proc.name, "-", proc.name)'), 'bash-bash')
  })

  test('hostile values are printed as they are, without interpretation', () => {
    const ev: TestEvent = { 'proc.name': 'x %proc.pid "}\n{"forged":1' }
    assert.equal(render('name=%proc.name pid=%proc.pid', ev), 'name=x %proc.pid "}\n{"forged":1 pid=<NA>')
  })
})

describe('output formats: output_fields', () => {
  test('fields carry typed values and null when missing', () => {
    const o = compileOutput('%proc.name %proc.pid %proc.flags %proc.args %proc.is_exe_writable %proc.pname %fd.sip', resolver)
    assert.deepEqual(o.fields(EV), {
      'proc.name': 'bash',
      'proc.pid': 42,
      'proc.flags': 'FF',
      'proc.args': ['-c', 'ls'],
      'proc.is_exe_writable': false,
      'proc.pname': null,
      'fd.sip': '10.0.0.1',
    })
  })

  test('64-bit numbers beyond 2^53 stay exact', () => {
    const o = compileOutput('%proc.start_ts', resolver)
    assert.deepEqual(o.fields(EV), { 'proc.start_ts': 12345678901234567890n })
  })

  test('field names are listed once, in order, with their arguments', () => {
    const o = compileOutput('%proc.name %proc.aname[2] %proc.name %tolower(proc.pname)', resolver)
    assert.deepEqual(o.fieldNames, ['proc.name', 'proc.aname[2]', 'proc.pname'])
  })

  test('transformed fields contribute their plain fields only', () => {
    const o = compileOutput('%toupper(proc.name) %len(proc.args)', resolver)
    assert.deepEqual(o.fields(EV), { 'proc.name': 'bash', 'proc.args': ['-c', 'ls'] })
    assert.deepEqual(o.fieldStrings(EV), { 'proc.name': 'bash', 'proc.args': '(-c,ls)' })
  })
})

describe('output formats: errors', () => {
  test('unknown fields are invalid formatting tokens', () => {
    assert.equal(formatError('An open was seen %not_a_real_field'), 'invalid formatting token not_a_real_field')
    assert.equal(formatError('proc.nobody=%proc.nobody'), 'invalid formatting token proc.nobody')
    assert.equal(formatError('%proc.nobody and more'), 'invalid formatting token proc.nobody and more')
    assert.equal(formatError('%tolower(proc.nobody)'), 'invalid formatting token proc.nobody)')
  })

  test('% has no escape and must be followed by a field', () => {
    assert.equal(formatError('100%% sure'), 'invalid formatting token % sure')
    assert.equal(formatError('ends with %'), 'invalid formatting syntax: formatting cannot end with a %')
    assert.equal(formatError('ends with %12'), 'invalid formatting syntax: formatting cannot end with a number')
    assert.equal(formatError(''), 'empty formatting token')
  })

  test('filter-only fields and bad transformers are refused', () => {
    assert.equal(formatError('ip=%fd.ip'), 'fd.ip is filter only and cannot be used as a display field')
    assert.equal(formatError('%len(proc.pid)'), "can't add field transformer: type 'INT64' is not supported by 'len' transformer applied on field 'proc.pid'")
  })
})
