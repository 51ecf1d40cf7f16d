// Control-plane configuration: defaults < config file (YAML or JSON) < environment < command line.
// Every source is checked, and an error names the source and the field. The one safety rule: with no
// API tokens the REST API runs without authentication, which is allowed on a loopback address only.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import type { ApiToken } from './api/plugins/auth.js';
import { PAIRING_DEFAULTS } from './pairing/pairer.js';

export interface ControlPlaneConfig {
  /** Address both servers bind to. */
  host: string;
  httpPort: number;
  grpcPort: number;
  dataDir: string;
  /** The replicated mode's shared store (docs/replicated.md): a postgres:// URL; absent = SQLite in dataDir. */
  store?: { url: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** API tokens; empty = authentication disabled (loopback only). */
  tokens: ApiToken[];
  /** Bearer token the filters must present on the gRPC stream; undefined = not checked. */
  streamToken?: string;
  /** per-service stream tokens: a filter may report only for the services of its token */
  streamCredentials?: Array<{ name: string; token: string; services: string[] }>;
  /** Istio workload identities (SPIFFE IDs from x-forwarded-client-cert) → services they may report for */
  streamIdentities?: Array<{ spiffe: string; services: string[] }>;
  /** maxPendingBytes bounds the bodies held by pending pairs (maxPending alone could hold gigabytes). */
  pairing: {
    windowMs: number;
    maxPending: number;
    maxPendingBytes: number;
    /** replicated mode: halves meet in this Redis (redis://…), whichever replica they reach; absent = in memory */
    redisUrl?: string;
  };
  /** Alert delivery (webhook/): per-attempt timeout, retries, signing secret, allowed targets. */
  webhook: {
    timeoutMs: number;
    attempts: number;
    backoffMs: number;
    maxBackoffMs: number;
    /** Standard Webhooks signing secret ('whsec_…'); SHADOWGUARD_WEBHOOK_SECRET */
    secret?: string;
    allowHttp: boolean;
    allowLoopback: boolean;
    allowLinkLocal: boolean;
    allowHosts: string[];
    denyHosts: string[];
  };
  /** Label cardinality caps of /metrics (docs/metrics.md). */
  metrics: { endpointsPerPolicy: number; destinationsPerPolicy: number; rulesPerPolicy: number };
  /** How often report state is written to the store (also written on shutdown). */
  persistIntervalMs: number;
  bodyLimitBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const USAGE = `usage: shadow-control-plane [options]

  --http-port <n>    REST API, dashboard and /metrics port   (SHADOWGUARD_HTTP_PORT, default 8080)
  --grpc-port <n>    filter stream (gRPC) port                (SHADOWGUARD_GRPC_PORT, default 18000)
  --host <addr>      bind address                             (SHADOWGUARD_HOST, default 127.0.0.1)
  --data-dir <dir>   SQLite data directory                    (SHADOWGUARD_DATA_DIR, default ./data)
  --store-url <url>  PostgreSQL store shared by replicas       (SHADOWGUARD_STORE_URL; default: SQLite in --data-dir)
  --redis-url <url>  Redis where replicas pair halves          (SHADOWGUARD_REDIS_URL; default: in memory)
  --config <file>    YAML or JSON configuration file          (SHADOWGUARD_CONFIG)
  --log-level <lvl>  fatal|error|warn|info|debug|trace|silent (SHADOWGUARD_LOG_LEVEL, default info)
  -h, --help         this text

  Environment only: SHADOWGUARD_VIEWER_TOKENS, SHADOWGUARD_EDITOR_TOKENS (comma-separated),
  SHADOWGUARD_STREAM_TOKEN, SHADOWGUARD_WEBHOOK_SECRET. Without any API token the API is unauthenticated and must bind to loopback.`;

const token = {
  anyOf: [
    { type: 'string', minLength: 16, maxLength: 4096 },
    {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'token'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 128 },
        token: { type: 'string', minLength: 16, maxLength: 4096 },
      },
    },
  ],
};
const port = { type: 'integer', minimum: 0, maximum: 65535 };
const ms = (max: number) => ({ type: 'integer', minimum: 1, maximum: max });

