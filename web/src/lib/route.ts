// The page's routes (history routing; the controller answers these paths with index.html):
//   /                                   host list
//   /hosts/NS/NAME                      host detail
//   /hosts/NS/NAME/containers/C         one container, with its log tail
//   /sets                               container sets
//   /sets/NS/NAME                       one set: its rollout as a grid of hosts
//   /tokens                             agent tokens
//   /sources                            source problems (broken manifest files, failing informers)

export type Route =
  | { view: 'hosts' }
  | { view: 'host'; namespace: string; name: string }
  | { view: 'container'; namespace: string; name: string; container: string }
  | { view: 'sets' }
  | { view: 'set'; namespace: string; name: string }
  | { view: 'tokens' }
  | { view: 'sources' }
  | { view: 'not-found'; path: string };

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function decode(part: string): string | undefined {
  try { const d = decodeURIComponent(part); return NAME.test(d) ? d : undefined; } catch { return undefined; }
}

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'hosts')) return { view: 'hosts' };
  if (parts.length === 1 && parts[0] === 'tokens') return { view: 'tokens' };
  if (parts.length === 1 && parts[0] === 'sources') return { view: 'sources' };
  if (parts.length === 1 && parts[0] === 'sets') return { view: 'sets' };
  if (parts.length === 3 && parts[0] === 'sets') {
    const [namespace, name] = [decode(parts[1]!), decode(parts[2]!)];
    if (namespace && name) return { view: 'set', namespace, name };
  }
  if (parts[0] === 'hosts' && (parts.length === 3 || (parts.length === 5 && parts[3] === 'containers'))) {
    const [namespace, name, container] = [decode(parts[1]!), decode(parts[2]!), parts[4] === undefined ? undefined : decode(parts[4])];
    if (namespace && name && parts.length === 3) return { view: 'host', namespace, name };
    if (namespace && name && container) return { view: 'container', namespace, name, container };
  }
  return { view: 'not-found', path: pathname };
}

export function hrefFor(r: Route): string {
  const e = encodeURIComponent;
  switch (r.view) {
    case 'hosts': return '/';
    case 'host': return `/hosts/${e(r.namespace)}/${e(r.name)}`;
    case 'container': return `/hosts/${e(r.namespace)}/${e(r.name)}/containers/${e(r.container)}`;
    case 'sets': return '/sets';
    case 'set': return `/sets/${e(r.namespace)}/${e(r.name)}`;
    case 'tokens': return '/tokens';
    case 'sources': return '/sources';
    case 'not-found': return r.path;
  }
}

export function titleFor(r: Route): string {
  switch (r.view) {
    case 'hosts': return 'Hosts';
    case 'host': return `${r.namespace}/${r.name}`;
    case 'container': return `${r.container} on ${r.namespace}/${r.name}`;
    case 'sets': return 'Container sets';
    case 'set': return `set ${r.namespace}/${r.name}`;
    case 'tokens': return 'Agent tokens';
    case 'sources': return 'Source problems';
    case 'not-found': return 'Not found';
  }
}
