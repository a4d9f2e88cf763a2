// The .scap capture reader, following libscap's savefile engine
// (userspace/libscap/engine/savefile/scap_savefile.c): a section header block, the
// metadata blocks (machine, interfaces, users, processes, fds), then event blocks.
//
// Plain captures are streamed from disk in chunks, so a 1 GB capture needs a few MB of
// heap. Gzip captures (what sysdig and Falco's test traces use) are decompressed whole
// into memory first: node:zlib has no synchronous streaming inflate, and replay wants a
// synchronous loop. A truncated gzip stream still yields what it holds.
//
// Events are handed to a callback through one reused EventView; nothing is allocated per
// event. Problems with the capture never throw out of forEachEvent (the callback's own
// exceptions do): they end up in `reader.error` (fatal: reading stopped there, everything
// before was delivered) or `reader.notes`.
//
// By default events are delivered as libscap's savefile engine delivers them to libsinsp,
// through its converter (converter.ts): old event versions rewritten to the current ones,
// params an old capture lacks added (from the thread's enter event or as empty/default
// values), and the enter events it keeps for that dropped. `{ raw: true }` delivers the
// events as stored.

import { readFileSync } from 'node:fs'
import { gunzipSync, constants as zc } from 'node:zlib'
import { EVENT_HEADER_SIZE, EVENT_HEADER_SIZE_V1, EventView, paramLenSize } from '../events/event.js'
import { EVENTS, PPME } from '../events/table.js'
import {
  BLOCK, BLOCK_FRAMING, CURRENT_MAJOR_VERSION, EVB_FLAGS, EVB_LARGE, EVB_V2, MAX_SMALL_EVENT_BLOCK, SHB_MAGIC,
  SHB_MAGIC_SWAPPED, blockKind, blockName, eventBlockLayout,
} from './blocks.js'
import { EventConverter } from './converter.js'
import { CaptureError, MAX_NOTES, type CaptureErrorCode, type CaptureNote } from './errors.js'
import {
  BlockError, Cursor, parseFdList, parseInterfaceList, parseMachineInfo, parseProcList, parseUserList,
} from './metadata.js'
import { ByteSource, DEFAULT_CHUNK } from './source.js'
import type {
  CaptureSection, FdInfo, GroupInfo, InterfaceInfo, MachineInfo, SectionHeader, ThreadInfo, UserInfo,
} from './types.js'

export { CaptureError, type CaptureNote } from './errors.js'
export type * from './types.js'

/** Return false to stop the iteration. */
export type EventCallback = (ev: EventView, blockFlags: number, cpuid: number) => boolean | void

export interface ForEachOptions {
  /** Called when a new section (a concatenated capture) starts, before its first event. */
  onSection?: (section: CaptureSection, index: number) => void
  /**
   * Deliver events as stored in the file, skipping libscap's conversion (old versions,
   * missing params, enter events). For tests and tools that look at the file itself.
   */
  raw?: boolean
}

export interface OpenOptions {
  /** Read size for plain files (default 4 MiB). */
  chunkSize?: number
}

/** Counts for the last forEachEvent (droppedNotes: since open). */
export interface ReaderStats {
  /** Events delivered. */
  events: number
  /** Events skipped because their type is past the event table (scap skips them silently). */
  unknownTypeEvents: number
  /** Old-layout (EV/EVF v1) events converted to the V2 layout. */
  convertedV1Events: number
  /** Events rewritten by the converter (newer type, or params added); 0 when raw. */
  convertedEvents: number
  /** Events the converter dropped (enter events it keeps, old enter versions); 0 when raw. */
  droppedEvents: number
  /** Notes not kept because MAX_NOTES was reached. */
  droppedNotes: number
}

const GZIP_0 = 0x1f
const GZIP_1 = 0x8b

/**
 * Opens a capture file (plain or gzip, told apart by the gzip magic), reads its section
 * header and metadata, and stops before the first event. Throws CaptureError when the
 * file cannot be opened or does not start like a capture; any later problem is in
 * `reader.error`.
 */
