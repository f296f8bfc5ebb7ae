// A minimal ustar writer for the files of a `files` volume (the Engine's archive API takes a tar).
// Regular files and directories only, owned by root; names up to 255 bytes (ustar prefix + name).
const BLOCK = 512;

export interface TarEntry { path: string; mode: number; content?: Buffer; directory?: boolean }

function header(entry: TarEntry, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const suffix = entry.directory ? '/' : '';
  let name = `${entry.path}${suffix}`;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar: the part before the last '/' that leaves at most 100 bytes goes to the prefix field.
    const cut = entry.path.lastIndexOf('/');
    prefix = cut < 0 ? '' : entry.path.slice(0, cut);
    name = `${entry.path.slice(cut + 1)}${suffix}`;
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`file path too long for the archive (ustar: 155 + 100 bytes): ${entry.path}`);
  }
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;
  h.write(name, 0, 100, 'utf8');
  h.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');   // uid
  h.write(octal(0, 8), 116, 'ascii');   // gid
  h.write(octal(entry.directory ? 0 : entry.content?.length ?? 0, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');     // checksum placeholder
  h.write(entry.directory ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** The archive of ENTRIES, with every parent directory (mode 0755) before its files. */
export function tarArchive(entries: readonly TarEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const e of entries) {
    const segments = e.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (!dirs.has(dir)) { dirs.add(dir); parts.push(header({ path: dir, mode: 0o755, directory: true }, mtime)); }
    }
    const content = e.content ?? Buffer.alloc(0);
    parts.push(header(e, mtime), content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
