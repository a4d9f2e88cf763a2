import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { CompileError, compileFilter } from '../../src/filter/compile.js'
import type { CompileWarning } from '../../src/filter/compile.js'
import { parseCondition } from '../../src/filter/parser.js'
import { resolveMacros } from '../../src/filter/expand.js'
import { check, compileErrorOf, filter, resolver } from './helpers.js'
import type { TestEvent } from './helpers.js'

const EV: TestEvent = {
  'evt.type': 'open',
  'evt.num': 42,
  'proc.name': 'bash',
  'proc.pname': 'sshd',
  'proc.cmdline': 'bash -c ls',
  'proc.exepath': '/usr/bin/bash',
  'proc.pid': -5,
  'proc.tty': 34816,
  'proc.nice': -3,
  'proc.args': ['-c', 'ls'],
  'proc.argv': ['-t', 'value', '-n', 'file'],
  'proc.is_exe_writable': true,
  'proc.start_ts': 12345678901234567890n,
  'fd.name': '/etc/passwd',
  'fd.sip': '10.1.2.3',
  'fd.cip': '2001:db8::1',
  'fd.snet': '192.168.1.7',
  'fd.sport': 443,
  'fd.num': 3,
  'fd.ips': ['10.0.0.1', '::1'],
  'fd.nets': ['10.0.0.1', '10.9.9.9'],
  'fd.nums': [1, 2, 3],
  'evt.buffer': new Uint8Array([0x6c, 0x73, 0x00, 0x41]),
  'evt.ratio': 2,
}

/** Asserts the truth value of each condition on EV. */
function truth(table: readonly [string, boolean][], ev: TestEvent = EV): void {
  for (const [cond, want] of table) assert.equal(check(cond, ev), want, cond)
}

function compileError(cond: string, message: string | RegExp): void {
  const err = compileErrorOf(cond)
  assert.ok(err, 'expected ' + cond + ' not to compile')
  if (typeof message === 'string') assert.equal(err.message, message, cond)
  else assert.match(err.message, message, cond)
}

