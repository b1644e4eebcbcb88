/** The login session: probe, log in with an API key (the server sets the cookie), log out. */
import { ApiError, call } from './api-http.js';

export async function sessionStatus(): Promise<boolean> {
  try {
    await call('GET', '/api/v1/session', undefined, { quiet401: true });
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // no session probe route: ask a cheap data route instead
      try {
        await call('GET', '/api/v1/readings?limit=1', undefined, { quiet401: true });
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }
}

export async function login(apiKey: string): Promise<void> {
  await call('POST', '/api/v1/session', { api_key: apiKey }, { quiet401: true });
}

export async function logout(): Promise<void> {
  await call('DELETE', '/api/v1/session', undefined, { quiet401: true });
}