export function openCapture(path: string, opts: OpenOptions = {}): CaptureReader {
  let src: ByteSource
  try {
    src = ByteSource.fromFile(path, opts.chunkSize ?? DEFAULT_CHUNK)
  } catch (e) {
    throw new CaptureError('OPEN_FAILED', 0, (e as Error).message, path)
  }
  src.ensure(2)
  if (src.readError !== null) {
    src.close()
    throw new CaptureError('OPEN_FAILED', 0, src.readError.message, path)
  }
  if (src.end >= 2 && src.buf[0] === GZIP_0 && src.buf[1] === GZIP_1) {
    src.close()
    // Whole-file read for gzip: see the note at the top.
    let raw: Uint8Array
    try {
      raw = readFileSync(path)
    } catch (e) {
      throw new CaptureError('OPEN_FAILED', 0, (e as Error).message, path)
    }
    return fromGzip(raw, path)
  }
  return new CaptureReader(src, path, false, [])
}

/** Opens a capture held in memory (plain or gzip). */
export function openCaptureBytes(bytes: Uint8Array, name = '<memory>'): CaptureReader {
  if (bytes.length >= 2 && bytes[0] === GZIP_0 && bytes[1] === GZIP_1) return fromGzip(bytes, name)
  return new CaptureReader(ByteSource.fromBytes(bytes), name, false, [])
}

function fromGzip(raw: Uint8Array, name: string): CaptureReader {
  const notes: CaptureNote[] = []
  let data: Uint8Array
  try {
    data = gunzipSync(raw)
  } catch (e) {
    // A truncated (or damaged) stream: decompress what can be, flushing instead of
    // demanding the trailer, and let the block parser report where the data stops.
    try {
      data = gunzipSync(raw, { finishFlush: zc.Z_SYNC_FLUSH })
    } catch (e2) {
      throw new CaptureError('GZIP_CORRUPT', 0, (e2 as Error).message, name)
    }
    notes.push({ code: 'GZIP_INCOMPLETE', offset: data.length, detail: `${(e as Error).message}; ${data.length} bytes recovered` })
  }
  return new CaptureReader(ByteSource.fromBytes(data), name, true, notes)
}

export class CaptureReader {
  /** Sections in stream order; sections[0] is read by open, later ones as events reach them. */
  readonly sections: CaptureSection[] = []
  /** The problem that stopped reading, or null. Set by open or by forEachEvent. */
  error: CaptureError | null = null
  readonly notes: CaptureNote[]
  readonly stats: ReaderStats = {
    events: 0, unknownTypeEvents: 0, convertedV1Events: 0, convertedEvents: 0, droppedEvents: 0, droppedNotes: 0,
  }
  /** Stream offset of the block holding the event being delivered. */
  eventOffset = 0

  private readonly src: ByteSource
  private readonly view = new EventView()
  private scratch = new Uint8Array(MAX_SMALL_EVENT_BLOCK + EVENT_HEADER_SIZE)
  private scratchDv = new DataView(this.scratch.buffer)
  /** Stream offset of the first event block (where forEachEvent starts). */
  private firstEvent = -1
  /** Error found while opening: forEachEvent delivers nothing after it. */
  private openError: CaptureError | null = null
  private readonly unknownTypesNoted = new Set<number>()
  /** Made on the first converted read, reused (and reset) by later ones. */
  private converter: EventConverter | null = null
  private metadataNoted = false

  constructor(
    src: ByteSource,
    /** File path or the name given to openCaptureBytes. */
    readonly path: string,
    /** True when the file was gzip. Offsets then count decompressed bytes. */
    readonly compressed: boolean,
    notes: CaptureNote[],
  ) {
    this.src = src
    this.notes = notes
    this.readHead()
  }

  // ---- convenience views of the first section -------------------------------------

