// The Dockerfile, parsed (Docker cannot run here): multi-stage, the runtime stage runs as a numeric
// non-root user with a HEALTHCHECK on /readyz and plain node on the built bin, every file or directory
// it COPYs from the build context exists and is not excluded by .dockerignore, and the tag it documents
// is the image the Kubernetes manifests run.
import fs from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import YAML from 'yaml';
import { expect, it } from 'vitest';

const text = fs.readFileSync('Dockerfile', 'utf8');
const df = DockerfileParser.parse(text);
const stages = df.getFROMs();
const ignored = fs
  .readFileSync('.dockerignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

it('has build, runtime-deps and runtime stages; the runtime copies only from earlier stages and the context', () => {
  expect(stages.map((f) => f.getBuildStage())).toEqual(['build', 'runtime-deps', 'runtime']);
  const runtime = df.getInstructions().filter((i) => i.getRange().start.line > stages[2].getRange().start.line);
  const froms = runtime
    .filter((i) => i.getKeyword() === 'COPY')
    .map((i) => /--from=(\S+)/.exec(i.getTextContent())?.[1]);
  expect(froms).toEqual(['runtime-deps', 'build', 'build']);
});

it('runs as a numeric non-root user, has a HEALTHCHECK on /readyz and runs the built bin with node', () => {
  const users = df.getInstructions().filter((i) => i.getKeyword() === 'USER');
  const last = users.at(-1)!;
  expect(last.getRange().start.line).toBeGreaterThan(stages[2].getRange().start.line);
  const uid = last.getArgumentsContent()!.split(':')[0];
  expect(uid).toMatch(/^\d+$/);
  expect(Number(uid)).toBeGreaterThan(0);
  const hc = df.getInstructions().find((i) => i.getKeyword() === 'HEALTHCHECK');
  expect(hc?.getTextContent()).toMatch(/\/readyz/);
  const entry = df.getInstructions().find((i) => i.getKeyword() === 'ENTRYPOINT');
  expect(JSON.parse(entry!.getArgumentsContent()!)).toEqual(['node', 'bin/shadow-control-plane.js']);
  expect(text).toMatch(/VOLUME \["\/var\/lib\/shadowguard"\]/);
});

it('every COPY source from the build context exists and is not .dockerignored', () => {
  const sources = df
    .getInstructions()
    .filter((i) => i.getKeyword() === 'COPY' && !/--from=/.test(i.getTextContent()))
    .flatMap((i) => {
      const args = i.getArguments().map((a) => a.getValue());
      return args.slice(0, -1);
    });
  expect(sources.length).toBeGreaterThan(8);
  for (const s of sources) {
    expect(fs.existsSync(s), `${s} exists`).toBe(true);
    expect(
      ignored.some((p) => s === p || s.startsWith(`${p}/`) || s.replace(/^\.\//, '') === p),
      `${s} ignored`,
    ).toBe(false);
  }
  // What the build stage runs exists as npm scripts.
  const scripts = JSON.parse(fs.readFileSync('package.json', 'utf8')).scripts;
  for (const m of text.matchAll(/npm run ([\w:]+)/g)) expect(scripts).toHaveProperty(m[1]);
});

it('the tag it documents is the image the manifests run', () => {
  const tag = /docker build -t (\S+) \./.exec(text)![1];
  const cp = YAML.parseAllDocuments(fs.readFileSync('envoy/istio/control-plane.yaml', 'utf8')).map((d) => d.toJS());
  const images = cp.flatMap((d) => d?.spec?.template?.spec?.containers?.map((c: { image: string }) => c.image) ?? []);
  expect(images).toEqual([tag]);
  const kustomization = YAML.parse(fs.readFileSync('deploy/kubernetes/base/kustomization.yaml', 'utf8'));
  const [name, newTag] = tag.split(':');
  expect(kustomization.images).toContainEqual({ name, newTag });
});
