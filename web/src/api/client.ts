// The one place the studio talks HTTP. Adds the saved credentials (sessionStorage), turns error
// bodies ({"error_code","message"}) into ApiError with a plain-words explanation, and tells the app
// when the server wants a sign-in (401).

const AUTH_KEY = 'mlws.auth';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
  ) {
    super(plainWords(status, code, serverMessage));
  }
  get notAvailable(): boolean {
    return this.status === 404 && this.code === 'ENDPOINT_NOT_FOUND';
  }
}

/** What went wrong, said for a person rather than a program. */
export function plainWords(status: number, code: string, message: string): string {
  const detail = message ? ` (${message})` : '';
  if (status === 0) return `Could not reach the server: is it running?${detail}`;
  if (status === 401) return `You need to sign in to see this.${detail}`;
  if (status === 403) return `Your role does not allow this here; ask a workspace Owner for access.${detail}`;
  if (code === 'ENDPOINT_NOT_FOUND') return `This server does not offer this feature.${detail}`;
  if (code === 'RESOURCE_DOES_NOT_EXIST' || status === 404) return `Not found: ${message || 'it may have been deleted.'}`;
  if (code === 'INVALID_PARAMETER_VALUE' || code === 'BAD_REQUEST' || status === 400)
    return `The server could not accept that: ${message || 'bad request.'}`;
  if (code === 'RESOURCE_ALREADY_EXISTS' || status === 409) return `That already exists: ${message}`;
  if (status === 503) return `The server is busy; try again in a moment.${detail}`;
  if (status >= 500) return `The server failed to answer (HTTP ${status}).${detail}`;
  return `Request failed (HTTP ${status}).${detail}`;
}

export function getAuth(): string | null {
  try {
    return sessionStorage.getItem(AUTH_KEY);
  } catch {
    return null;
  }
}

export function setAuth(header: string | null): void {
  if (header) sessionStorage.setItem(AUTH_KEY, header);
  else sessionStorage.removeItem(AUTH_KEY);
}

/** `Basic base64(user:password)` with UTF-8 safe encoding. */
export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return `Basic ${btoa(bin)}`;
}

export function bearerAuth(token: string): string {
  return `Bearer ${token.trim()}`;
}

type AuthListener = () => void;
const authListeners = new Set<AuthListener>();
// A 401 can arrive before the app subscribes (children's effects run first): remember it.
let authMissed = false;
export function onAuthRequired(fn: AuthListener): () => void {
  authListeners.add(fn);
  if (authMissed) {
    authMissed = false;
    fn();
  }
  return () => authListeners.delete(fn);
}
function authRequired(): void {
  if (authListeners.size === 0) authMissed = true;
  authListeners.forEach((fn) => fn());
}

export async function request(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  const auth = getAuth();
  if (auth) headers['Authorization'] = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    // credentials 'omit': the server answers 401 with `WWW-Authenticate: Basic`; with cookies or
    // credentials included the browser would pop its own login dialog instead of our sign-in form.
    // The studio sends its Authorization header explicitly and needs no cookies.
    res = await fetch(url, { method, headers, credentials: 'omit', body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', (e as Error).message);
  }
  if (!res.ok) {
    let code = '';
    let message = '';
    try {
      const j = await res.json();
      code = j.error_code ?? '';
      message = j.message ?? '';
    } catch {
      /* not JSON */
    }
    if (res.status === 401) authRequired();
    throw new ApiError(res.status, code, message);
  }
  return res;
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await request('GET', url, undefined, signal);
  return (await res.json()) as T;
}

export async function postJson<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await request('POST', url, body, signal);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Query string from an object; arrays become repeated keys (what GET RPCs expect). */
export function qs(params: Record<string, string | number | boolean | undefined | null | Array<string>>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, x));
    else sp.set(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}
