import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ParseError, parseCondition, parseFieldOrTransformer } from '../../src/filter/parser.js'
import { exprToString } from '../../src/filter/print.js'
import { isListOperator, isOperator, isOperatorWithModifier, supportedOperators } from '../../src/filter/operators.js'

const canon = (s: string): string => exprToString(parseCondition(s))

function parseError(s: string, opts?: { maxDepth?: number }): ParseError {
  try {
    parseCondition(s, opts)
  } catch (e) {
    assert.ok(e instanceof ParseError, 'expected a ParseError, got ' + String(e))
    return e
  }
  assert.fail('expected ' + JSON.stringify(s) + ' not to parse')
}

const OPS_TEXT =
  "'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', " +
  "'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'"
const TRANSFORMERS_TEXT = "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'"

describe('parser: checks', () => {
  test('every binary operator parses and prints in canonical form', () => {
    const cases: [string, string][] = [
      ['proc.name=bash', 'proc.name = bash'],
      ['proc.name == bash', 'proc.name == bash'],
      ['proc.name!=bash', 'proc.name != bash'],
      ['evt.num<5', 'evt.num < 5'],
      ['evt.num <= 5', 'evt.num <= 5'],
      ['evt.num>5', 'evt.num > 5'],
      ['evt.num >= 5', 'evt.num >= 5'],
      ['proc.name contains ba', 'proc.name contains ba'],
      ['proc.name icontains BA', 'proc.name icontains BA'],
      ['evt.buffer bcontains 6c73', 'evt.buffer bcontains 6c73'],
      ['proc.name startswith ba', 'proc.name startswith ba'],
      ['evt.buffer bstartswith 6c', 'evt.buffer bstartswith 6c'],
      ['proc.name endswith sh', 'proc.name endswith sh'],
      ['fd.name glob /etc/*', 'fd.name glob /etc/*'],
      ['fd.name iglob /ETC/*', 'fd.name iglob /ETC/*'],
      ['proc.name regex "^b.*h$"', 'proc.name regex ^b.*h$'],
      ['proc.name in (bash, sh)', 'proc.name in (bash, sh)'],
      ['proc.args intersects (a,b)', 'proc.args intersects (a, b)'],
      ['fd.name pmatch (/etc, /usr/bin)', 'fd.name pmatch (/etc, /usr/bin)'],
    ]
    for (const [input, out] of cases) assert.equal(canon(input), out, input)
  })

  test('exists is a unary check', () => {
    const e = parseCondition('proc.name exists')
    assert.equal(e.kind, 'unary')
    assert.equal(canon('proc.name  exists'), 'proc.name exists')
  })

  test('word operators need a blank after them, symbols do not', () => {
    assert.equal(canon('proc.name=bash'), 'proc.name = bash')
    const err = parseError('proc.name contains"x"')
    assert.equal(err.message, 'expected a valid check operator: one of ' + OPS_TEXT)
    assert.equal(err.pos.idx, 10)
  })

  test('modifiers turn a string operator into a check against a list', () => {
    assert.equal(canon('proc.name = anyof (a,b)'), 'proc.name = anyof (a, b)')
    assert.equal(canon('proc.name startswith oneof (a, b)'), 'proc.name startswith oneof (a, b)')
    assert.equal(canon('proc.name endswith allof my_list'), 'proc.name endswith allof my_list')
    // a modifier word followed by a boolean keyword is a plain value
    assert.equal(canon('proc.name = anyof and proc.pname exists'), '(proc.name = anyof and proc.pname exists)')
    // without the blank after '=' there is no modifier
    assert.throws(() => parseCondition('proc.name =anyof (a)'), /unexpected token after 'anyof'/)
  })

  test('numeric operators take decimal, signed, fractional and hex numbers', () => {
    assert.equal(canon('evt.num > 0x1F'), 'evt.num > 0x1F')
    assert.equal(canon('evt.num > -5'), 'evt.num > -5')
    assert.equal(canon('evt.num > +5'), 'evt.num > +5')
    assert.equal(canon('evt.num > 1.5e+3'), 'evt.num > 1.5e+3')
    const err = parseError('evt.num > abc')
    assert.equal(err.message, 'expected a number value or a field with a valid transformer: ' + TRANSFORMERS_TEXT)
    assert.equal(err.pos.idx, 10)
  })

  test('field arguments may be bare or quoted', () => {
    assert.equal(canon('proc.aname[2] = bash'), 'proc.aname[2] = bash')
    assert.equal(canon('evt.rawarg["a b"] = 1'), 'evt.rawarg["a b"] = 1')
    assert.equal(canon("evt.rawarg['x'] = 1"), 'evt.rawarg[x] = 1')
    assert.equal(canon('evt.rawarg[""] = 1'), 'evt.rawarg[""] = 1')
    const e = parseCondition('proc.aname[2] = bash')
    assert.ok(e.kind === 'binary' && e.left.kind === 'field')
    assert.equal(e.left.arg, '2')
    assert.equal(parseError('proc.aname[] = x').message, 'expected a valid field argument: a quoted string or a bare string')
    assert.equal(parseError('proc.aname[2 = x').message, "expected a ']' token")
  })

  test('field names need two dotted segments that start with letters', () => {
    const e = parseCondition('proc.name.x1 exists')
    assert.ok(e.kind === 'unary' && e.left.kind === 'field')
    assert.equal(e.left.field, 'proc.name.x1')
    // "x" alone is an identifier (a macro reference), so an operator after it is extra text
    assert.equal(parseError('x = 1').message, "unexpected token after 'x', expecting 'or', 'and'")
    assert.equal(parseError('1x.y exists').message, "expected a '(' token, a field check, or an identifier")
  })
})

