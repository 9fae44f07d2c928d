// Sessions (radacct rows) in the admin API: the online list, the history, and Disconnect
// (docs/api/openapi.yaml, /sessions). input_octets is what the subscriber sent (upload),
// output_octets what it received (download), as the NAS counts them (RFC 2866 5.3/5.4).

import { request } from "../api";
import type { ListPage } from "../components/list_view";

export interface Session {
  id: number;
  username: string;
  subscriber_id: number | null;
  acct_session_id: string;
  nas: string | null;
  nas_id: number | null;
  nas_ip: string | null;
  framed_ip: string | null;
  calling_station_id: string | null;
  start: string | null;
  last_update: string | null;
  stop: string | null;
  terminate_cause: string | null;
  input_octets: number;
  output_octets: number;
  session_time: number | null;
  online: boolean;
}

export interface DisconnectAnswer {
  coa_request_id: number;
  session_id: number;
  status: string;
  nas: string;
}

export const listSessions = (query: string) => request<ListPage<Session>>(`/sessions?${query}`);
export const disconnectSession = (id: number) => request<DisconnectAnswer>(`/sessions/${id}/disconnect`, { method: "POST" });