  get header(): SectionHeader | null {
    return this.sections[0]?.header ?? null
  }
  get machine(): MachineInfo | null {
    return this.sections[0]?.machine ?? null
  }
  get interfaces(): InterfaceInfo[] {
    return this.sections[0]?.interfaces ?? []
  }
  get users(): UserInfo[] {
    return this.sections[0]?.users ?? []
  }
  get groups(): GroupInfo[] {
    return this.sections[0]?.groups ?? []
  }
  get threads(): ThreadInfo[] {
    return this.sections[0]?.threads ?? []
  }
  get fds(): Map<number, FdInfo[]> {
    return this.sections[0]?.fds ?? new Map()
  }
  /** Size of the (decompressed) stream in bytes. */
  get size(): number {
    return this.src.size
  }

  close(): void {
    this.src.close()
  }

  /**
   * Delivers every event from the first one, in file order, through one reused
   * EventView (its bytes are valid only during the callback). Can be called again to
   * replay from the start. Returns the number of events delivered; check `error`
   * afterwards to tell a clean end from a truncated or corrupt capture. Events are converted
   * as libscap converts them unless `opts.raw` (see the top of the file); an event the
   * converter cannot convert stops reading with a BAD_EVENT error, as it stops libscap.
   */
  forEachEvent(cb: EventCallback, opts: ForEachOptions = {}): number {
    this.stats.events = 0
    this.stats.unknownTypeEvents = 0
    this.stats.convertedV1Events = 0
    this.stats.convertedEvents = 0
    this.stats.droppedEvents = 0
    let conv: EventConverter | null = null
    if (opts.raw !== true) {
      conv = this.converter ??= new EventConverter()
      conv.reset()
    }
    if (this.openError !== null) {
      this.error = this.openError
      return 0
    }
    this.error = null
    const src = this.src
    src.seek(this.firstEvent)
    let sectionIndex = 0
    let count = 0
    const view = this.view
    // Nearly every block has the type of the one before: remember its layout.
    let lastType = -1
    let lastLayout = -1
    for (;;) {
      if (!src.ensure(8)) {
        const left = src.remaining
        if (left !== 0) this.fail('TRUNCATED', src.offset, `${left} bytes left where a block header (8) should be`)
        break
      }
      const at = src.offset
      let p = src.pos
      let dv = src.dv
      const type = dv.getUint32(p, true)
      const total = dv.getUint32(p + 4, true)
      if (total < BLOCK_FRAMING) {
        this.fail('BAD_BLOCK_LENGTH', at, `block ${blockName(type)} has total length ${total}`)
        break
      }
      if (type !== lastType) {
        lastType = type
        lastLayout = eventBlockLayout(type)
      }
      const layout = lastLayout
      if (layout < 0) {
        // Not an event: a new section (concatenated captures) or stray metadata.
        const kind = blockKind(type)
        if (kind === 'shb') {
          const section = this.readSection()
          if (section === null) break
          sectionIndex++
          if (opts.onSection !== undefined) opts.onSection(section, sectionIndex)
          continue
        }
        if (!this.metadataNoted && kind !== 'unknown') {
          this.metadataNoted = true
          this.note('METADATA_AFTER_EVENTS', at, `${blockName(type)} block after events; merged into the current section`)
        }
        const section = this.sections[sectionIndex] ?? this.sections[this.sections.length - 1]!
        const ok = this.readMetadataBlock(section)
        attachFds(section)
        if (!ok) break
        continue
      }
      if (!src.ensure(total)) {
        this.fail('TRUNCATED', at, `${blockName(type)} block declares ${total} bytes, ${src.remaining} left`)
        break
      }
      p = src.pos
      dv = src.dv
      const hdrLen = (layout & EVB_V2) !== 0 ? EVENT_HEADER_SIZE : EVENT_HEADER_SIZE_V1
      if (total < BLOCK_FRAMING + hdrLen) {
        this.fail('BAD_BLOCK_LENGTH', at, `event block length ${total} is too short`)
        break
      }
      if ((layout & EVB_LARGE) === 0 && total - 8 > MAX_SMALL_EVENT_BLOCK) {
        this.fail('BAD_BLOCK_LENGTH', at, `event block length ${total} is larger than a non-large block may be`)
        break
      }
      const cpuid = dv.getUint16(p + 8, true)
      let flags = 0
      let evOff = p + 10
      if ((layout & EVB_FLAGS) !== 0) {
        flags = dv.getUint32(evOff, true)
        evOff += 4
      }
      const avail = p + total - 4 - evOff
      if (avail < hdrLen) {
        this.fail('BAD_EVENT', at, `event header (${hdrLen} bytes) does not fit in the ${Math.max(0, avail)} bytes of its block`)
        break
      }
      const evType = dv.getUint16(evOff + 20, true)
      src.skip(total)
      if (evType >= EVENTS.length) {
        // An event newer than our table: skipped, as scap does.
        this.stats.unknownTypeEvents++
        if (!this.unknownTypesNoted.has(evType)) {
          this.unknownTypesNoted.add(evType)
          this.note('UNKNOWN_EVENT_TYPE', at, `event type ${evType}`)
        }
        continue
      }
      if ((layout & EVB_V2) !== 0) {
        view.reset(src.buf, evOff)
        const evLen = view.len
        if (evLen > avail) {
          this.fail('BAD_EVENT', at, `invalid event: len ${evLen} is larger than the ${avail} bytes available in the block`)
          break
        }
        const bad = view.error()
        if (bad !== null) {
          this.fail('BAD_EVENT', at, `invalid event: ${bad}`)
          break
        }
      } else {
        const bad = this.convertV1(src.buf, dv, evOff, avail, evType)
        if (bad !== null) {
          this.fail('BAD_EVENT', at, bad)
          break
        }
        view.reset(this.scratch, 0)
        const bad2 = view.error()
        if (bad2 !== null) {
          this.fail('BAD_EVENT', at, `invalid event: ${bad2}`)
          break
        }
        this.stats.convertedV1Events++
      }
      let ev = view
      if (conv !== null) {
        const out = conv.convert(view)
        if (out === null) {
          if (conv.error !== null) {
            this.fail('BAD_EVENT', at, `cannot convert event: ${conv.error}`)
            break
          }
          this.stats.droppedEvents = conv.stats.dropped
          continue
        }
        ev = out
        this.stats.convertedEvents = conv.stats.converted
      }
      ev.cpuid = cpuid
      this.eventOffset = at
      count++
      this.stats.events = count
      if (cb(ev, flags, cpuid) === false) break
    }
    return count
  }