describe('compiler: strings', () => {
  test('equality, order and substring operators', () => {
    truth([
      ['proc.name = bash', true],
      ['proc.name == bash', true],
      ['proc.name = sh', false],
      ['proc.name != sh', true],
      ['proc.name != bash', false],
      // order operators only take numbers or fields on the right
      ['proc.name < val(proc.pname)', true],
      ['proc.name <= val(proc.name)', true],
      ['proc.pname > val(proc.name)', true],
      ['proc.name >= val(proc.pname)', false],
      ['proc.name > 1', true],
      ['proc.cmdline contains "-c"', true],
      ['proc.cmdline contains zsh', false],
      ['proc.cmdline icontains "BASH -C"', true],
      ['proc.name startswith ba', true],
      ['proc.name startswith sh', false],
      ['proc.name endswith sh', true],
      ['proc.name endswith ba', false],
      ['proc.name in (zsh, bash)', true],
      ['proc.name in (zsh, sh)', false],
      ['proc.name in ()', false],
      ['proc.name intersects (bash)', true],
    ])
  })

  test('icontains folds ASCII letters only, as strcasestr does, whatever the needle', () => {
    const cases: [string, string, boolean][] = [
      ['HTTP_PROXY=x', 'http_proxy', true],
      ['a http_proxy b', 'HTTP_Proxy', true],
      ['HTTP_PROXſ', 'http_proxs', false], // ſ upper-cases to S outside ASCII folding
      ['\u212aELVIN', 'kelvin', false], // the Kelvin sign lower-cases to k
      ['a.b*c', 'A.B*C', true],
      ['axbyc', 'a.b', false],
      ['ÉTÉ', 'été', false],
      ['été x', 'ÉTÉ X', false],
      ['été x', 'été X', true],
    ]
    for (const [value, needle, want] of cases) {
      assert.equal(check(`proc.cmdline icontains ${JSON.stringify(needle)}`, { 'proc.cmdline': value }), want, `${value} icontains ${needle}`)
    }
  })

  test('empty right-hand values', () => {
    truth([
      ['proc.name contains ""', true],
      ['proc.name startswith ""', true],
      ['proc.name = ""', false],
    ])
  })

  test('glob and iglob follow fnmatch', () => {
    truth([
      ['fd.name glob "/etc/*"', true],
      ['fd.name glob "/etc/p?sswd"', true],
      ['fd.name glob "/etc/[pq]asswd"', true],
      ['fd.name glob "/etc/[!p]asswd"', false],
      ['fd.name glob "*passwd"', true],
      ['fd.name glob "/ETC/*"', false],
      ['fd.name iglob "/ETC/*"', true],
      ['fd.name glob "/etc"', false],
      ['fd.name glob "/etc/[[:alpha:]]*"', true],
      ['fd.name glob "/etc/\\\\*"', false],
    ])
  })

  test('regex is RE2 anchored at both ends', () => {
    truth([
      ['fd.name regex "/etc/.*"', true],
      ['fd.name regex "etc"', false],
      ['fd.name regex ".*etc.*"', true],
      ['fd.name regex "/etc/pass|/etc/passwd"', true],
      ['fd.name regex "/etc/[a-z]+"', true],
      ['proc.name regex "ba"', false],
    ])
  })

  test('regex uses POSIX syntax and reports bad patterns', () => {
    compileError('proc.name regex "\\\\d+"', 'invalid regex pattern: invalid escape sequence: \\d')
    compileError('proc.name regex "(?i)bash"', 'invalid regex pattern: missing argument to repetition operator: ?')
    compileError('proc.name regex "a(b"', 'invalid regex pattern: missing ): a(b')
    assert.equal(check('proc.name regex "[[:alpha:]]+"', EV), true)
  })

  test('pmatch matches whole path components', () => {
    truth([
      ['fd.name pmatch (/etc)', true],
      ['fd.name pmatch (/etc/passwd)', true],
      ['fd.name pmatch (/et)', false],
      ['fd.name pmatch (/etc/passwd/x)', false],
      ['fd.name pmatch (/usr, /bin)', false],
      ['fd.name pmatch (/e*)', true],
      ['fd.name pmatch ("//etc//")', true],
      ['fd.name pmatch (/)', true],
    ])
  })

  test('values longer than 255 bytes are refused, as libsinsp refuses them', () => {
    const long = 'x'.repeat(300)
    compileError('proc.name = "' + long + '"', 'filter parameter too long (used=301, available=256):' + long)
    assert.doesNotThrow(() => filter('proc.name = "' + 'x'.repeat(255) + '"'))
  })
})

describe('compiler: missing values', () => {
  test('every check on a missing value is false, != included', () => {
    const ev: TestEvent = {}
    truth([
      ['proc.name = bash', false],
      ['proc.name != bash', false],
      ['proc.name in (bash)', false],
      ['proc.name exists', false],
      ['not proc.name exists', true],
      ['not proc.name = bash', true],
      ['evt.num > 1', false],
      ['evt.num != 1', false],
      ['proc.args intersects (a)', false],
      ['proc.args in (a)', false],
      ['fd.sip != 1.2.3.4', false],
    ], ev)
  })

  test('a missing right-hand field makes the check false', () => {
    truth([
      ['proc.name != val(proc.cmdline)', true],
      ['proc.name != val(evt.res)', false],
    ])
  })
})

