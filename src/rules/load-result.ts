// Load results in Falco's shape: one result per rules file, errors and warnings with
// Falco's codes, each carrying a chain of locations (file → item → condition) and a
// snippet of the offending text with a caret. Positions are the ones Falco reports:
// 0-based line and column from the YAML parser, byte offsets in `offset`.

export const LOAD_ERRORS = {
  LOAD_ERR_FILE_READ: { title: 'File read error' },
  LOAD_ERR_YAML_PARSE: { title: 'YAML parse error' },
  LOAD_ERR_YAML_VALIDATE: { title: 'Error validating internal structure of YAML file' },
  LOAD_ERR_COMPILE_CONDITION: { title: 'Error compiling condition' },
  LOAD_ERR_COMPILE_OUTPUT: { title: 'Error compiling output' },
  LOAD_ERR_VALIDATE: { title: 'Error validating rule/macro/list/exception objects' },
  LOAD_ERR_EXTENSION: { title: 'Error in extension item' },
} as const satisfies Record<string, { title: string }>
export type LoadErrorCode = keyof typeof LOAD_ERRORS

export const LOAD_WARNINGS = {
  LOAD_UNKNOWN_SOURCE: {
    title: 'Unknown event source',
    desc: 'A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored.',
  },
  LOAD_UNSAFE_NA_CHECK: {
    title: 'Unsafe <NA> comparison in condition',
    desc: "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
  },
  LOAD_NO_EVTTYPE: {
    title: 'Condition has no event-type restriction',
    desc: 'A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition.',
  },
  LOAD_UNKNOWN_FILTER: {
    title: 'Unknown field or event-type in condition or output',
    desc: 'A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning.',
  },
  LOAD_UNUSED_MACRO: {
    title: 'Unused macro',
    desc: 'A macro is defined in the rules content but is not used by any other macro or rule.',
  },
  LOAD_UNUSED_LIST: {
    title: 'Unused list',
    desc: 'A list is defined in the rules content but is not used by any other list, macro, or rule.',
  },
  LOAD_UNKNOWN_ITEM: {
    title: 'Unknown rules file item',
    desc: 'An unknown top-level object is in the rules content. It will be ignored.',
  },
  LOAD_DEPRECATED_ITEM: {
    title: 'Used deprecated item',
    desc: 'A deprecated item is employed by lists, macros, or rules.',
  },
  LOAD_WARNING_EXTENSION: { title: 'Warning in extension item', desc: 'An extension item has a warning' },
  LOAD_APPEND_NO_VALUES: {
    title: 'Overriding/appending with no values',
    desc: 'A rule exception is overriding/appending with no values',
  },
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: {
    title: 'Multiple exceptions defined with the same name',
    desc: 'A rule is defining multiple exceptions with the same name',
  },
  LOAD_INVALID_MACRO_NAME: { title: 'Invalid macro name', desc: 'A macro is defined with an invalid name' },
  LOAD_INVALID_LIST_NAME: { title: 'Invalid list name', desc: 'A list is defined with an invalid name' },
  LOAD_COMPILE_CONDITION: {
    title: 'Warning in rule condition',
    desc: 'A rule condition or output have been parsed with a warning',
  },
  LOAD_UNKNOWN_KEY: {
    title: 'Unknown key in item definition',
    desc: 'An item in the rules content contains an unrecognized key. The key will be ignored. This may indicate a typo or a property placed on the wrong item type.',
  },
} as const satisfies Record<string, { title: string; desc: string }>
export type LoadWarningCode = keyof typeof LOAD_WARNINGS

/** The kinds of place a location can name, spelled as Falco prints them. */
export type ItemType =
  | 'value for'
  | 'exceptions'
  | 'exception'
  | 'exception values'
  | 'exception value'
  | 'rules content'
  | 'rules content item'
  | 'required_engine_version'
  | 'required plugin versions'
  | 'required plugin versions entry'
  | 'required plugin versions alternative'
  | 'list'
  | 'list item'
  | 'macro'
  | 'macro condition'
  | 'rule'
  | 'rule condition'
  | 'condition expression'
  | 'rule output'
  | 'rule output expression'
  | 'rule priority'
  | 'overrides'
  | 'extension item'

export interface Position {
  readonly offset: number
  readonly line: number
  readonly column: number
}