  // ---- old event layout ------------------------------------------------------------

  /**
   * Rewrites a V1 event (a 22-byte header, no nparams) into the V2 layout in the
   * scratch buffer. Like scap, nparams is found by trying the table's count for the
   * type, then one fewer, and so on, until the param lengths add up to the event len.
   */
  private convertV1(buf: Uint8Array, dv: DataView, off: number, avail: number, type: number): string | null {
    let oldLen = dv.getUint32(off + 16, true)
    if (oldLen < EVENT_HEADER_SIZE_V1) return `invalid event: len ${oldLen} is smaller than the old header (${EVENT_HEADER_SIZE_V1})`
    if (oldLen > avail) return `invalid event: len ${oldLen} is larger than the ${avail} bytes available in the block`
    let newLen = oldLen + 4
    // Old captures stored these two with a len 3 bytes too big (scap corrects it the same way).
    if (type === PPME.NOTIFICATION_E || type === PPME.INFRASTRUCTURE_EVENT_E) {
      newLen -= 3
      oldLen -= 3
    }
    if (newLen > this.scratch.length) {
      this.scratch = new Uint8Array(newLen)
      this.scratchDv = new DataView(this.scratch.buffer)
    }
    const out = this.scratch
    out.set(buf.subarray(off, off + EVENT_HEADER_SIZE_V1), 0)
    out.set(buf.subarray(off + EVENT_HEADER_SIZE_V1, off + oldLen), EVENT_HEADER_SIZE)
    const sdv = this.scratchDv
    sdv.setUint32(16, newLen, true)
    const lenSize = paramLenSize(type)
    const maxParams = EVENTS[type]!.params.length
    for (let n = maxParams; n >= 0; n--) {
      let p = EVENT_HEADER_SIZE + n * lenSize
      if (p > newLen) continue
      for (let i = 0; i < n; i++) {
        const lp = EVENT_HEADER_SIZE + i * lenSize
        p += lenSize === 2 ? sdv.getUint16(lp, true) : sdv.getUint32(lp, true)
      }
      if (p < newLen) return 'cannot convert old event to the current layout: params end before the event does'
      if (p === newLen) {
        sdv.setUint32(22, n, true)
        return null
      }
    }
    return 'cannot convert old event to the current layout: no param count matches its length'
  }

