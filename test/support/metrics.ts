// The one reader of the controller's /metrics for tests. One meaning of "missing": `metric()`
// resolves to undefined when no sample of that name with exactly those labels is exposed (a counter
// never incremented, a gauge not registered). A caller that means "absent counts as 0" writes `?? 0`
// where it says so. (Before, three copies disagreed: two returned undefined, one returned 0.)

/** Where to read from: a base URL (`http://127.0.0.1:1234`) or anything with a `url` (a BerthEnv). */
export type MetricsSource = string | { readonly url: string };

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Every sample of the Prometheus text exposition at SOURCE/metrics. */
export async function samples(source: MetricsSource): Promise<Sample[]> {
  const base = typeof source === 'string' ? source : source.url;
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`GET ${base}/metrics answered ${res.status}`);
  return parseSamples(await res.text());
}

/** The Prometheus text format's sample lines (comments skipped). Pure. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function labelsOf(labels: string | Record<string, string>): Record<string, string> {
  if (typeof labels !== 'string') return labels;
  return parseSamples(`x{${labels}} 0`)[0]?.labels ?? {};
}

/**
 * The value of the sample NAME whose labels are exactly LABELS (`'reason="expired"'` or
 * `{ reason: 'expired' }`; none: the unlabelled sample), or undefined when it is not exposed.
 */
export async function metric(source: MetricsSource, name: string, labels: string | Record<string, string> = {}): Promise<number | undefined> {
  const want = labelsOf(labels);
  const keys = Object.keys(want);
  const hit = (await samples(source)).find((s) => s.name === name
    && Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === want[k]));
  return hit?.value;
}

/** The whole exposition text at SOURCE/metrics (for tests that search it, e.g. for leaked secrets). */
export async function metricsText(source: MetricsSource): Promise<string> {
  return (await fetch(`${typeof source === 'string' ? source : source.url}/metrics`)).text();
}

/** The value of the unlabelled sample NAME in an exposition TEXT already read, or undefined when it is missing. */
export function metricValue(text: string, name: string): number | undefined {
  return parseSamples(text).find((s) => s.name === name && Object.keys(s.labels).length === 0)?.value;
}