describe('compiler: numbers', () => {
  test('comparisons of unsigned and signed values', () => {
    truth([
      ['evt.num = 42', true],
      ['evt.num != 42', false],
      ['evt.num > 41', true],
      ['evt.num >= 43', false],
      ['evt.num < 43', true],
      ['evt.num <= 41', false],
      ['evt.num in (1, 42)', true],
      ['evt.num in (1, 2)', false],
      ['proc.pid = -5', true],
      ['proc.pid < -4', true],
      ['proc.pid > -6', true],
      ['proc.nice = -3', true],
      ['proc.tty = 34816', true],
    ])
  })

  test('numbers are decimal, with an optional sign, as sscanf reads them', () => {
    truth([
      ['evt.num = +42', true],
      ['proc.tty = +34816', true],
    ])
    compileError('evt.num = 0x2A', '0x2A is not a valid number')
    compileError('evt.num = 1.5', '1.5 is not a valid number')
    compileError('evt.num > 1e+3', '1e+3 is not a valid number')
    compileError('evt.num = abc', 'abc is not a valid number')
  })

  test('out-of-range and negative unsigned values wrap as in C', () => {
    // -1 read as unsigned 64-bit is 2^64-1
    truth([['evt.num = -1', false]])
    assert.equal(check('evt.num = -1', { 'evt.num': 18446744073709551615n }), true)
    // 2^32 + 5 read for a 32-bit field keeps the low 32 bits
    assert.equal(check('proc.tty = 4294967301', { 'proc.tty': 5 }), true)
  })

  test('64-bit values beyond 2^53 compare exactly', () => {
    truth([
      ['proc.start_ts = 12345678901234567890', true],
      ['proc.start_ts > 12345678901234567889', true],
      ['proc.start_ts < 12345678901234567890', false],
      ['proc.start_ts in (1, 12345678901234567890)', true],
    ])
    assert.equal(check('evt.num = 7', { 'evt.num': 7n }), true)
    assert.equal(check('evt.num in (7)', { 'evt.num': 7n }), true)
  })

  test('doubles compare against integers, as libsinsp parses them', () => {
    truth([['evt.ratio = 2', true], ['evt.ratio > 1', true]])
  })

  test('ports take numbers or service names', () => {
    truth([
      ['fd.sport = 443', true],
      ['fd.sport = https', true],
      ['fd.sport in (80, 443)', true],
      ['fd.sport > 1024', false],
    ])
    compileError('fd.sport = not-a-service', 'unrecognized protocol not-a-service')
  })

  test('types without a value parser are refused', () => {
    compileError('evt.sig = 1', 'wrong parameter type 19')
  })
})

describe('compiler: booleans and byte buffers', () => {
  test('booleans take true and false only', () => {
    truth([
      ['proc.is_exe_writable = true', true],
      ['proc.is_exe_writable = false', false],
      ['proc.is_exe_writable != false', true],
      ['proc.is_exe_writable in (false)', false],
    ])
    compileError('proc.is_exe_writable = yes', 'filter error: unrecognized boolean value yes')
    compileError('proc.is_exe_writable > 1', "filter error: '>' operator not supported for numeric filters")
  })

  test('byte buffers: text operators and hex bcontains/bstartswith', () => {
    truth([
      ['evt.buffer contains ls', true],
      ['evt.buffer startswith l', true],
      ['evt.buffer bcontains 7300', true],
      ['evt.buffer bcontains 004141', false],
      ['evt.buffer bstartswith 6C73', true],
      ['evt.buffer bstartswith 73', false],
      ['evt.buffer endswith A', true],
    ])
    compileError('evt.buffer bcontains 7', 'filter error: bcontains and bstartswith operator support hex strings only')
    compileError('evt.buffer bcontains zz', 'filter error: bcontains and bstartswith operator support hex strings only')
    compileError('proc.name bcontains 00', "filter error: 'bcontains' operator not supported for string filters")
    compileError('evt.buffer glob x', "filter error: 'glob' operator not supported for buffer filters")
  })

  test('a NUL byte is refused in text values', () => {
    compileError('proc.name = "a\\x00b"', 'filter error: filter value cannot contain a NUL byte (\\x00)')
  })
})

