// Numbers as an operator reads them: bytes in powers of 1024 (what routers and billing show),
// rates in decimal bits per second (as the service plans are written: 20M = 20,000,000 bit/s),
// durations as "2 d 3 h", times in the browser's locale.

const kByteUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 -> "1.5 KiB"; null/undefined -> "—". */
export function formatBytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  let unit = 0;
  let n = Math.max(0, value);
  while (n >= 1024 && unit < kByteUnits.length - 1) {
    n /= 1024;
    ++unit;
  }
  return unit === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${kByteUnits[unit]}`;
}

/** 20000000 -> "20 Mbit/s". */
export function formatBps(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const units: [number, string][] = [
    [1e9, "Gbit/s"],
    [1e6, "Mbit/s"],
    [1e3, "kbit/s"],
  ];
  for (const [size, name] of units) {
    if (value >= size) return `${Number((value / size).toFixed(2))} ${name}`;
  }
  return `${value} bit/s`;
}

/** Seconds -> "3 h 12 min", "2 d 4 h", "45 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${hours} h`;
  if (hours > 0) return `${hours} h ${min} min`;
  if (min > 0) return `${min} min ${s % 60} s`;
  return `${s} s`;
}

/** Seconds since an ISO time, or null when it does not parse. */
export function secondsSince(iso: string | null | undefined, now = Date.now()): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : Math.max(0, (now - at) / 1000);
}

/** An ISO time in the browser's locale, "—" when absent. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString();
}