describe('parser: boolean structure', () => {
  test('and binds tighter than or, and not tighter than and', () => {
    assert.equal(canon('a.a exists or b.b exists and c.c exists'), '(a.a exists or (b.b exists and c.c exists))')
    assert.equal(canon('not a.a exists and b.b exists'), '(not a.a exists and b.b exists)')
    assert.equal(canon('a.a exists and b.b exists or c.c exists and d.d exists'), '((a.a exists and b.b exists) or (c.c exists and d.d exists))')
  })

  test('parentheses group, and runs of one operator stay flat', () => {
    assert.equal(canon('(a.a exists or b.b exists) and c.c exists'), '((a.a exists or b.b exists) and c.c exists)')
    assert.equal(canon('a.a exists and b.b exists and c.c exists'), '(a.a exists and b.b exists and c.c exists)')
    assert.equal(canon('((a.a exists))'), 'a.a exists')
  })

  test('not and its forms: repeated, glued to a parenthesis', () => {
    assert.equal(canon('not a.a exists'), 'not a.a exists')
    assert.equal(canon('not not a.a exists'), 'a.a exists')
    assert.equal(canon('not(a.a exists or b.b exists)'), 'not (a.a exists or b.b exists)')
    assert.equal(canon('a.a exists and(b.b exists)'), '(a.a exists and b.b exists)')
    assert.equal(canon('a.a exists or(b.b exists)'), '(a.a exists or b.b exists)')
  })

  test('bare identifiers are macro references', () => {
    const e = parseCondition('my_macro and not other')
    assert.ok(e.kind === 'and')
    assert.deepEqual(e.children.map((c) => c.kind), ['identifier', 'not'])
    assert.equal(canon('my_macro and not other'), '(my_macro and not other)')
  })

  test('blanks include tabs and line breaks, and lines are counted', () => {
    assert.equal(canon('proc.name = a\n\tand\r\nproc.pname = b'), '(proc.name = a and proc.pname = b)')
    const err = parseError('proc.name = a\nand proc.pname =')
    assert.equal(err.pos.line, 2)
    assert.equal(err.pos.col, 17)
    assert.equal(err.pos.idx, 30)
  })

  test('positions are kept on every node', () => {
    const e = parseCondition('  proc.name = a and not proc.pname in (x)')
    assert.ok(e.kind === 'and')
    // the and starts after the leading blanks; an or around it would start at 0
    assert.equal(e.pos.idx, 2)
    assert.equal(e.children[0]!.pos.idx, 2)
    const n = e.children[1]!
    assert.ok(n.kind === 'not')
    assert.equal(n.pos.idx, 20)
    assert.ok(n.child.kind === 'binary')
    assert.equal(n.child.pos.idx, 24)
    assert.equal(n.child.right.pos.idx, 38)
  })

  test('positions count UTF-8 bytes, as libsinsp does', () => {
    const err = parseError('proc.name = é x')
    assert.equal(err.message, "unexpected token after 'é', expecting 'or', 'and'")
    assert.equal(err.pos.idx, 15)
    assert.equal(err.pos.col, 16)
  })
})