describe('compiler: addresses and networks', () => {
  test('IPv4 and IPv6 addresses', () => {
    truth([
      ['fd.sip = 10.1.2.3', true],
      ['fd.sip != 10.1.2.3', false],
      ['fd.sip in (1.1.1.1, 10.1.2.3)', true],
      ['fd.cip = 2001:db8::1', true],
      ['fd.cip = 2001:0db8:0:0::0001', true],
      ['fd.cip in (::1, 2001:db8::1)', true],
      // an address of the other family is different
      ['fd.sip = ::1', false],
      ['fd.sip != ::1', true],
      ['fd.cip != 10.0.0.1', true],
    ])
    assert.equal(check('fd.sip = 10.1.2.3', { 'fd.sip': new Uint8Array([10, 1, 2, 3]) }), true)
    compileError('fd.sip = 1.2.3', 'unrecognized IPv4 address 1.2.3')
    compileError('fd.sip = 01.2.3.4', 'unrecognized IPv4 address 01.2.3.4')
    compileError('fd.cip = 1::2::3', 'unrecognized IPv6 address 1::2::3')
    compileError('fd.sip contains 1', "filter error: 'contains' operator not supported for ip address and network filters")
  })

  test('IPv4 and IPv6 networks', () => {
    truth([
      ['fd.snet = 192.168.0.0/16', true],
      ['fd.snet = 192.168.2.0/24', false],
      ['fd.snet != 192.168.2.0/24', true],
      ['fd.snet in (10.0.0.0/8, 192.168.1.0/24)', true],
      ['fd.snet = 0.0.0.0/0', true],
    ])
    assert.equal(check('fd.snet = 2001:db8::/32', { 'fd.snet': '2001:db8:1::5' }), true)
    assert.equal(check('fd.snet = 2001:db8::/48', { 'fd.snet': '2001:db8:1::5' }), false)
    assert.equal(check('fd.snet = 2001:db8::/32', { 'fd.snet': '10.0.0.1' }), false)
    compileError('fd.snet = 1.2.3.4', 'unrecognized IP network 1.2.3.4')
    compileError('fd.snet = 1.2.3.4/33', 'invalid netmask 33')
    compileError('fd.snet = 1.2.3/8', 'unrecognized IP address 1.2.3/8')
    compileError('fd.snet = 2001:db8::', 'invalid v6 netmask: 2001:db8::')
    compileError('fd.snet = 2001:db8::/0', 'invalid v6 netmask 0')
  })
})

describe('compiler: list fields', () => {
  test('in needs every value listed, intersects some', () => {
    truth([
      ['proc.args in (-c, ls, x)', true],
      ['proc.args in (-c)', false],
      ['proc.args intersects (ls, x)', true],
      ['proc.args intersects (x)', false],
      ['proc.args exists', true],
      ['fd.nums in (1, 2, 3, 4)', true],
      ['fd.nums intersects (9)', false],
      ['fd.ips in (10.0.0.1, ::1)', true],
      ['fd.ips intersects (::1)', true],
      ['fd.nets in (10.0.0.0/8)', true],
      ['fd.nets intersects (10.9.0.0/16)', true],
      ['fd.nets in (10.9.0.0/16)', false],
    ])
    assert.equal(check('proc.args in (x)', { 'proc.args': [] }), true)
    assert.equal(check('proc.args intersects (x)', { 'proc.args': [] }), false)
  })

  test('other operators and types are refused on list fields', () => {
    compileError('proc.args = x', "filter error: '=' operator not supported list filters")
    compileError('proc.args contains x', "filter error: 'contains' operator not supported list filters")
    compileError('proc.args = anyof (x)', "filter error: '=' operator not supported list filters")
  })
})

describe('compiler: modifiers', () => {
  test('anyof, allof and oneof compare with each listed value', () => {
    truth([
      ['proc.name startswith anyof (ba, zs)', true],
      ['proc.name startswith anyof (zs, k)', false],
      ['proc.name contains allof (ba, sh)', true],
      ['proc.name contains allof (ba, zz)', false],
      ['proc.name endswith oneof (sh, ash)', false],
      ['proc.name endswith oneof (sh, zsh)', true],
      ['proc.name = anyof (zsh, bash)', true],
      ['proc.name != allof (zsh, sh)', true],
      ['proc.name != allof (zsh, bash)', false],
      ['proc.name = oneof (bash, bash)', false],
      ['proc.name regex anyof ("z.*", "b.*")', true],
      ['proc.name glob allof ("b*", "*h")', true],
      ['proc.name = anyof ()', false],
      ['proc.name != allof ()', false],
      ['fd.sip = anyof (1.1.1.1, 10.1.2.3)', true],
    ])
  })

  test('modifiers on ip types only allow equality', () => {
    compileError('fd.sip contains anyof (1)', "filter error: 'contains' with modifier not supported for ip address and network filters")
  })
})