/** The config file's schema (every field optional). */
export const configFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1 },
    httpPort: port,
    grpcPort: port,
    dataDir: { type: 'string', minLength: 1 },
    store: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: { url: { type: 'string', pattern: '^postgres(ql)?://', maxLength: 4096 } },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    tokens: {
      type: 'object',
      additionalProperties: false,
      properties: { viewer: { type: 'array', items: token }, editor: { type: 'array', items: token } },
    },
    streamToken: { type: 'string', minLength: 16, maxLength: 4096 },
    streamCredentials: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'token', 'services'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          token: { type: 'string', minLength: 16, maxLength: 4096 },
          services: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    streamIdentities: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['spiffe', 'services'],
        properties: {
          spiffe: { type: 'string', pattern: '^spiffe://', maxLength: 2048 },
          services: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    pairing: {
      type: 'object',
      additionalProperties: false,
      properties: {
        windowMs: ms(3_600_000),
        maxPending: { type: 'integer', minimum: 1, maximum: 10_000_000 },
        maxPendingBytes: { type: 'integer', minimum: 64 * 1024, maximum: 64 * 1024 ** 3 },
        redisUrl: { type: 'string', pattern: '^rediss?://', maxLength: 4096 },
      },
    },
    webhook: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutMs: ms(120_000),
        attempts: { type: 'integer', minimum: 1, maximum: 20 },
        backoffMs: ms(600_000),
        maxBackoffMs: ms(3_600_000),
        secret: { type: 'string', minLength: 16, maxLength: 4096 },
        allowHttp: { type: 'boolean' },
        allowLoopback: { type: 'boolean' },
        allowLinkLocal: { type: 'boolean' },
        allowHosts: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 253 } },
        denyHosts: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 253 } },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        endpointsPerPolicy: { type: 'integer', minimum: 1, maximum: 1000 },
        destinationsPerPolicy: { type: 'integer', minimum: 1, maximum: 1000 },
        rulesPerPolicy: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    persistIntervalMs: ms(86_400_000),
    bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024 },
  },
} as const;

export type TokenEntry = string | { name: string; token: string };
interface FileConfig extends Partial<Omit<ControlPlaneConfig, 'tokens' | 'pairing' | 'webhook' | 'metrics'>> {
  metrics?: Partial<ControlPlaneConfig['metrics']>;
  tokens?: { viewer?: TokenEntry[]; editor?: TokenEntry[] };
  pairing?: Partial<ControlPlaneConfig['pairing']>;
  webhook?: Partial<ControlPlaneConfig['webhook']>;
}

const validateFile = new Ajv({ allErrors: false, strict: true }).compile<FileConfig>(configFileSchema);

export const DEFAULTS = {
  host: '127.0.0.1',
  httpPort: 8080,
  grpcPort: 18000,
  dataDir: './data',
  logLevel: 'info',
  pairing: PAIRING_DEFAULTS,
  webhook: {
    timeoutMs: 5_000,
    attempts: 4,
    backoffMs: 500,
    maxBackoffMs: 30_000,
    allowHttp: false,
    allowLoopback: false,
    allowLinkLocal: false,
    allowHosts: [] as string[],
    denyHosts: [] as string[],
  },
  metrics: { endpointsPerPolicy: 50, destinationsPerPolicy: 50, rulesPerPolicy: 50 },
  persistIntervalMs: 10_000,
  bodyLimitBytes: 1024 * 1024,
} as const;

function redisOf(url: string | undefined): { redisUrl?: string } {
  if (url === undefined || url === '') return {};
  if (!/^rediss?:\/\/./.test(url)) throw new ConfigError('the Redis URL must be a redis:// (or rediss://) URL');
  return { redisUrl: url };
}

function storeOf(url: string | undefined): Pick<ControlPlaneConfig, 'store'> {
  if (url === undefined || url === '') return {};
  if (!/^postgres(ql)?:\/\/./.test(url))
    throw new ConfigError(
      'the store URL must be a postgres:// (or postgresql://) URL; without one the store is SQLite',
    );
  return { store: { url } };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function readFile(file: string): FileConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!validateFile(doc)) {
    const e = validateFile.errors![0];
    const p = e.params as Record<string, unknown>;
    const extra = e.keyword === 'additionalProperties' ? ` '${String(p.additionalProperty)}'` : '';
    throw new ConfigError(`config file ${file}: ${e.instancePath || '/'} ${e.message}${extra}`);
  }
  return doc;
}

