// scripts/package-oci.ts builds an OCI image layout Istio can pull (compat variant, reference §3.4): every
// digest and size in index → manifest → config/layer verifies, the layer un-tars to exactly plugin.wasm equal
// to build/shadowguard.wasm, the tarball holds the same layout, and the digest is the same on every run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA, packageOci, type OciResult } from '../../scripts/package-oci.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WASM = path.join(REPO, 'build/shadowguard.wasm');
const require = createRequire(import.meta.url);
interface TarEntry extends AsyncIterable<Buffer> {
  header: { name: string; type: string; size: number };
}
const tar = require('tar-stream') as { extract(): NodeJS.WritableStream & AsyncIterable<TarEntry> };

async function untar(buf: Buffer): Promise<Map<string, { type: string; body: Buffer }>> {
  const ex = tar.extract();
  ex.end(buf);
  const out = new Map<string, { type: string; body: Buffer }>();
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(Buffer.from(c));
    out.set(entry.header.name, { type: entry.header.type, body: Buffer.concat(chunks) });
  }
  return out;
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let tmp: string;
let first: OciResult;
let second: OciResult;
const blob = (dir: string, digest: string) =>
  fs.readFileSync(path.join(dir, 'blobs/sha256', digest.replace(/^sha256:/, '')));

beforeAll(async () => {
  if (!fs.existsSync(WASM)) {
    const r = spawnSync('npx', ['asc', 'filter/index.ts', '--target', 'release'], { cwd: REPO, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the filter failed: ${r.stderr}`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-oci-'));
  first = await packageOci({ wasm: WASM, outDir: path.join(tmp, 'a'), tarPath: path.join(tmp, 'a.tar'), tag: 'test' });
  second = await packageOci({ wasm: WASM, outDir: path.join(tmp, 'b'), tarPath: path.join(tmp, 'b.tar'), tag: 'test' });
}, 120_000);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('package:oci', () => {
  it('writes an index whose manifest, config and layer digests and sizes all verify', () => {
    const dir = first.layoutDir;
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    expect(index.mediaType).toBe(MEDIA.index);
    expect(index.manifests).toHaveLength(1);
    const desc = index.manifests[0];
    expect(desc.annotations['org.opencontainers.image.ref.name']).toBe('test');
    const manifestBlob = blob(dir, desc.digest);
    expect(`sha256:${sha(manifestBlob)}`).toBe(desc.digest);
    expect(manifestBlob.length).toBe(desc.size);
    expect(desc.digest).toBe(`sha256:${first.manifestDigest}`);

    const manifest = JSON.parse(manifestBlob.toString());
    expect(manifest.mediaType).toBe(MEDIA.manifest);
    expect(manifest.annotations['module.wasm.image/variant']).toBe('compat');
    expect(manifest.config.mediaType).toBe(MEDIA.config);
    // Istio's compat path looks at the LAST layer; the compat spec wants exactly one.
    expect(manifest.layers.map((l: any) => l.mediaType)).toEqual([MEDIA.layer]);
    for (const d of [manifest.config, manifest.layers[0]]) {
      const b = blob(dir, d.digest);
      expect(`sha256:${sha(b)}`).toBe(d.digest);
      expect(b.length).toBe(d.size);
    }
    // No blob in the layout that nothing references.
    expect(fs.readdirSync(path.join(dir, 'blobs/sha256')).sort()).toEqual(
      [desc.digest, manifest.config.digest, manifest.layers[0].digest].map((d: string) => d.slice(7)).sort(),
    );
  });

  it('has one layer that un-tars to exactly plugin.wasm, byte-equal to build/shadowguard.wasm', async () => {
    const manifest = JSON.parse(blob(first.layoutDir, `sha256:${first.manifestDigest}`).toString());
    const layerTar = gunzipSync(blob(first.layoutDir, manifest.layers[0].digest));
    const files = await untar(layerTar);
    expect([...files.keys()]).toEqual(['plugin.wasm']);
    expect(files.get('plugin.wasm')!.type).toBe('file');
    expect(files.get('plugin.wasm')!.body.equals(fs.readFileSync(WASM))).toBe(true);
    expect(first.wasmSha256).toBe(sha(fs.readFileSync(WASM)));
    // The config's diff_id is the digest of the uncompressed layer, as the image spec requires.
    const config = JSON.parse(blob(first.layoutDir, manifest.config.digest).toString());
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha(layerTar)}`]);
  });

  it('writes a tarball holding the same layout', async () => {
    const files = await untar(fs.readFileSync(first.tarPath));
    const regular = [...files].filter(([, f]) => f.type === 'file');
    expect(regular.map(([n]) => n).sort()).toEqual(
      [
        'index.json',
        'oci-layout',
        ...fs.readdirSync(path.join(first.layoutDir, 'blobs/sha256')).map((d) => `blobs/sha256/${d}`),
      ].sort(),
    );
    for (const [name, f] of regular)
      expect(f.body.equals(fs.readFileSync(path.join(first.layoutDir, name)))).toBe(true);
  });

  it('is reproducible: same digests and identical tarballs across runs, in-process and from the command line', () => {
    expect(second.manifestDigest).toBe(first.manifestDigest);
    expect(fs.readFileSync(second.tarPath).equals(fs.readFileSync(first.tarPath))).toBe(true);
    const cli = spawnSync(
      'npx',
      [
        'tsx',
        'scripts/package-oci.ts',
        '--out',
        path.join(tmp, 'c'),
        '--tar',
        path.join(tmp, 'c.tar'),
        '--tag',
        'test',
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`sha256: "${first.manifestDigest}"`);
    expect(cli.stdout).toContain(`plugin.wasm:      sha256:${first.wasmSha256}`);
    expect(fs.readFileSync(path.join(tmp, 'c.tar')).equals(fs.readFileSync(first.tarPath))).toBe(true);
  }, 60_000);

  it('refuses a file that is not a Wasm module, with a clear error', async () => {
    const bogus = path.join(tmp, 'not.wasm');
    fs.writeFileSync(bogus, 'hello');
    await expect(
      packageOci({ wasm: bogus, outDir: path.join(tmp, 'd'), tarPath: path.join(tmp, 'd.tar'), tag: 'x' }),
    ).rejects.toThrow(/not a WebAssembly module/);
  });
});
