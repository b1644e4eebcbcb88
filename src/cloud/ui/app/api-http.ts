/**
 * The web UI's one way to call the cloud API: JSON in and out, the session cookie
 * (`wharf_session`, HTTP-only) on every call, the server's error message in an `ApiError`, and a
 * 401 anywhere announced (UNAUTHORIZED_EVENT) so the user is sent back to the login form.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const UNAUTHORIZED_EVENT = 'wharf:unauthorized';

function errorText(body: unknown, status: number): string {
  if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const e = b.error;
    if (
      e !== null &&
      typeof e === 'object' &&
      typeof (e as Record<string, unknown>).message === 'string'
    )
      return (e as { message: string }).message;
    if (typeof b.message === 'string') return b.message;
    if (typeof e === 'string') return e;
  }
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (opts.signal) init.signal = opts.signal;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // keep the text
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401)
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    throw new ApiError(res.status, errorText(parsed, res.status));
  }
  return parsed as T;
}
