/**
 * What counts as a secret, for messages and logs: a value is never printed when the key (or any
 * key on its JSON path) names a secret, and a URL is printed without its userinfo. Used by config
 * errors (src/config) and the broker's refusal log (src/boards/mqtt).
 */

/** Words that make a key secret, matched per word of the key (`api_key`, `apiKey`, `tls.key`). */
const SECRET_WORDS = new Set([
  'secret',
  'secrets',
  'password',
  'passwd',
  'pwd',
  'pass',
  'token',
  'tokens',
  'key',
  'keys',
  'apikey',
  'credential',
  'credentials',
  'authorization',
  'auth',
  'userinfo',
  'private',
]);

/** The words of a key: `apiKey` → api, key; `broker-password_2` → broker, password, 2. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** True when a key names a secret: secret, password, token, api_key, key, … (any word of it). */
export function isSecretKey(key: string): boolean {
  const ws = words(key);
  if (ws.some((w) => SECRET_WORDS.has(w))) return true;
  return ws.join('').includes('apikey');
}

/** The keys of a printed JSON path: `remotes[0].secret` → remotes, secret; `a["x y"]` → a, x y. */
export function pathKeys(path: string): string[] {
  const out: string[] = [];
  const re = /\[("(?:[^"\\]|\\.)*")\]|\[(\d+)\]|\.?([^.[\]]+)/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m[1] !== undefined) {
      try {
        out.push(String(JSON.parse(m[1])));
      } catch {
        out.push(m[1]);
      }
    } else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}

/** True when the value at this JSON path must not be printed (some key on the path is secret). */
export function isSecretPath(path: string): boolean {
  return pathKeys(path).some(isSecretKey);
}

/**
 * `scheme://user:pass@host/…` → `scheme://***@host/…`. Conservative: everything between `://` and
 * the last `@` before the path is hidden (a password may itself hold `@` or `:`). Query parameters
 * with a secret's name (`?token=…`, `&api_key=…`) keep their name and lose their value.
 */
export function hideUserinfo(address: string): string {
  return hideSecretParams(hideUserinfoOnly(address));
}

function hideUserinfoOnly(address: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(address);
  if (m === null) {
    // Not a URL with an authority; still hide a `user:pass@` prefix if there is one.
    return address.replace(/^[^/?#\s]*@/, '***@');
  }
  const rest = address.slice(m[1]!.length);
  const at = rest.lastIndexOf('@');
  if (at === -1) return address;
  // The authority ends at the first / ? # after the last @ (a password may hold / ? # unencoded).
  return `${m[1]}***@${rest.slice(at + 1)}`;
}

/** `?a=1&token=x;password=y` → `?a=1&token=***;password=***` (names as isSecretKey decides). */
export function hideSecretParams(text: string): string {
  return text.replace(
    /([?&;])([A-Za-z0-9_.%-]{1,100})=([^&;#\s"'`]*)/g,
    (all, sep: string, name: string) => {
      let key = name;
      try {
        key = decodeURIComponent(name);
      } catch {
        // a broken escape: judge the name as written
      }
      return isSecretKey(key) ? `${sep}${name}=***` : all;
    },
  );
}

/**
 * Hides every URL's userinfo inside a longer text (a message quoting a URL): in each run of
 * non-space, non-quote characters that contains `://`, everything between `://` and the run's last
 * `@` becomes `***`. One pass, linear in the text (a regex here backtracked quadratically on long
 * words).
 */
export function hideUserinfoIn(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    if (at < from) continue;
    let end = at + 3;
    while (end < text.length && !STOP.has(text[end]!)) end++;
    const last = text.lastIndexOf('@', end - 1);
    if (last >= at + 3) {
      out += `${text.slice(from, at + 3)}***`;
      from = last;
    }
    at = end - 3 > at ? end - 3 : at;
  }
  return hideSecretParams(out + text.slice(from));
}

const STOP = new Set([' ', '\t', '\n', '\r', '"', "'", '`']);