  // ---- head and metadata -----------------------------------------------------------

  private readHead(): void {
    const src = this.src
    if (!src.ensure(8) || src.dv.getUint32(src.pos, true) !== BLOCK.SHB) {
      src.close()
      throw new CaptureError('NOT_A_CAPTURE', 0, src.end < 8 ? 'the file is shorter than a block header' : 'the first block is not a section header', this.path)
    }
    const section = this.readSection()
    if (section === null) {
      const e = this.error!
      if (CAPTURE_FATAL_AT_OPEN.has(e.code)) {
        src.close()
        throw e
      }
      this.openError = e
      return
    }
    this.firstEvent = src.offset
    if (!src.ensure(8)) {
      this.fail('NO_EVENTS', src.offset, 'no events in file')
      this.openError = this.error
    }
  }

  /**
   * Reads an SHB and the metadata blocks after it, up to (not including) the next event
   * block. Returns null, with `error` set, when a block cannot be read.
   */
  private readSection(): CaptureSection | null {
    const src = this.src
    const at = src.offset
    if (!src.ensure(8)) {
      this.fail('TRUNCATED', at, 'section header block cut short')
      return null
    }
    const total = src.dv.getUint32(src.pos + 4, true)
    // SHB: header(8) + magic u32, major u16, minor u16, section_length u64 + options + trailer(4).
    if (total < BLOCK_FRAMING + 16) {
      this.fail('BAD_BLOCK_LENGTH', at, `section header block length ${total} is less than ${BLOCK_FRAMING + 16}`)
      return null
    }
    if (!src.ensure(total)) {
      this.fail('TRUNCATED', at, `section header block declares ${total} bytes, ${src.remaining} left`)
      return null
    }
    const p = src.pos
    const dv = src.dv
    const magic = dv.getUint32(p + 8, true)
    if (magic !== SHB_MAGIC) {
      this.fail('BAD_BYTE_ORDER', at, magic === SHB_MAGIC_SWAPPED
        ? 'the capture was written on a big-endian machine; only little-endian captures are supported (as in scap)'
        : `invalid magic number 0x${magic.toString(16)}`)
      return null
    }
    const header: SectionHeader = {
      offset: at,
      major: dv.getUint16(p + 12, true),
      minor: dv.getUint16(p + 14, true),
      sectionLength: dv.getBigInt64(p + 16, true),
    }
    if (header.major > CURRENT_MAJOR_VERSION) {
      this.fail('VERSION_UNSUPPORTED', at, `major version ${header.major}.${header.minor}; this reader knows ${CURRENT_MAJOR_VERSION}.x`)
      return null
    }
    if (!this.checkTrailer(p, total, at, 'SHB')) return null
    src.skip(total)
    const section: CaptureSection = {
      header, machine: null, interfaces: [], users: [], groups: [], threads: [], fds: new Map(), blocks: {},
    }
    const existing = this.sections.findIndex(s => s.header.offset === at)
    if (existing >= 0) this.sections[existing] = section
    else this.sections.push(section)
    for (;;) {
      if (!src.ensure(8)) {
        if (src.remaining !== 0) {
          this.fail('TRUNCATED', src.offset, `${src.remaining} bytes left where a block header (8) should be`)
          return null
        }
        break
      }
      const type = src.dv.getUint32(src.pos, true)
      if (eventBlockLayout(type) >= 0 || type === BLOCK.SHB) break
      if (!this.readMetadataBlock(section)) {
        attachFds(section)
        return null
      }
    }
    attachFds(section)
    return section
  }

