// Who is logged in. Tokens live in memory and in sessionStorage: a reload keeps the session,
// closing the tab ends it, and other sites cannot read it (unlike a cookie, it is never sent
// by the browser on its own, so there is no CSRF to defend against).

export interface Reseller {
  id: number;
  name: string;
}

export interface Admin {
  id: number;
  username: string;
  role: string;
  permissions: string[];
  reseller: Reseller | null;
}

/** The body of POST /auth/login and /auth/refresh (docs/api-auth.md). */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  refresh_expires_in: number;
  admin: Admin;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  admin: Admin;
}

const kStorageKey = "gatehouse.session";

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(kStorageKey);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.accessToken !== "string" || typeof parsed.refreshToken !== "string") return null;
    if (!parsed.admin || typeof parsed.admin.username !== "string") return null;
    return parsed as Session;
  } catch {
    // Storage disabled or a corrupt entry: start logged out.
    return null;
  }
}

let current: Session | null = load();

function save(): void {
  try {
    if (current) sessionStorage.setItem(kStorageKey, JSON.stringify(current));
    else sessionStorage.removeItem(kStorageKey);
  } catch {
    // Without storage the session still works until the next reload.
  }
}

export function session(): Session | null {
  return current;
}

export function startSession(pair: TokenPair): void {
  current = { accessToken: pair.access_token, refreshToken: pair.refresh_token, admin: pair.admin };
  save();
}

export function updateAdmin(admin: Admin): void {
  if (!current) return;
  current = { ...current, admin };
  save();
}

export function endSession(): void {
  current = null;
  save();
}

export function can(permission: string): boolean {
  return current?.admin.permissions.includes(permission) ?? false;
}
