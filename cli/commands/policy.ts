// `shadowguard policy …`: the GitOps path. apply -f FILE|DIR reads policy documents (YAML or JSON,
// several per file with ---), shows each one's diff against the version on the server, and writes it
// with If-Match on that version (If-None-Match: * for a new one), so a concurrent change is a 412,
// never overwritten; --dry-run stops after the diff. get, list, history and rollback read and restore.
//
// A document is either { name, spec } or a Kubernetes-style { kind: ShadowguardPolicy, metadata:
// { name }, spec }; a file holding one bare spec takes its name from the file name (checkout.yaml).

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import YAML from 'yaml';
import { CliError, enc, type ApiClient } from '../client.js';
import { age, emit, table, type Printer } from '../output.js';

interface Policy {
  name: string;
  version: number;
  spec: Record<string, unknown>;
  updatedAt: string;
  updatedBy: string;
  warnings?: string[];
}
interface Doc {
  name: string;
  spec: Record<string, unknown>;
  source: string;
}
const POLICY_FILE = /\.(ya?ml|json)$/i;

export function readDocs(target: string): Doc[] {
  let files: string[];
  try {
    files = fs.statSync(target).isDirectory()
      ? fs
          .readdirSync(target)
          .filter((f) => POLICY_FILE.test(f))
          .sort()
          .map((f) => path.join(target, f))
      : [target];
  } catch (err) {
    throw new CliError(`cannot read ${target}: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new CliError(`${target} holds no .yaml, .yml or .json file`);
  return files.flatMap((file) => {
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
    const values = docs.map((d, i) => {
      if (d.errors.length > 0) throw new CliError(`${file}: document ${i + 1}: ${d.errors[0].message.split('\n')[0]}`);
      return d.toJS() as unknown;
    });
    return values
      .filter((v) => v !== null && v !== undefined)
      .map((v, i) =>
        toDoc(v, `${file}${values.length > 1 ? ` (document ${i + 1})` : ''}`, values.length === 1 ? file : undefined),
      );
  });
}

function toDoc(v: unknown, source: string, single?: string): Doc {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CliError(`${source}: a policy document is a mapping`);
  const o = v as Record<string, unknown>;
  const meta = o.metadata as { name?: unknown } | undefined;
  const name = typeof o.name === 'string' ? o.name : typeof meta?.name === 'string' ? meta.name : undefined;
  if (o.spec !== undefined && name) return { name, spec: o.spec as Record<string, unknown>, source };
  if (o.spec === undefined && Array.isArray(o.services) && single)
    return { name: path.basename(single).replace(POLICY_FILE, ''), spec: o, source };
  throw new CliError(
    `${source}: expected { name, spec }, { kind: ShadowguardPolicy, metadata: { name }, spec } or one bare spec per file`,
  );
}

export function specDiff(name: string, current: Policy | undefined, spec: unknown): string {
  const before = current ? YAML.stringify(current.spec) : '';
  const after = YAML.stringify(spec);
  if (before === after) return '';
  return createTwoFilesPatch(
    current ? `${name} (server, version ${current.version})` : `${name} (absent)`,
    `${name} (file)`,
    before,
    after,
    undefined,
    undefined,
    { context: 3 },
  )
    .split('\n')
    .slice(1) // the "Index:" line and its rule say nothing here
    .filter((l) => !/^=+$/.test(l))
    .join('\n')
    .trimEnd();
}

async function current(api: ApiClient, name: string): Promise<Policy | undefined> {
  const r = await api.call<Policy>('GET', `/policies/${enc(name)}`, { allow: [404] });
  return r.status === 404 ? undefined : r.body;
}

export function policyCommands(program: Command, ctx: () => { api: ApiClient; p: Printer }): void {
  const policy = program.command('policy').description('Apply, read and roll back policies (GitOps)');

  policy
    .command('apply')
    .description('Create or update policies from files: show the diff, then write with If-Match')
    .requiredOption('-f, --filename <path>', 'a policy file (YAML or JSON) or a directory of them')
    .option('--dry-run', 'show what would change and write nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  shadowguard policy apply -f policies/ --dry-run\n  shadowguard policy apply -f checkout.yaml',
    )
    .action(async (opts: { filename: string; dryRun?: boolean }) => {
      const { api, p } = ctx();
      const results: Array<Record<string, unknown>> = [];
      for (const doc of readDocs(opts.filename)) {
        const cur = await current(api, doc.name);
        const diff = specDiff(doc.name, cur, doc.spec);
        if (!diff) {
          results.push({ name: doc.name, result: 'unchanged', version: cur?.version });
          if (p.format === 'table') p.out(`policy/${doc.name} unchanged`);
          continue;
        }
        if (p.format === 'table') p.out(diff);
        if (opts.dryRun) {
          results.push({ name: doc.name, result: 'would change', version: cur?.version, diff });
          if (p.format === 'table') p.out(`policy/${doc.name} ${cur ? 'configured' : 'created'} (dry run)`);
          continue;
        }
        const headers: Record<string, string> = cur ? { 'if-match': `"${cur.version}"` } : { 'if-none-match': '*' };
        const r = await api.call<Policy>('PUT', `/policies/${enc(doc.name)}`, { body: doc.spec, headers });
        for (const w of r.body.warnings ?? []) p.err(`Warning: policy/${doc.name}: ${w}`);
        results.push({
          name: doc.name,
          result: cur ? 'configured' : 'created',
          version: r.body.version,
          warnings: r.body.warnings ?? [],
        });
        if (p.format === 'table')
          p.out(`policy/${doc.name} ${cur ? 'configured' : 'created'} (version ${r.body.version})`);
      }
      if (p.format !== 'table') emit(p, { results }, () => '');
    });

  policy
    .command('get')
    .description('Show one policy (-o yaml gives a document apply accepts back)')
    .argument('<name>', 'policy name')
    .action(async (name: string) => {
      const { api, p } = ctx();
      const r = await api.call<Policy>('GET', `/policies/${enc(name)}`);
      emit(p, r.body, () => policyTable([r.body]));
    });

  policy
    .command('list')
    .alias('ls')
    .description('List policies')
    .action(async () => {
      const { api, p } = ctx();
      const r = await api.call<{ policies: Policy[] }>('GET', '/policies');
      emit(p, r.body, () => policyTable(r.body.policies));
    });

  policy
    .command('history')
    .description("A policy's versions and audit trail")
    .argument('<name>', 'policy name')
    .action(async (name: string) => {
      const { api, p } = ctx();
      const r = await api.call<{ audit: Array<Record<string, unknown>> }>('GET', `/policies/${enc(name)}/history`);
      emit(p, r.body, () =>
        table(
          r.body.audit.map((a) => ({
            ...a,
            age: age(a.at as string),
            changes: (a.changes as Array<{ path: string; op: string }>).map((c) => `${c.op} ${c.path}`),
          })),
          [
            ['VERSION', 'toVersion'],
            ['ACTION', 'action'],
            ['BY', 'who'],
            ['AGE', 'age'],
            ['CHANGES', 'changes'],
          ],
        ),
      );
    });

  policy
    .command('rollback')
    .description('Restore an earlier version as a new version')
    .argument('<name>', 'policy name')
    .requiredOption('--to-version <n>', 'the version to restore', (v) => {
      if (!/^[1-9]\d*$/.test(v)) throw new CliError(`--to-version must be a version number, got '${v}'`, undefined, 2);
      return Number(v);
    })
    .action(async (name: string, opts: { toVersion: number }) => {
      const { api, p } = ctx();
      const r = await api.call<Policy>('POST', `/policies/${enc(name)}/rollback`, {
        body: { version: opts.toVersion },
      });
      emit(p, r.body, () => `policy/${name} rolled back to version ${opts.toVersion} (now version ${r.body.version})`);
    });
}

function policyTable(policies: Policy[]): string {
  return table(
    policies.map((x) => ({ ...x, services: x.spec.services, age: age(x.updatedAt) })),
    [
      ['NAME', 'name'],
      ['VERSION', 'version'],
      ['SERVICES', 'services'],
      ['UPDATED BY', 'updatedBy'],
      ['AGE', 'age'],
    ],
  );
}
