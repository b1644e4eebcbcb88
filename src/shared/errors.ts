/**
 * Every error wharf raises carries a stable `code`; callers branch on the code, never on the text.
 * The message is derived from the code plus what went wrong, where, and what to do.
 */
export type WharfErrorCode =
  // config
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'CONFIG_RESOLVE'
  // boards
  | 'BOARD_DISCONNECTED'
  | 'BOARD_TIMEOUT'
  | 'BOARD_PROTOCOL'
  | 'BOARD_AUTH'
  | 'BOARD_UNSUPPORTED'
  | 'BOARD_LINK_BUDGET'
  // capture
  | 'CAPTURE_IO'
  | 'CAPTURE_CORRUPT'
  | 'CAPTURE_CLOSED'
  | 'CAPTURE_LOCKED'
  // sync
  | 'SYNC_UNREACHABLE'
  | 'SYNC_REJECTED'
  | 'SYNC_AUTH'
  // cloud
  | 'CLOUD_AUTH'
  | 'CLOUD_BAD_REQUEST'
  | 'CLOUD_SQL_REFUSED'
  | 'CLOUD_STORE'
  | 'CLOUD_FORBIDDEN'
  | 'CLOUD_NOT_FOUND'
  | 'CLOUD_INGEST_REJECTED'
  | 'CLOUD_UNSUPPORTED_MEDIA'
  | 'CLOUD_SQL_LIMIT'
  | 'CLOUD_SQL_BUSY'
  | 'CLOUD_UNREACHABLE'
  // firmware
  | 'FIRMWARE_BUILD'
  | 'FIRMWARE_FLASH'
  | 'TOOLCHAIN_MISSING'
  // service (systemd)
  | 'SERVICE'
  // generic
  | 'USAGE'
  | 'INTERNAL';

export class WharfError extends Error {
  readonly code: WharfErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: WharfErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WharfError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isWharfError(err: unknown, code?: WharfErrorCode): err is WharfError {
  return err instanceof WharfError && (code === undefined || err.code === code);
}

/** Render any thrown value as a one-line message (never throws). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return 'unknown error';
  }
}