export interface Location {
  /** The file name, or for a condition expression its quoted start. */
  readonly name: string
  readonly pos: Position
  readonly itemType: ItemType
  readonly itemName: string
}

/** Computes the position of an offset in a file (YamlFile does). */
export interface PositionSource {
  position(offset: number): Position
}

/**
 * A chain of locations, outermost first; the last one is where the problem is. A child made
 * with `childAt` computes its position (a line search) and its chain only when they are read:
 * loading makes a context for nearly every value it reads, and few are ever shown.
 */
export class Context {
  private locs: readonly Location[] | null

  private constructor(
    locations: readonly Location[] | null,
    /** The file name (the first location's name). */
    readonly fileName: string,
    /** Text the last location's offsets point into, when it is not the file (a condition). */
    readonly altContent: string | undefined,
    // a lazy child: its parent, and where its position comes from
    private readonly parent: Context | null = null,
    private readonly src: PositionSource | null = null,
    private readonly offset = 0,
    private readonly itemType: ItemType = 'rules content',
    private readonly itemName = '',
  ) {
    this.locs = locations
  }

  get locations(): readonly Location[] {
    if (this.locs === null) {
      const p = this.parent!
      this.locs = [...p.locations, { name: this.fileName, pos: this.src!.position(this.offset), itemType: this.itemType, itemName: this.itemName }]
    }
    return this.locs
  }

  static file(name: string): Context {
    return new Context([{ name, pos: { offset: 0, line: 0, column: 0 }, itemType: 'rules content', itemName: '' }], name, undefined)
  }

  child(pos: Position, itemType: ItemType, itemName = ''): Context {
    return new Context([...this.locations, { name: this.fileName, pos, itemType, itemName }], this.fileName, undefined)
  }

  /** A child at `offset` of the file `src` positions. */
  childAt(src: PositionSource, offset: number, itemType: ItemType, itemName = ''): Context {
    return new Context(null, this.fileName, undefined, this, src, offset, itemType, itemName)
  }

  /**
   * A place inside a condition string. The arithmetic follows Falco's (the condition's
   * 1-based parser position added to the 0-based YAML position of the condition), so the
   * numbers printed agree with Falco's.
   */
  inCondition(condPos: { idx: number; line: number; col: number }, condition: string): Context {
    const last = this.locations[this.locations.length - 1]!
    const shown = condition.length > 20 ? condition.slice(0, 17) + '..."' : condition + '"'
    const name = ('"' + shown).replace(/[\r\n]/g, ' ')
    const pos = { offset: condPos.idx + last.pos.offset, line: condPos.line + last.pos.line, column: condPos.col + last.pos.column }
    return new Context([...this.locations, { name, pos, itemType: 'condition expression', itemName: '' }], this.fileName, condition)
  }

  asString(): string {
    return this.locations
      .map((loc, i) => {
        const item = loc.itemName === '' ? loc.itemType : `${loc.itemType} '${loc.itemName}'`
        return `${i === 0 ? 'In ' : '    '}${item}: (${loc.name}:${loc.pos.line}:${loc.pos.column})\n`
      })
      .join('')
  }

  asJson(): { locations: object[] } {
    return {
      locations: this.locations.map((loc) => ({
        item_name: loc.itemName,
        item_type: loc.itemType,
        position: { column: loc.pos.column, line: loc.pos.line, name: loc.name, offset: loc.pos.offset },
      })),
    }
  }

  /** The line around the last location, cut to `width` characters, with a caret under it. */
  snippet(contents: ReadonlyMap<string, string>, width = 160): string {
    const loc = this.locations[this.locations.length - 1]!
    const text = this.altContent ?? contents.get(loc.name)
    if (text === undefined) return `<No context for file + ${loc.name}>\n`
    if (text === '') return '<No context available>\n'
    const half = width / 2
    let pos = loc.pos.offset
    while (pos > 0 && (pos >= text.length || text[pos] === '\n')) pos--
    let from = pos
    while (from > 0 && text[from] !== '\n' && pos - from < half) from--
    let to = pos
    while (to < text.length - 1 && text[to] !== '\n' && to - pos < half) to++
    if (from < text.length && text[from] === '\n') from++
    if (to < text.length && text[to] === '\n') to--
    let out = text.slice(from, to + 1)
    if (out === '') return '<No context available>\n'
    if (pos - from >= half) out = '...' + out.slice(3)
    if (to - pos >= half) out = out.slice(0, -3) + '...'
    out += '\n'
    if (pos - from <= out.length - 1) out += ' '.repeat(Math.max(0, pos - from)) + '^\n'
    return out
  }
}

