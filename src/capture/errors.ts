// What can go wrong while reading a capture, one record per code. The reader never
// throws past `openCapture`: problems found while reading become a `CaptureError`
// in `reader.error` (reading stops there; everything before it was delivered) or a
// `CaptureNote` in `reader.notes` (reading goes on).

export const CAPTURE_ERRORS = {
  OPEN_FAILED: { title: 'Cannot open the capture file', fatal: true },
  NOT_A_CAPTURE: { title: 'Not a scap capture (no section header block)', fatal: true },
  BAD_BYTE_ORDER: { title: 'Section header has a foreign or unknown byte-order magic', fatal: true },
  VERSION_UNSUPPORTED: { title: 'Capture format major version is newer than this reader', fatal: true },
  READ_FAILED: { title: 'Reading the capture file failed', fatal: true },
  TRUNCATED: { title: 'The capture ends in the middle of a block', fatal: true },
  BAD_BLOCK_LENGTH: { title: 'A block length is impossible or its trailer disagrees', fatal: true },
  BAD_BLOCK_CONTENT: { title: 'A metadata block does not parse', fatal: true },
  BAD_EVENT: { title: 'An event does not fit its block or its own length', fatal: true },
  NO_EVENTS: { title: 'The capture has no event block', fatal: true },
  GZIP_CORRUPT: { title: 'The gzip stream is corrupt', fatal: true },
  // Notes: reading continues.
  GZIP_INCOMPLETE: { title: 'The gzip stream ends early; reading what it holds', fatal: false },
  UNKNOWN_BLOCK: { title: 'Unknown block type skipped', fatal: false },
  UNKNOWN_EVENT_TYPE: { title: 'Events of a type newer than the event table skipped', fatal: false },
  UNKNOWN_FD_TYPE: { title: 'An fd entry of unknown type kept as unsupported', fatal: false },
  UNKNOWN_INTERFACE_TYPE: { title: 'An interface entry of unknown type skipped', fatal: false },
  METADATA_AFTER_EVENTS: { title: 'A metadata block between events, outside a new section', fatal: false },
  NOTES_LIMIT: { title: 'Too many notes; later ones are only counted', fatal: false },
} as const satisfies Record<string, { title: string; fatal: boolean }>

export type CaptureErrorCode = keyof typeof CAPTURE_ERRORS

/**
 * A problem at a byte offset. For a gzip capture the offset counts bytes of the
 * decompressed stream, which is where scap's own offsets point too.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError'
  constructor(
    readonly code: CaptureErrorCode,
    readonly offset: number,
    readonly detail: string,
    readonly path = '',
  ) {
    super(`${path ? `${path}: ` : ''}${CAPTURE_ERRORS[code].title} at offset ${offset}: ${detail}`)
  }
}

export interface CaptureNote {
  readonly code: CaptureErrorCode
  readonly offset: number
  readonly detail: string
}

/** Most notes kept per reader; a hostile capture could otherwise grow the list without bound. */
export const MAX_NOTES = 100
