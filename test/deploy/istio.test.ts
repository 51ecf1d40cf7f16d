// Every document in envoy/istio/ (and legacy/) is valid for its kind: Istio resources against the Istio CRD
// models (strict), WasmPlugin pluginConfigs against the filter schema, and the references between the files
// hold (mirror subsets defined, control-plane cluster = the Service's gRPC port). Negative tests prove each check bites.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isIstioKind, istioSchemaErrors } from './istio-schema.js';
import { filterConfigErrors } from './envoy-refs.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../envoy/istio');
const FILES = [
  ...fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')),
  ...fs
    .readdirSync(path.join(DIR, 'legacy'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `legacy/${f}`),
];
function load(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJSON();
  });
}
const ALL = FILES.flatMap((f) => load(f).map((doc) => ({ file: f, doc })));
const MAIN = ALL.filter((x) => !x.file.startsWith('legacy/')).map((x) => x.doc);
const byKind = (docs: any[], kind: string) => docs.filter((d) => d.kind === kind);

/** Checks one resource on its own: schema, plugin configuration, Istio's own VirtualService rules. */
function resourceErrors(doc: any): string[] {
  if (!doc?.apiVersion || !doc?.kind || !doc?.metadata?.name)
    return ['apiVersion, kind and metadata.name are required'];
  if (!isIstioKind(doc)) return [];
  const errors = istioSchemaErrors(doc);
  if (doc.kind === 'WasmPlugin') {
    const pc = doc.spec?.pluginConfig;
    errors.push(...filterConfigErrors(pc).map((m) => `pluginConfig: ${m}`));
    const cp = pc?.controlPlane;
    if (cp?.cluster?.includes('|') && !cp.authority)
      errors.push("pluginConfig: an Istio cluster name contains '|': set controlPlane.authority");
  }
  if (doc.kind === 'VirtualService') {
    for (const r of doc.spec?.http ?? []) {
      if (r.mirror && r.mirrors) errors.push(`route ${r.name}: a route may not set both mirror and mirrors`);
    }
  }
  return errors;
}

/** Checks across the files that are applied together. */
function crossErrors(docs: any[]): string[] {
  const errors: string[] = [];
  const subsets = new Map<string, Set<string>>();
  for (const dr of byKind(docs, 'DestinationRule'))
    subsets.set(dr.spec.host, new Set((dr.spec.subsets ?? []).map((s: any) => s.name)));
  for (const vs of byKind(docs, 'VirtualService')) {
    for (const r of vs.spec.http ?? []) {
      const dests = [
        ...(r.route ?? []).map((x: any) => x.destination),
        r.mirror,
        ...(r.mirrors ?? []).map((m: any) => m.destination),
      ];
      for (const d of dests.filter(Boolean)) {
        if (d.subset && !subsets.get(d.host)?.has(d.subset))
          errors.push(`${vs.metadata.name}/${r.name}: subset '${d.subset}' of ${d.host} is not defined`);
      }
    }
  }
  const services = byKind(docs, 'Service');
  for (const wp of byKind(docs, 'WasmPlugin')) {
    const m = /^outbound\|(\d+)\|\|([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(
      wp.spec.pluginConfig?.controlPlane?.cluster ?? '',
    );
    if (!m) {
      errors.push(`${wp.metadata.name}: controlPlane.cluster is not an Istio outbound cluster name`);
      continue;
    }
    const svc = services.find((s) => s.metadata.name === m[2] && s.metadata.namespace === m[3]);
    const port = svc?.spec.ports.find((p: any) => String(p.port) === m[1]);
    if (port?.appProtocol !== 'grpc') errors.push(`${wp.metadata.name}: ${m[2]}.${m[3]} has no gRPC port ${m[1]}`);
  }
  for (const dep of byKind(docs, 'Deployment')) {
    const labels = dep.spec.template.metadata.labels;
    const sel = dep.spec.selector.matchLabels;
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v))
      errors.push(`${dep.metadata.name}: selector does not match template labels`);
    for (const ref of dep.spec.template.spec.containers.flatMap((c: any) => c.envFrom ?? [])) {
      const name = ref.configMapRef?.name;
      if (name && !byKind(docs, 'ConfigMap').some((c) => c.metadata.name === name))
        errors.push(`${dep.metadata.name}: ConfigMap ${name} missing`);
    }
    if (!services.some((s) => Object.entries(s.spec.selector ?? {}).every(([k, v]) => labels[k] === v))) {
      errors.push(`${dep.metadata.name}: no Service selects it`);
    }
  }
  return errors;
}