describe('compiler: transformers', () => {
  test('transformers on the left', () => {
    truth([
      ['toupper(proc.name) = BASH', true],
      ['tolower(toupper(proc.name)) = bash', true],
      ['basename(proc.exepath) = bash', true],
      ['len(proc.name) = 4', true],
      ['len(proc.args) = 2', true],
      ['len(proc.exepath) > 10', true],
      ['len(evt.buffer) = 4', true],
      ['tolower(proc.args) intersects (ls)', true],
    ])
    assert.equal(check('b64(proc.name) = hello', { 'proc.name': 'aGVsbG8=' }), true)
    assert.equal(check('b64(proc.name) = hello', { 'proc.name': 'aGVsbG8' }), true)
    // an invalid encoding is a missing value
    assert.equal(check('b64(proc.name) exists', { 'proc.name': 'a' }), false)
    assert.equal(check('len(proc.name) = 2', { 'proc.name': 'é' }), true)
  })

  test('transformers and val() on the right', () => {
    truth([
      ['proc.name = val(proc.name)', true],
      ['proc.name = val(proc.pname)', false],
      ['proc.name != val(proc.pname)', true],
      ['toupper(proc.name) = toupper(proc.name)', true],
      ['proc.pname < val(proc.name)', false],
      ['fd.name = basename(proc.exepath)', false],
    ])
    assert.equal(check('proc.name in val(proc.pname)', { 'proc.name': 'ls', 'proc.pname': 'ls' }), true)
    assert.equal(check('proc.args intersects val(proc.argv)', { 'proc.args': ['a'], 'proc.argv': ['b', 'a'] }), true)
  })

  test('multi-value transformers', () => {
    truth([
      ['concat(proc.name, "-", proc.pname) = bash-sshd', true],
      ['join(",", proc.args) = "-c,ls"', true],
      ['join("+", (proc.name, "x", 5)) = bash+x+5', true],
      ['getopt(proc.argv, "t:n")[t] = value', true],
      ['getopt(proc.argv, "t:n")[n] = n', true],
      ['getopt(proc.argv, "t:n")[x] exists', false],
      ['getopt(proc.argv, "t:n") intersects (value)', true],
      ['len(getopt(proc.argv, "t:n")) = 3', true],
    ])
  })

  test('type and argument errors', () => {
    compileError('len(evt.num) = 1', "can't add field transformer: type 'UINT64' is not supported by 'len' transformer applied on field 'evt.num'")
    compileError('tolower(proc.args) = x', "filter error: '=' operator not supported list filters")
    compileError('b64(fd.name) = x', "can't add field transformer: type 'FSPATH' is not supported by 'b64' transformer applied on field 'fd.name'")
    compileError('tolower(user.name) = x', "field 'user.name' does not support transformers")
    compileError('tolower(proc.name)[1] = x', "filter error: transformer 'tolower' does not support field arguments")
    compileError('proc.name = val(proc.pname)[1]', "filter error: transformer 'val' does not support field arguments")
    compileError('concat(proc.name) = x', "unknown field transfomer 'concat'")
    compileError('tolower(proc.name, proc.pname) = x', 'unknown multivalue transformer')
    compileError('concat(proc.name, fd.name) = x', 'concat() arguments must be strings')
    compileError('join(",", proc.name) = x', 'join() second argument must be a list')
    compileError('join(proc.args, proc.args) = x', 'join() first argument (separator) must be a single value, not a list')
    compileError('getopt(proc.name, "t") = x', 'getopt() first argument must be a list')
    compileError('getopt(proc.args, "t")[tt] = x', 'getopt() field argument must be a single option character')
    compileError('join(",", proc.args)[1] = x', "transformer 'join' does not support field arguments")
  })

  test('right-hand fields must have the same type and allow comparison', () => {
    compileError('proc.name = val(fd.name)', "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'fd.name' has incompatible type 'FSPATH'")
    compileError('proc.name = val(proc.args)', "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'proc.args' has incompatible type 'CHARBUF (list)'")
    compileError('fd.name pmatch val(fd.directory)', "operator 'PMATCH' doesn't support right-hand side fields")
    compileError('proc.name regex val(proc.pname)', "operator 'REGEX' doesn't support right-hand side fields")
    compileError('fd.snet = val(fd.snet)', "field type 'IPNET' doesn't support right-hand side fields")
    compileError('proc.vpid = val(proc.pid)', "field 'proc.vpid' doesn't support right-hand side fields")
    compileError('proc.pid = val(proc.vpid)', "field 'proc.vpid' can't be used as a right-hand side field")
    assert.equal(check('evt.num = len(proc.name)', { 'evt.num': 4, 'proc.name': 'bash' }), true)
  })
})

