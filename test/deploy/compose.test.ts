// envoy/docker-compose.yaml parses and agrees with envoy/envoy.yaml: it mounts the bootstrap where the command
// reads it and the module where every Wasm filter loads it, every hostname the bootstrap dials is a service,
// and the ports line up (edge published, egress proxies, control-plane gRPC).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkBootstrapRefs } from './envoy-refs.js';

const ENVOY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../envoy');
const compose = parse(fs.readFileSync(path.join(ENVOY_DIR, 'docker-compose.yaml'), 'utf8'));
const bootstrap = parse(fs.readFileSync(path.join(ENVOY_DIR, 'envoy.yaml'), 'utf8'));
const services = compose.services as Record<string, any>;
/** "host:container[:ro]" → { host path resolved from envoy/, container path } */
const mounts = (svc: any) =>
  (svc.volumes ?? []).map((v: string) => {
    const [src, dst] = v.split(':');
    return { src: src.startsWith('.') ? path.resolve(ENVOY_DIR, src) : src, dst };
  });
const endpoints = () =>
  bootstrap.static_resources.clusters.map((c: any) => ({
    cluster: c.name,
    ...c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address,
  }));
const listenerPort = (name: string) =>
  bootstrap.static_resources.listeners.find((l: any) => l.name === name).address.socket_address.port_value;

describe('envoy/docker-compose.yaml', () => {
  it('runs the official Envoy image on the bootstrap it mounts', () => {
    const envoy = services.envoy;
    expect(envoy.image).toMatch(/^envoyproxy\/envoy:v1\.3\d/);
    const cfg = envoy.command[envoy.command.indexOf('-c') + 1];
    expect(mounts(envoy)).toContainEqual({ src: path.join(ENVOY_DIR, 'envoy.yaml'), dst: cfg });
  });

  it('mounts build/shadowguard.wasm where every Wasm filter in envoy.yaml loads it', () => {
    const { wasm } = checkBootstrapRefs(bootstrap);
    expect(wasm.length).toBeGreaterThan(0);
    const filenames = new Set(wasm.map((w) => w.filename));
    expect(filenames.size).toBe(1);
    const [filename] = filenames;
    const mount = mounts(services.envoy).find((m: any) => m.dst === filename);
    expect(mount?.src).toBe(path.resolve(ENVOY_DIR, '../build/shadowguard.wasm'));
  });

  it('has a service for every hostname the bootstrap dials, and loops 127.0.0.1 only to its own listeners', () => {
    const listenerPorts = bootstrap.static_resources.listeners.map((l: any) => l.address.socket_address.port_value);
    for (const ep of endpoints()) {
      if (ep.address === '127.0.0.1') expect(listenerPorts, ep.cluster).toContain(ep.port_value);
      else expect(Object.keys(services), ep.cluster).toContain(ep.address);
    }
  });

  it('lines up the ports: edge published, egress proxies, control-plane gRPC', () => {
    expect(services.envoy.ports).toContain(`${listenerPort('edge_ingress')}:${listenerPort('edge_ingress')}`);
    expect(services.candidate.environment.EGRESS_PROXY).toBe(`http://envoy:${listenerPort('candidate_egress')}`);
    expect(services.secondary.environment.EGRESS_PROXY).toBe(`http://envoy:${listenerPort('secondary_egress')}`);
    const cp = endpoints().find((e: any) => e.cluster === 'shadowguard_control_plane');
    expect(cp.address).toBe('control-plane');
    expect(Number(services['control-plane'].environment.SHADOWGUARD_GRPC_PORT)).toBe(cp.port_value);
    expect(services['control-plane'].command.join(' ')).toContain('shadow-control-plane');
  });
});
