// The fetch wrapper every page uses: JSON in and out, the Bearer token, one refresh on 401,
// and the server's error shape ({"error": {status, code, field?, message}}, docs/api.md).

import { endSession, session, startSession, type TokenPair } from "./auth";

export const kApiBase = "/api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Seconds from Retry-After on 429 and 503. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** What a person reads: the server's message, prefixed by the field it names. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.field ? `${error.field}: ${error.message}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** false for the routes that take no token (login, refresh, health). */
  auth?: boolean;
}

type SessionEndedListener = (reason: string) => void;
let sessionEnded: SessionEndedListener = () => {};

/** Called once the session is gone for good (refresh refused): the app shows the login page. */
export function onSessionEnded(listener: SessionEndedListener): void {
  sessionEnded = listener;
}

function retryAfterSeconds(response: Response): number | undefined {
  const value = response.headers.get("Retry-After");
  if (value === null) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  // RFC 9110 10.2.3 also allows an HTTP-date.
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

async function errorFrom(response: Response): Promise<ApiError> {
  const retryAfter = retryAfterSeconds(response);
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.message) {
      return new ApiError(response.status, body.error.code ?? "error", body.error.message, body.error.field, retryAfter);
    }
  } catch {
    // Not our JSON (a proxy's error page): fall through to the status line.
  }
  return new ApiError(response.status, "http", `HTTP ${response.status} ${response.statusText}`.trim(), undefined, retryAfter);
}

async function send(path: string, options: RequestOptions, token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  try {
    return await fetch(kApiBase + path, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, "network", "cannot reach the server");
  }
}

// Refresh tokens are single-use (rotation, docs/api-auth.md): two parallel refreshes with one
// token would look like a stolen token and end every session of the admin. So every request
// that meets a 401 waits on the same refresh.
let refreshing: Promise<boolean> | null = null;

function refreshOnce(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const refreshToken = session()?.refreshToken;
      if (!refreshToken) return false;
      const response = await send("/auth/refresh", { body: { refresh_token: refreshToken } }, undefined);
      if (!response.ok) return false;
      startSession((await response.json()) as TokenPair);
      return true;
    })()
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const useAuth = options.auth ?? true;
  const tokenUsed = useAuth ? session()?.accessToken : undefined;
  let response = await send(path, options, tokenUsed);
  if (response.status === 401 && tokenUsed) {
    // Another request may already have refreshed while this one was in flight.
    const now = session()?.accessToken;
    const renewed = (now !== undefined && now !== tokenUsed) || (await refreshOnce());
    if (renewed) response = await send(path, options, session()?.accessToken);
    if (response.status === 401) {
      endSession();
      sessionEnded("Your session has ended. Please log in again.");
    }
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export interface Health {
  status: string;
  version: string;
  database: string;
  redis: string;
}
