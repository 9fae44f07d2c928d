// The NAS resource of the admin API (docs/api/openapi.yaml, /nas): types and calls.
// Secrets never come back: has_secret / has_api_password say whether one is set.

import { request } from "../api";
import type { ListPage } from "../components/list_view";

export interface CoaHealth {
  pending: number;
  acked: number;
  naked: number;
  failed: number;
  expired: number;
  acked_via_api?: number;
  verified?: number;
  unverified?: number;
  last_ack_at?: string | null;
  last_failure_at?: string | null;
  last_failure?: string | null;
}

export interface Nas {
  id: number;
  name: string;
  ip: string;
  type: string;
  coa_port: number;
  enabled: boolean;
  has_secret: boolean;
  require_message_authenticator: boolean;
  description: string | null;
  api_username: string | null;
  has_api_password: boolean;
  api_port: number | null;
  api_ssl_port: number | null;
  api_tls: boolean;
  is_online: boolean | null;
  last_seen: string | null;
  version: string | null;
  identity: string | null;
  uptime: string | null;
  board_name: string | null;
  last_check_at: string | null;
  last_check_error: string | null;
  active_sessions: number;
  coa?: CoaHealth;
}

export interface NasCheck {
  check: string;
  status: "ok" | "fail" | "skipped" | string;
  elapsed_ms: number;
  detail: string;
}

export interface NasTestResult {
  id: number;
  name: string;
  ip: string;
  ok: boolean;
  checks: NasCheck[];
}

export const kNasTypes: [string, string][] = [
  ["mikrotik", "MikroTik"],
  ["generic", "Generic RADIUS"],
  ["cisco", "Cisco"],
  ["juniper", "Juniper"],
  ["huawei", "Huawei"],
];

/** Every NAS the caller may see (an ISP has tens, not thousands: one page of 500). */
export async function listAllNas(): Promise<Nas[]> {
  const page = await request<ListPage<Nas>>("/nas?per_page=500");
  return page.items;
}

export const getNas = (id: number) => request<Nas>(`/nas/${id}`);
export const createNas = (body: Record<string, unknown>) => request<Nas>("/nas", { body });
export const updateNas = (id: number, body: Record<string, unknown>) => request<Nas>(`/nas/${id}`, { method: "PATCH", body });
export const deleteNas = (id: number) => request<void>(`/nas/${id}`, { method: "DELETE" });
export const testNas = (id: number) => request<NasTestResult>(`/nas/${id}/test`, { method: "POST" });
