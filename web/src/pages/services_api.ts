// The services resource of the admin API (docs/api/openapi.yaml, /services): plans with their
// speeds, pool, limits and FUP tiers. Rates are text as an operator writes them ("20M"), with
// the parsed bits per second beside them (download_bps).

import { request } from "../api";
import type { ListPage } from "../components/list_view";

export interface FupTier {
  tier: number;
  name: string;
  daily_bytes: number;
  monthly_bytes: number;
  download: string;
  download_bps?: number;
  upload: string;
  upload_bps?: number;
  filter_id: string;
}

export interface Service {
  id: number;
  name: string;
  download: string;
  download_bps: number;
  upload: string;
  upload_bps: number;
  burst_download?: string;
  burst_upload?: string;
  burst_threshold_download?: string;
  burst_threshold_upload?: string;
  burst_time?: number;
  priority?: number;
  pool: string;
  managed_pool?: string;
  idle_timeout?: number;
  session_timeout?: number;
  simultaneous_use: number;
  filter_id?: string;
  address_list?: string;
  fup_counts?: string;
  subscribers: number;
  fup_tiers?: FupTier[];
}

/** Every service (an ISP has tens: one page of 500). */
export async function listAllServices(): Promise<Service[]> {
  return (await request<ListPage<Service>>("/services?per_page=500")).items;
}

export const getService = (id: number) => request<Service>(`/services/${id}`);
export const createService = (body: Record<string, unknown>) => request<Service>("/services", { body });
export const updateService = (id: number, body: Record<string, unknown>) => request<Service>(`/services/${id}`, { method: "PATCH", body });
export const deleteService = (id: number) => request<void>(`/services/${id}`, { method: "DELETE" });
export const putFupTiers = (id: number, tiers: Record<string, unknown>[]) => request<Service>(`/services/${id}/fup`, { method: "PUT", body: { tiers } });