export interface LoadError {
  readonly code: LoadErrorCode
  readonly message: string
  readonly ctx: Context
}

export interface LoadWarning {
  readonly code: LoadWarningCode
  readonly message: string
  readonly ctx: Context
}

/** Thrown inside the loader stages; caught per file and turned into a LoadError. */
export class RuleLoadError extends Error {
  constructor(
    readonly code: LoadErrorCode,
    message: string,
    readonly ctx: Context,
  ) {
    super(message)
  }
}

/** What loading one rules file produced. */
export class LoadResult {
  readonly errors: LoadError[] = []
  readonly warnings: LoadWarning[] = []
  /** The rules JSON schema check, one entry per document: 'ok' or the failure lines. */
  schemaStatus: string[] = []

  constructor(readonly name: string) {}

  get successful(): boolean {
    return this.errors.length === 0
  }

  addError(code: LoadErrorCode, message: string, ctx: Context): void {
    this.errors.push({ code, message, ctx })
  }

  addWarning(code: LoadWarningCode, message: string, ctx: Context): void {
    this.warnings.push({ code, message, ctx })
  }

  /** Falco's schema_validation(): the first document's status, or 'none'. */
  get schemaValidation(): string {
    return this.schemaStatus[0] ?? 'none'
  }

  private get schemaValid(): boolean {
    return this.schemaValidation === 'ok'
  }

  summary(): string {
    let s = `${this.name}: ${this.successful ? 'Ok' : 'Invalid'}`
    if (this.successful && this.warnings.length > 0) s += ', with warnings'
    if (this.schemaStatus.length > 0 && !this.schemaValid) {
      s += `\n ${this.schemaStatus.length} schema warnings: [${this.schemaStatus.join(' ')}]`
    }
    if (this.errors.length > 0) {
      s += `\n ${this.errors.length} errors: [` + this.errors.map((e) => `${e.code} (${LOAD_ERRORS[e.code].title})`).join(' ') + ']'
    }
    if (this.warnings.length > 0) {
      s += `\n ${this.warnings.length} warnings: [` + this.warnings.map((w) => `${w.code} (${LOAD_WARNINGS[w.code].title})`).join(' ') + ']'
    }
    return s
  }

  verbose(contents: ReadonlyMap<string, string>): string {
    let s = `${this.name}: ${this.successful ? 'Ok' : 'Invalid'}`
    if (this.successful && this.warnings.length > 0) s += ', with warnings'
    const block = (ctx: Context, head: string, msg: string): string =>
      ctx.asString() + '------\n' + ctx.snippet(contents) + '------\n' + `${head}: ${msg}\n`
    if (this.schemaStatus.length > 0 && !this.schemaValid) {
      s += `\n${this.schemaStatus.length} Schema warnings:\n` + this.schemaStatus.map((w) => `------\n${w}\n`).join('') + '------\n'
    }
    if (this.errors.length > 0) {
      s += `\n${this.errors.length} Errors:\n`
      for (const e of this.errors) s += block(e.ctx, `${e.code} (${LOAD_ERRORS[e.code].title})`, e.message)
    }
    if (this.warnings.length > 0) {
      s += `\n${this.warnings.length} Warnings:\n`
      for (const w of this.warnings) s += block(w.ctx, `${w.code} (${LOAD_WARNINGS[w.code].title})`, w.message)
    }
    return s
  }

  asJson(contents: ReadonlyMap<string, string>): object {
    const entry = (code: string, codedesc: string, message: string, ctx: Context): object => ({
      code,
      codedesc,
      context: { ...ctx.asJson(), snippet: ctx.snippet(contents) },
      message,
    })
    return {
      // Falco fills an error's codedesc with the error's title, and a warning's with its description.
      errors: this.errors.map((e) => entry(e.code, LOAD_ERRORS[e.code].title, e.message, e.ctx)),
      name: this.name,
      ...(this.schemaStatus.length > 0 ? { schema_valid: this.schemaValid, schema_warnings: this.schemaValid ? [] : this.schemaStatus } : {}),
      successful: this.successful,
      warnings: this.warnings.map((w) => entry(w.code, LOAD_WARNINGS[w.code].desc, w.message, w.ctx)),
    }
  }
}