/** Numeric option from the command line or the environment, named after its source. */
function int(value: string | undefined, source: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${source} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function tokensOf(file: FileConfig, env: NodeJS.ProcessEnv): ApiToken[] {
  const merged = (role: 'viewer' | 'editor'): TokenEntry[] => [
    ...(file.tokens?.[role] ?? []),
    ...list(env[`SHADOWGUARD_${role.toUpperCase()}_TOKENS`]),
  ];
  return apiTokenList({ viewer: merged('viewer'), editor: merged('editor') });
}

/**
 * Viewer and editor lists (a bare token or { name, token }) as the API's token list: at least 16
 * characters, one role per token, a bare token named "<role>-<n>". Throws ConfigError naming the token.
 */
export function apiTokenList(lists: { viewer?: TokenEntry[]; editor?: TokenEntry[] }): ApiToken[] {
  const out: ApiToken[] = [];
  for (const role of ['viewer', 'editor'] as const) {
    (lists[role] ?? []).forEach((e, i) => {
      const t = typeof e === 'string' ? { name: `${role}-${i + 1}`, token: e } : e;
      if (typeof t.token !== 'string' || t.token.length < 16)
        throw new ConfigError(`${role} token '${t.name}': tokens must be at least 16 characters`);
      if (out.some((o) => o.token === t.token))
        throw new ConfigError(`token '${t.name}' is listed twice; a token has one role`);
      out.push({ name: t.name, token: t.token, role });
    });
  }
  return out;
}

export type ConfigResult = { help: true; usage: string } | { help: false; config: ControlPlaneConfig };

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): ConfigResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'http-port': { type: 'string' },
        'grpc-port': { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        'store-url': { type: 'string' },
        'redis-url': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return { help: true, usage: USAGE };
  const arg = (k: string) => values[k] as string | undefined;

  const configFile = arg('config') ?? env.SHADOWGUARD_CONFIG;
  const file = configFile ? readFile(configFile) : {};
  const logLevel = arg('log-level') ?? env.SHADOWGUARD_LOG_LEVEL ?? file.logLevel ?? DEFAULTS.logLevel;
  if (!(configFileSchema.properties.logLevel.enum as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      `log level must be one of ${configFileSchema.properties.logLevel.enum.join(', ')}, got '${logLevel}'`,
    );
  }

  const config: ControlPlaneConfig = {
    host: arg('host') ?? env.SHADOWGUARD_HOST ?? file.host ?? DEFAULTS.host,
    httpPort:
      int(arg('http-port'), '--http-port', 0, 65535) ??
      int(env.SHADOWGUARD_HTTP_PORT, 'SHADOWGUARD_HTTP_PORT', 0, 65535) ??
      file.httpPort ??
      DEFAULTS.httpPort,
    grpcPort:
      int(arg('grpc-port'), '--grpc-port', 0, 65535) ??
      int(env.SHADOWGUARD_GRPC_PORT, 'SHADOWGUARD_GRPC_PORT', 0, 65535) ??
      file.grpcPort ??
      DEFAULTS.grpcPort,
    dataDir: arg('data-dir') ?? env.SHADOWGUARD_DATA_DIR ?? file.dataDir ?? DEFAULTS.dataDir,
    logLevel: logLevel as ControlPlaneConfig['logLevel'],
    tokens: tokensOf(file, env),
    pairing: { ...DEFAULTS.pairing, ...file.pairing, ...redisOf(arg('redis-url') ?? env.SHADOWGUARD_REDIS_URL) },
    webhook: { ...DEFAULTS.webhook, ...file.webhook },
    metrics: { ...DEFAULTS.metrics, ...file.metrics },
    persistIntervalMs: file.persistIntervalMs ?? DEFAULTS.persistIntervalMs,
    bodyLimitBytes: file.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
    ...storeOf(arg('store-url') ?? env.SHADOWGUARD_STORE_URL ?? file.store?.url),
    ...(file.streamCredentials ? { streamCredentials: file.streamCredentials } : {}),
    ...(file.streamIdentities ? { streamIdentities: file.streamIdentities } : {}),
  };
  const webhookSecret = env.SHADOWGUARD_WEBHOOK_SECRET ?? file.webhook?.secret;
  if (webhookSecret !== undefined) {
    if (webhookSecret.length < 16) throw new ConfigError('SHADOWGUARD_WEBHOOK_SECRET must be at least 16 characters');
    config.webhook.secret = webhookSecret;
  }
  const streamToken = env.SHADOWGUARD_STREAM_TOKEN ?? file.streamToken;
  if (streamToken !== undefined) {
    if (streamToken.length < 16) throw new ConfigError('SHADOWGUARD_STREAM_TOKEN must be at least 16 characters');
    config.streamToken = streamToken;
  }
  if (config.pairing.redisUrl && !config.store)
    throw new ConfigError(
      'shared pairing (a Redis URL) needs the shared store too (a PostgreSQL URL): replicas must share policies and one leader',
    );
  if (config.tokens.length === 0 && !isLoopback(config.host)) {
    throw new ConfigError(
      `no API tokens are configured, so the REST API would be open to anyone on ${config.host}; ` +
        'set tokens.viewer/tokens.editor (or SHADOWGUARD_EDITOR_TOKENS) or bind to 127.0.0.1',
    );
  }
  return { help: false, config };
}