describe('compiler: structure and errors', () => {
  test('and, or and not combine checks with short circuits', () => {
    truth([
      ['proc.name = bash and evt.num = 42', true],
      ['proc.name = bash and evt.num = 1', false],
      ['proc.name = x or evt.num = 42', true],
      ['proc.name = x or evt.num = 1 or fd.num = 3', true],
      ['not (proc.name = x or evt.num = 1)', true],
      ['proc.name = bash and not evt.num = 42', false],
    ])
  })

  test('unknown fields fail at the check that uses them', () => {
    const cond = 'evt.type = open and proc.nobody = cat'
    const err = compileErrorOf(cond)
    assert.deepEqual(err, { message: 'filter_check called with nonexistent field proc.nobody', idx: 20 })
    const e = (() => {
      try {
        compileFilter(parseCondition(cond), resolver)
      } catch (x) {
        return x
      }
      return undefined
    })()
    assert.ok(e instanceof CompileError)
    assert.equal(e.pos.col, 21)
  })

  test('evt.type values must be known event names', () => {
    compileError('evt.type = some_invalid_event', 'unknown event type some_invalid_event')
    compileError('evt.type in (open, nope)', 'unknown event type nope')
    assert.doesNotThrow(() => filter('evt.type in (open, execve, fchmodat2)'))
    assert.doesNotThrow(() => filter('evt.type = myasync', { asyncEventNames: new Set(['myasync']) }))
  })

  test('unexpanded macros are refused', () => {
    compileError('proc.name = a and my_macro', "filter error: unexpected identifier 'my_macro'")
    const expanded = resolveMacros(parseCondition('proc.name = a and my_macro'), new Map([['my_macro', parseCondition('evt.num = 42')]]))
    assert.equal(compileFilter(expanded.expr, resolver)(EV), false)
  })

  test('operators the type does not support are refused', () => {
    compileError('evt.num startswith 1', "filter error: 'startswith' operator not supported for numeric filters")
    compileError('evt.rawarg[x] = 1', "filter error: '=' operator not supported for type 'DYNAMIC'")
  })

  test('suspicious values give warnings', () => {
    const warnings: CompileWarning[] = []
    filter('proc.name regex "bash" or proc.name = proc.pname or proc.name = "tolower(proc.name)"', { warnings })
    assert.deepEqual(warnings.map((w) => w.message), [
      "regex check with 'bash' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'",
      "'proc.pname' may be a valid field misused as a const string value",
      "'tolower(proc.name)' may be a valid field transformer misused as a const string value",
    ])
    // a regex with special characters inside is left alone; a leading .* is not enough
    const more: CompileWarning[] = []
    filter('proc.name regex "b.*h" or proc.name regex ".*bash" or proc.name = bash', { warnings: more })
    assert.deepEqual(more.map((w) => w.message), [
      "regex check with '.*bash' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'",
    ])
  })

  test('a non-list field with several values matches when any does', () => {
    const ev: TestEvent = { 'proc.aname': ['bash', 'sshd', 'systemd'] }
    assert.equal(check('proc.aname = sshd', ev), true)
    assert.equal(check('proc.aname startswith sys', ev), true)
    assert.equal(check('proc.aname = cron', ev), false)
  })
})
