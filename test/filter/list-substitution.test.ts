import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ListSubstitution, quoteItem, substituteListsInText } from '../../src/filter/expand.js'

type NamedList = { readonly name: string; readonly items: readonly string[] }

/** Falco's resolve_list as written: every list, in order, searched for in the whole text. */
function reference(cond: string, lists: readonly NamedList[]): { text: string; used: string[] } {
  const BLANKS = ' \t\n\r'
  const DELIMS = BLANKS + '(),='
  const used = new Set<string>()
  for (const list of lists) {
    const name = list.name
    if (name === '') continue
    let start = cond.indexOf(name)
    while (start >= 0) {
      let end = start + name.length
      if ((start === 0 || DELIMS.includes(cond[start - 1]!)) && (end >= cond.length || DELIMS.includes(cond[end]!))) {
        while (start > 0 && BLANKS.includes(cond[start - 1]!)) start--
        while (end < cond.length && BLANKS.includes(cond[end]!)) end++
        const sub = list.items.map(quoteItem).join(', ')
        if (sub === '') {
          if (start > 0 && cond[start - 1] === ',') start--
          else if (end < cond.length && cond[end] === ',') end++
        }
        cond = (start > 0 ? cond.slice(0, start) + ' ' : '') + sub + ' ' + cond.slice(end)
        start += sub.length + 1
        used.add(name)
      }
      start = cond.indexOf(name, start + 1)
    }
  }
  return { text: cond, used: [...used] }
}

test('substitution by word lookup gives what searching for every list gives', () => {
  // names and items chosen to collide: names inside items of earlier and later lists,
  // delimiters inside names, empty names, empty lists, repeated names
  const names = ['a', 'b', 'ab', 'a b', 'x(y', 'c', 'l_1', 'e', '', 'a,b', 'q=', 'b']
  const items = ['a', 'b', 'c', '"q r"', 'x y', 'e', '', 'l_1', 'a b', '(', ')', ',', 'ab']
  const tokens = ['a', 'b', 'ab', 'c', 'e', 'l_1', ' ', ' ', '(', ')', ',', '=', 'in', 'x', ' a b ', 'x(y', 'q=', '\n']
  let seed = 11
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  for (let i = 0; i < 5000; i++) {
    const lists: NamedList[] = []
    for (let k = rnd(7); k > 0; k--) {
      const its: string[] = []
      for (let m = rnd(4); m > 0; m--) its.push(items[rnd(items.length)]!)
      lists.push({ name: names[rnd(names.length)]!, items: its })
    }
    let cond = ''
    for (let k = rnd(14); k > 0; k--) cond += tokens[rnd(tokens.length)]!
    const want = reference(cond, lists)
    const got = new ListSubstitution(lists).apply(cond)
    assert.deepEqual({ text: got.text, used: [...got.used] }, want, JSON.stringify({ cond, lists }))
    assert.deepEqual(substituteListsInText(cond, lists).text, want.text)
  }
})
