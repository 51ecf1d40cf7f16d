// `npm run package:oci`: packs build/shadowguard.wasm as a Wasm OCI image that Istio's WasmPlugin can pull —
// an OCI image-layout directory (build/oci/) and the same layout as one tarball (build/shadowguard-oci.tar) —
// and prints the digests a WasmPlugin needs. Output is byte-for-byte reproducible: fixed mtimes, owners,
// modes, gzip header and JSON key order, so the same module always gives the same manifest digest.
//
// Format: the "compat" variant (reference §3.4; istio/istio pkg/wasm/imagefetcher.go, solo-io wasm image spec):
// a regular OCI image whose single tar+gzip layer holds /plugin.wasm, with the manifest annotation
// module.wasm.image/variant=compat. Istio accepts it, and so does every registry and tool that handles
// container images (oras, skopeo, crane, docker buildx). The wasm-specific artifact variant
// (application/vnd.module.wasm.content.layer.v1+wasm, exactly two layers with a runtime config) needs a
// registry that accepts custom media types and buys nothing here.
//
// Push: `oras cp --from-oci-layout build/oci:<tag> ghcr.io/<org>/shadowguard-filter:<tag>`
//   or  `skopeo copy oci-archive:build/shadowguard-oci.tar docker://ghcr.io/<org>/shadowguard-filter:<tag>`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

/** tar-stream 3 ships no type declarations: the part of its pack API used here. */
interface TarPack extends AsyncIterable<Buffer> {
  entry(header: TarHeader, body?: Buffer): unknown;
  finalize(): void;
}
interface TarHeader {
  name: string;
  type: 'file' | 'directory';
  size?: number;
  mode: number;
  mtime: Date;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}
const require = createRequire(import.meta.url);
const tar = require('tar-stream') as { pack(): TarPack };

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

const EPOCH = new Date(0);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
export interface OciResult {
  tag: string;
  layoutDir: string;
  tarPath: string;
  /** sha256 of the image manifest, hex — what WasmPlugin.sha256 must hold for an oci:// url. */
  manifestDigest: string;
  /** sha256 of plugin.wasm itself, hex — for http(s):// urls and Envoy's remote code sha256. */
  wasmSha256: string;
  layer: Descriptor;
  config: Descriptor;
}

/** A tar of the given entries with every variable field fixed, so equal input gives equal bytes. */
export async function deterministicTar(entries: Array<{ name: string; body?: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const base = { mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
  for (const e of entries) {
    if (e.body) pack.entry({ ...base, name: e.name, type: 'file', size: e.body.length, mode: 0o644 }, e.body);
    else pack.entry({ ...base, name: e.name, type: 'directory', mode: 0o755 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** gzip with a fixed header: Node writes mtime 0, but the OS byte comes from the zlib build. */
function deterministicGzip(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 9 });
  gz[9] = 3; // OS = Unix; the header has no CRC of its own (no FHCRC flag), the trailer CRC covers the data
  return gz;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export async function packageOci(opts: {
  wasm: string;
  outDir: string;
  tarPath: string;
  tag: string;
}): Promise<OciResult> {
  const wasm = fs.readFileSync(opts.wasm);
  if (wasm.length < 8 || wasm.readUInt32BE(0) !== 0x0061736d)
    throw new Error(`${opts.wasm} is not a WebAssembly module`);

  const layerTar = await deterministicTar([{ name: 'plugin.wasm', body: wasm }]);
  const layerBlob = deterministicGzip(layerTar);
  const layer: Descriptor = { mediaType: MEDIA.layer, digest: `sha256:${sha256(layerBlob)}`, size: layerBlob.length };

  // A minimal valid image config; no "created" field, which would break reproducibility.
  const configBlob = json({
    architecture: 'wasm',
    os: 'wasip1',
    config: {},
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
  });
  const config: Descriptor = {
    mediaType: MEDIA.config,
    digest: `sha256:${sha256(configBlob)}`,
    size: configBlob.length,
  };

  const manifestBlob = json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config,
    layers: [layer],
    annotations: {
      'module.wasm.image/variant': 'compat',
      'org.opencontainers.image.title': 'shadowguard-filter',
      'org.opencontainers.image.version': opts.tag,
    },
  });
  const manifestDigest = sha256(manifestBlob);
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: `sha256:${manifestDigest}`,
        size: manifestBlob.length,
        annotations: { 'org.opencontainers.image.ref.name': opts.tag },
      },
    ],
  });
  const layout = json({ imageLayoutVersion: '1.0.0' });

  const blobs = new Map<string, Buffer>([
    [layer.digest, layerBlob],
    [config.digest, configBlob],
    [`sha256:${manifestDigest}`, manifestBlob],
  ]);
  const files: Array<{ name: string; body?: Buffer }> = [
    { name: 'oci-layout', body: layout },
    { name: 'index.json', body: index },
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    ...[...blobs.keys()].sort().map((d) => ({ name: `blobs/sha256/${d.slice(7)}`, body: blobs.get(d)! })),
  ];

  // Start from an empty directory: a stale blob from an earlier build would otherwise ship in the tarball.
  fs.rmSync(opts.outDir, { recursive: true, force: true });
  fs.mkdirSync(opts.outDir, { recursive: true });
  for (const f of files) {
    const target = path.join(opts.outDir, f.name);
    if (f.body) fs.writeFileSync(target, f.body);
    else fs.mkdirSync(target, { recursive: true });
  }
  fs.mkdirSync(path.dirname(opts.tarPath), { recursive: true });
  fs.writeFileSync(opts.tarPath, await deterministicTar(files));

  return {
    tag: opts.tag,
    layoutDir: opts.outDir,
    tarPath: opts.tarPath,
    manifestDigest,
    wasmSha256: sha256(wasm),
    layer,
    config,
  };
}

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
}

async function main(argv: string[]): Promise<void> {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  const r = await packageOci({
    wasm: path.resolve(arg(argv, 'wasm', path.join(root, 'build/shadowguard.wasm'))),
    outDir: path.resolve(arg(argv, 'out', path.join(root, 'build/oci'))),
    tarPath: path.resolve(arg(argv, 'tar', path.join(root, 'build/shadowguard-oci.tar'))),
    tag: arg(argv, 'tag', version),
  });
  process.stdout.write(
    [
      `OCI image layout: ${r.layoutDir} (tag ${r.tag})`,
      `OCI archive:      ${r.tarPath}`,
      `manifest digest:  sha256:${r.manifestDigest}`,
      `plugin.wasm:      sha256:${r.wasmSha256}`,
      '',
      'WasmPlugin.sha256 for an oci:// url — Istio compares it with the image MANIFEST digest:',
      `  sha256: "${r.manifestDigest}"`,
      '(For an http(s):// url to the bare .wasm, use the plugin.wasm hash instead.)',
      '',
    ].join('\n'),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`package-oci: ${e.message}\n`);
    process.exit(1);
  });
}