  /** Reads one non-event block at `pos` into `section`. False (error set) when it fails. */
  private readMetadataBlock(section: CaptureSection): boolean {
    const src = this.src
    const at = src.offset
    const type = src.dv.getUint32(src.pos, true)
    const total = src.dv.getUint32(src.pos + 4, true)
    const name = blockName(type)
    if (total < BLOCK_FRAMING) {
      this.fail('BAD_BLOCK_LENGTH', at, `block ${name} has total length ${total}`)
      return false
    }
    if (!src.ensure(total)) {
      this.fail('TRUNCATED', at, `${name} block declares ${total} bytes, ${src.remaining} left`)
      return false
    }
    const p = src.pos
    const c = new Cursor(src.buf, src.dv, p + 8, p + total - 4, src.base)
    const note = (code: CaptureErrorCode, offset: number, detail: string): void => this.note(code, offset, detail)
    try {
      switch (blockKind(type)) {
        case 'mi':
          section.machine = parseMachineInfo(c)
          break
        case 'il':
          parseInterfaceList(c, type, section.interfaces, note)
          break
        case 'ul':
          parseUserList(c, type, section.users, section.groups)
          break
        case 'pl':
          parseProcList(c, type, section.threads)
          break
        case 'fdl':
          parseFdList(c, type, section.fds, note)
          break
        default:
          this.note('UNKNOWN_BLOCK', at, `block type ${name}, ${total} bytes, skipped`)
      }
    } catch (e) {
      if (!(e instanceof BlockError)) throw e
      this.fail(e.code, e.offset, `in ${name} block at offset ${at}: ${e.detail}`)
      return false
    }
    if (!this.checkTrailer(p, total, at, name)) return false
    section.blocks[name] = (section.blocks[name] ?? 0) + 1
    src.skip(total)
    return true
  }

  private checkTrailer(p: number, total: number, at: number, name: string): boolean {
    const trailer = this.src.dv.getUint32(p + total - 4, true)
    if (trailer !== total) {
      this.fail('BAD_BLOCK_LENGTH', at, `${name} block: wrong block total length, header=${total}, trailer=${trailer}`)
      return false
    }
    return true
  }

  private fail(code: CaptureErrorCode, offset: number, detail: string): void {
    // A failed read looks like a short file to the parsers: say what really happened.
    const io = this.src.readError
    if (code === 'TRUNCATED' && io !== null) this.error = new CaptureError('READ_FAILED', offset, io.message, this.path)
    else this.error = new CaptureError(code, offset, detail, this.path)
  }

  private note(code: CaptureErrorCode, offset: number, detail: string): void {
    if (this.notes.length < MAX_NOTES - 1) this.notes.push({ code, offset, detail })
    else if (this.notes.length === MAX_NOTES - 1) this.notes.push({ code: 'NOTES_LIMIT', offset, detail: `${MAX_NOTES - 1} notes kept` })
    else this.stats.droppedNotes++
  }
}

/** Errors that mean "this is not a capture we can read at all": openCapture throws them. */
const CAPTURE_FATAL_AT_OPEN: ReadonlySet<CaptureErrorCode> = new Set(['BAD_BYTE_ORDER', 'VERSION_UNSUPPORTED'])

function attachFds(section: CaptureSection): void {
  for (const t of section.threads) {
    const list = section.fds.get(t.tid)
    if (list !== undefined) t.fds = list
  }
}
