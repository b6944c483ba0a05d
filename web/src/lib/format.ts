// Display formatting shared by every page. Pure functions, unit-tested.

/** 0.000123456 → "1.235e-4", 1234.5678 → "1234.568", integers stay integers. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(3).replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** Milliseconds → "0.37 ms", "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms > 0 && ms < 0.01) return '< 0.01 ms';
  if (ms > 0 && ms < 1) return `${Number(ms.toPrecision(2))} ms`; // spans of a trace often are
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Epoch milliseconds → "2026-11-26 14:03:07" in local time (sortable, unambiguous). */
export function formatTime(ms: number | null | undefined): string {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "3 min ago" style, relative to `now`. */
export function formatAgo(ms: number | null | undefined, now: number = Date.now()): string {
  if (!ms) return '';
  const d = Math.max(0, now - ms) / 1000;
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatMoney(v: number | null | undefined, currency = 'USD'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  return `${v.toFixed(2)} ${currency}`;
}

/** First 8 characters of a run id, the way people quote them. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** Does a file name look like text or an image we can preview? */
export function previewKind(path: string): 'image' | 'text' | 'none' {
  const ext = path.toLowerCase().split('.').pop() ?? '';
  if (['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp'].includes(ext)) return 'image';
  if (
    ['txt', 'log', 'json', 'yaml', 'yml', 'md', 'csv', 'tsv', 'py', 'sh', 'toml', 'ini', 'cfg', 'xml', 'html', 'js', 'ts', 'r', 'sql', 'mlmodel', 'properties'].includes(ext) ||
    ['MLmodel', 'requirements.txt', 'conda.yaml', 'Dockerfile', 'LICENSE', 'README'].some((n) => path.endsWith(n))
  )
    return 'text';
  return 'none';
}