describe('parser: strings and escapes', () => {
  test('quoted strings take the escapes libsinsp knows', () => {
    const value = (s: string): string => {
      const e = parseCondition('proc.name = ' + s)
      assert.ok(e.kind === 'binary' && e.right.kind === 'value')
      return e.right.value
    }
    assert.equal(value('"a b"'), 'a b')
    assert.equal(value("'a b'"), 'a b')
    assert.equal(value('"a\\tb\\nc"'), 'a\tb\nc')
    assert.equal(value('"a\\\\b"'), 'a\\b')
    assert.equal(value('"a\\/b"'), 'a/b')
    assert.equal(value('"say \\"hi\\""'), 'say "hi"')
    assert.equal(value("'it\\'s'"), "it's")
    assert.equal(value('"\\x41\\x42"'), 'AB')
    assert.equal(value('"\\xc3\\xa9"'), 'é')
    // a legacy quirk: backslash-space gives a lone backslash
    assert.equal(value('"a\\ b"'), 'a\\b')
  })

  test('bad escapes fail after the closing quote', () => {
    let err = parseError('proc.name = "a\\qb"')
    assert.equal(err.message, 'unsupported string escape sequence: \\q')
    assert.equal(err.pos.idx, 18)
    err = parseError("proc.name = 'a\\\"b'")
    assert.equal(err.message, 'invalid \\" escape in \'-quoted string')
    err = parseError('proc.name = "a\\\'b"')
    assert.equal(err.message, 'invalid \\\' escape in "-quoted string')
    assert.equal(parseError('proc.name = "a\\x4"').message, 'truncated hex char escape sequence')
    assert.equal(parseError('proc.name = "a\\xzzb"').message, 'invalid hex char escape sequence: zz')
  })

  test('an unterminated string is not a value', () => {
    const err = parseError('proc.name = "abc')
    assert.equal(err.message, 'expected a string value or a field with a valid transformer: ' + TRANSFORMERS_TEXT)
    assert.equal(err.pos.idx, 12)
  })

  test('values print quoted and escaped only when needed', () => {
    assert.equal(canon('proc.name = "a b"'), 'proc.name = "a b"')
    assert.equal(canon('proc.name = "a\\tb"'), 'proc.name = "a\\tb"')
    assert.equal(canon('proc.name = "x=y"'), 'proc.name = "x=y"')
    assert.equal(canon('proc.name = "plain"'), 'proc.name = plain')
    assert.equal(canon('proc.name = ""'), 'proc.name = ')
    assert.equal(canon('proc.name in ("a\'b", c)'), 'proc.name in ("a\'b", c)')
  })
})

describe('parser: lists and transformers', () => {
  test('list values: quoted, bare, empty, or a list name', () => {
    assert.equal(canon('proc.name in ()'), 'proc.name in ()')
    assert.equal(canon('proc.name in ( a , "b c" )'), 'proc.name in (a, "b c")')
    const e = parseCondition('proc.name in my_list')
    assert.ok(e.kind === 'binary' && e.right.kind === 'value')
    assert.equal(e.right.value, 'my_list')
    assert.equal(parseError('proc.name in (a b)').message, "expected a ')' token")
    assert.equal(parseError('proc.name in (a,)').message, 'expected a string value')
  })

  test('transformers apply to fields on either side, val() reads a field', () => {
    assert.equal(canon('tolower(proc.name) = bash'), 'tolower(proc.name) = bash')
    assert.equal(canon('toupper( proc.name ) = BASH'), 'toupper(proc.name) = BASH')
    assert.equal(canon('proc.name = val(proc.pname)'), 'proc.name = val(proc.pname)')
    assert.equal(canon('proc.name = tolower(proc.pname)'), 'proc.name = tolower(proc.pname)')
    assert.equal(canon('len(proc.args) > 2'), 'len(proc.args) > 2')
    assert.equal(canon('basename(b64(proc.name)) in (x)'), 'basename(b64(proc.name)) in (x)')
    assert.equal(canon('proc.name in tolower(proc.args)'), 'proc.name in tolower(proc.args)')
    assert.equal(canon('evt.num > len(proc.name)'), 'evt.num > len(proc.name)')
  })

  test('multi-value transformers take constants, fields and lists', () => {
    assert.equal(canon('concat(proc.name, "-", proc.pname) = a-b'), 'concat(proc.name,-,proc.pname) = a-b')
    assert.equal(canon('join(",", (proc.name, "x", 5)) = a'), 'join(,,(proc.name,x,5)) = a')
    assert.equal(canon('getopt(proc.args, "t:")[t] = x'), 'getopt(proc.args,t:)[t] = x')
    assert.equal(parseError('concat(proc.name, bare) = a').message,
      'expected field transformer argument: field, transformer, quoted string, number, or transformer list')
  })

  test('val() takes exactly one field', () => {
    assert.equal(parseError('proc.name = val("x")').message, "expected a field within 'val' transformer")
    assert.equal(parseError('proc.name = val(proc.pname').message, "expected a ')' token closing the transformer")
    assert.equal(parseError('tolower(proc.name = x').message, "expected a ')' token closing the transformer")
  })
})

