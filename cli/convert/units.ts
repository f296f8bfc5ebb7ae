// Compose's value syntaxes, parsed: durations ("1m30s"), byte sizes ("512m", "1gb"), shell-style
// command strings, and every port syntax. Each parser returns undefined (or throws with the value)
// on input it cannot read, so the mapper can name the field. Pure.

const DURATION_UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a compose duration ("1m30s", "10s", "500ms"; a bare number is seconds). */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  let total = 0;
  let rest = value;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, t: 2 ** 40, tb: 2 ** 40 };

/** Bytes in a compose size ("512m", "1gb", "64M", 1048576); compose's units are powers of 1024. */
export function bytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : undefined;
}

/** A byte count as a Kubernetes quantity: "512Mi" when it is whole in a binary unit, else the number. */
export function quantity(n: number): number | string {
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return n;
}

/** Splits a command string the way compose does (POSIX shell words: quotes and backslashes, no expansion). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end); i = end; inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && '"\\$`'.includes(text[j + 1] ?? '')) j++;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unclosed " in ${JSON.stringify(text)}`);
      i = j; inWord = true;
    } else if (c === '\\' && i + 1 < text.length) { word += text[++i]; inWord = true; } else if (/\s/.test(c)) {
      if (inWord) { words.push(word); word = ''; inWord = false; }
    } else { word += c; inWord = true; }
  }
  if (inWord) words.push(word);
  return words;
}

export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
  protocol: string;
}

function range(text: string): number[] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * One compose port entry, any syntax: 80, "80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]:80:80",
 * "8000-8010:8000-8010", "9090-9091:8080" (host range, first one used), or the long form
 * {target, published, host_ip, protocol}. Returns one mapping per container port.
 */
export function parsePort(entry: unknown): PortMapping[] {
  if (entry && typeof entry === 'object') {
    const e = entry as { target?: unknown; published?: unknown; host_ip?: unknown; protocol?: unknown };
    const targets = range(String(e.target ?? ''));
    const published = e.published === undefined || e.published === '' ? undefined : range(String(e.published));
    if (!targets || (e.published !== undefined && e.published !== '' && !published)) throw new Error(`cannot read port ${JSON.stringify(entry)}`);
    return targets.map((t, i) => ({
      containerPort: t, hostPort: published ? published[Math.min(i, published.length - 1)] : undefined,
      hostIp: e.host_ip === undefined ? undefined : String(e.host_ip), protocol: String(e.protocol ?? 'tcp').toLowerCase(),
    }));
  }
  let text = String(entry);
  let protocol = 'tcp';
  const slash = text.lastIndexOf('/');
  if (slash >= 0) { protocol = text.slice(slash + 1).toLowerCase(); text = text.slice(0, slash); }
  let hostIp: string | undefined;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (v6) { hostIp = v6[1]; text = v6[2]!; }
  const parts = text.split(':');
  if (!v6 && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || parts.length === 0) throw new Error(`cannot read port "${String(entry)}"`);
  const targets = range(parts.at(-1)!);
  const hosts = parts.length === 2 && parts[0] !== '' ? range(parts[0]!) : undefined;
  if (!targets || (parts.length === 2 && parts[0] !== '' && !hosts)) throw new Error(`cannot read port "${String(entry)}"`);
  // Equal-length ranges map one to one; a host range for one container port means "any of these".
  return targets.map((t, i) => ({
    containerPort: t, hostPort: hosts ? hosts[hosts.length === targets.length ? i : 0] : undefined,
    hostIp: hostIp === '' ? undefined : hostIp, protocol,
  }));
}