describe('envoy/istio manifests', () => {
  it.each(ALL.map((x) => [`${x.file} ${x.doc.kind}/${x.doc.metadata?.name}`, x.doc]))('%s is valid', (_n, doc) => {
    expect(resourceErrors(doc)).toEqual([]);
  });

  it('hold together: subsets, control-plane Service, Deployment wiring', () => {
    expect(crossErrors(MAIN)).toEqual([]);
    expect(
      byKind(MAIN, 'WasmPlugin').map((w) => [w.metadata.name, w.spec.match?.[0]?.mode, w.spec.failStrategy]),
    ).toEqual([
      ['shadowguard-edge', 'CLIENT', 'FAIL_OPEN'],
      ['shadowguard-candidate-inbound', 'SERVER', 'FAIL_CLOSE'],
      ['shadowguard-candidate-egress', 'CLIENT', 'FAIL_CLOSE'],
      ['shadowguard-secondary-inbound', 'SERVER', 'FAIL_CLOSE'],
      ['shadowguard-secondary-egress', 'CLIENT', 'FAIL_CLOSE'],
      ['shadowguard-candidate-data', 'CLIENT', 'FAIL_CLOSE'],
      ['shadowguard-secondary-data', 'CLIENT', 'FAIL_CLOSE'],
    ]);
  });

  it('the data guard is a NETWORK plugin on TCP ports only, and every shadow workload is REGISTRY_ONLY', () => {
    const data = byKind(MAIN, 'WasmPlugin').filter((w) => w.spec.type === 'NETWORK');
    expect(data.map((w) => w.spec.pluginConfig.variant)).toEqual(['candidate', 'secondary']);
    for (const w of data) {
      expect(w.spec.match).toHaveLength(1);
      expect(w.spec.match[0].ports.map((p: any) => p.number)).not.toContain(8080); // HTTP ports: the HTTP plugin
      expect(w.spec.pluginConfig.connections.defaultAction).toBe('deny');
    }
    const sidecars = byKind(MAIN, 'Sidecar');
    const tracks = sidecars.map((s) => s.spec.workloadSelector.labels['shadowguard.dev/track']).sort();
    expect(tracks).toEqual(['candidate', 'secondary']);
    for (const s of sidecars) expect(s.spec.outboundTrafficPolicy.mode).toBe('REGISTRY_ONLY');
  });

  it('mirror only requests carrying x-shadow-pair, to the candidate and the secondary', () => {
    const [mirror, live] = byKind(MAIN, 'VirtualService')[0].spec.http;
    expect(mirror.match).toEqual([{ headers: { 'x-shadow-pair': { regex: '.+' } } }]);
    expect(mirror.mirrors.map((m: any) => [m.destination.subset, m.percentage.value])).toEqual([
      ['v2-candidate', 100],
      ['v1-secondary', 100],
    ]);
    expect(live.match).toBeUndefined();
    expect(live.mirror ?? live.mirrors).toBeUndefined();
  });
});

describe('the Istio manifest checks reject', () => {
  const wasm = () => structuredClone(byKind(MAIN, 'WasmPlugin')[1]);
  const vs = () => structuredClone(byKind(MAIN, 'VirtualService')[0]);
  const cases: Array<[string, () => any, RegExp]> = [
    [
      'a bad phase (model)',
      () => {
        const d = wasm();
        d.spec.phase = 'FIRST';
        return d;
      },
      /model: .*phase/,
    ],
    [
      'an unknown spec field',
      () => {
        const d = wasm();
        d.spec.failstrategy = 'FAIL_OPEN';
        return d;
      },
      /additional properties 'failstrategy'/,
    ],
    [
      "Envoy's spelling of the fail strategy",
      () => {
        const d = wasm();
        d.spec.failStrategy = 'FAIL_CLOSED';
        return d;
      },
      /failStrategy must be equal to one of/,
    ],
    [
      'a sha256 that is not 64 hex digits',
      () => {
        const d = wasm();
        d.spec.sha256 = 'sha256:abc';
        return d;
      },
      /sha256 must match/,
    ],
    [
      'a wrong type (model)',
      () => {
        const d = wasm();
        d.spec.priority = 'high';
        return d;
      },
      /priority must be integer/,
    ],
    [
      'a pluginConfig the filter schema rejects',
      () => {
        const d = wasm();
        delete d.spec.pluginConfig.variant;
        return d;
      },
      /pluginConfig: .*variant/,
    ],
    [
      'an Istio cluster without authority',
      () => {
        const d = wasm();
        delete d.spec.pluginConfig.controlPlane.authority;
        return d;
      },
      /set controlPlane.authority/,
    ],
    [
      'a mirror percentage above 100',
      () => {
        const d = vs();
        d.spec.http[0].mirrors[0].percentage.value = 150;
        return d;
      },
      /must be <= 100/,
    ],
    [
      'a mirrors entry without destination',
      () => {
        const d = vs();
        delete d.spec.http[0].mirrors[1].destination;
        return d;
      },
      /required property 'destination'/,
    ],
    [
      'both mirror and mirrors',
      () => {
        const d = vs();
        d.spec.http[0].mirror = { host: 'shop' };
        return d;
      },
      /both mirror and mirrors/,
    ],
  ];
  it.each(cases)('%s', (_n, make, expected) => {
    expect(resourceErrors(make()).join('\n')).toMatch(expected);
  });

  it('a mirror to a subset no DestinationRule defines, and a control plane without a gRPC port', () => {
    const docs = structuredClone(MAIN);
    byKind(docs, 'VirtualService')[0].spec.http[0].mirrors[0].destination.subset = 'v2';
    byKind(docs, 'Service')[0].spec.ports[1].appProtocol = 'http';
    const errors = crossErrors(docs).join('\n');
    expect(errors).toMatch(/subset 'v2' .* is not defined/);
    expect(errors).toMatch(/has no gRPC port 18000/);
  });
});