describe('parser: bad input', () => {
  test('trailing text names the last token read', () => {
    const err = parseError('evt.type=execve blah')
    assert.equal(err.message, "unexpected token after 'execve', expecting 'or', 'and'")
    assert.deepEqual(err.pos, { idx: 16, line: 1, col: 17 })
  })

  test('or and and need a blank or a parenthesis after them', () => {
    const err = parseError('evt.num = 1 ordinary')
    assert.equal(err.message, "expected blank or '(' after 'or'")
    assert.equal(err.pos.idx, 14)
    assert.equal(parseError('evt.num = 1 andx').message, "expected blank or '(' after 'and'")
  })

  test('missing operands and parentheses', () => {
    assert.equal(parseError('').message, 'filter input string is empty')
    assert.equal(parseError('proc.name').message, 'expected a valid check operator: one of ' + OPS_TEXT)
    assert.equal(parseError('(proc.name exists').message, "expected a ')' token")
    // a lone keyword is an identifier (a macro reference) to the parser
    assert.equal(parseCondition('and').kind, 'identifier')
    assert.equal(parseError('proc.name exists and').message, "expected blank or '(' after 'and'")
    assert.equal(parseError('proc.name exists and ').message, "expected a '(' token, a field check, or an identifier")
    assert.equal(parseError('proc.name = ').message, 'expected a string value or a field with a valid transformer: ' + TRANSFORMERS_TEXT)
    assert.equal(parseError('proc.name in 5').message, 'expected a list, an identifier, or a field with a valid transformer: ' + TRANSFORMERS_TEXT)
  })

  test('nesting deeper than the limit is refused', () => {
    let deep = 'proc.name exists'
    for (let i = 0; i < 30; i++) deep = '(' + deep + ')'
    assert.equal(parseError(deep).message, 'exceeded max depth limit of 100')
    assert.doesNotThrow(() => parseCondition(deep, { maxDepth: 1000 }))
    let ok = 'proc.name exists'
    for (let i = 0; i < 15; i++) ok = '(' + ok + ')'
    assert.doesNotThrow(() => parseCondition(ok))
  })
})

describe('parser: single fields for output formats', () => {
  test('parses a field or transformer at the start and reports the length read', () => {
    let r = parseFieldOrTransformer('proc.name) rest')
    assert.equal(exprToString(r.expr), 'proc.name')
    assert.equal(r.end, 9)
    r = parseFieldOrTransformer('tolower(proc.aname[1])x')
    assert.equal(exprToString(r.expr), 'tolower(proc.aname[1])')
    assert.equal(r.end, 22)
    assert.throws(() => parseFieldOrTransformer('nope'), /unexpected token after '/)
  })
})

describe('operators', () => {
  test('operator catalog and list operators', () => {
    assert.equal(supportedOperators().length, 20)
    assert.ok(isOperator('in') && isOperator('exists') && isOperator('=='))
    assert.ok(!isOperator('no-comp') && !isOperator('glob '))
    assert.ok(isOperatorWithModifier('startswith oneof') && isOperatorWithModifier('= anyof'))
    assert.ok(!isOperatorWithModifier('in oneof') && !isOperatorWithModifier('>= anyof') && !isOperatorWithModifier('contains'))
    assert.ok(isListOperator('pmatch') && isListOperator('contains allof') && !isListOperator('='))
  })
})
