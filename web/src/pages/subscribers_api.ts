// Subscribers in the admin API (docs/api/openapi.yaml, /subscribers). The password is
// write-only: no answer carries it.

import { request } from "../api";
import type { ListPage } from "../components/list_view";
import type { Session } from "./sessions_api";

export interface Subscriber {
  id: number;
  username: string;
  service: string | null;
  static_ip: string | null;
  mac: string | null;
  expires_at: string | null;
  enabled: boolean;
  current_tier: number | string | null;
  created_at: string;
  reseller_id: number | null;
  online: boolean;
  open_sessions: number;
}

export interface UsageTotals {
  upload: number;
  download: number;
  total: number;
}

export interface SubscriberDetail extends Subscriber {
  sessions: Session[];
  usage: { timezone: string; today: UsageTotals; month: UsageTotals };
}

export interface Usage {
  subscriber_id: number;
  timezone: string;
  days: (UsageTotals & { day: string })[];
  months: (UsageTotals & { month: string })[];
}

export interface BulkAnswer {
  action: string;
  done: number;
  not_found: number;
}

export const listSubscribers = (query: string) => request<ListPage<Subscriber>>(`/subscribers?${query}`);
export const getSubscriber = (id: number) => request<SubscriberDetail>(`/subscribers/${id}`);
export const createSubscriber = (body: Record<string, unknown>) => request<Subscriber>("/subscribers", { body });
export const updateSubscriber = (id: number, body: Record<string, unknown>) => request<Subscriber>(`/subscribers/${id}`, { method: "PATCH", body });
export const deleteSubscriber = (id: number) => request<void>(`/subscribers/${id}`, { method: "DELETE" });
export const bulkSubscribers = (action: "enable" | "disable", ids: number[]) => request<BulkAnswer>("/subscribers/bulk", { body: { action, ids } });
export const subscriberUsage = (id: number, days = 30) => request<Usage>(`/subscribers/${id}/usage?days=${days}&months=12`);
