// The demo's API tokens: the control plane's `tokens` option (viewer and editor lists, each entry a
// bare token or { name, token }) turned into its token list by the control plane's own rules
// (config.ts apiTokenList), and the same lists read from `npm start`'s flags or SHADOWGUARD_*_TOKENS.
// No tokens = the dev mode: the REST API unauthenticated, which the control plane allows on loopback only.

import type { ApiToken } from '../../control-plane/src/api/plugins/auth.js';
import { apiTokenList, type TokenEntry } from '../../control-plane/src/config.js';

export type DemoToken = TokenEntry;
export interface DemoTokens {
  viewer?: DemoToken[];
  editor?: DemoToken[];
}

export function apiTokens(tokens: DemoTokens | undefined): ApiToken[] {
  return apiTokenList(tokens ?? {});
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `--editor-token a,b` / `--viewer-token c` (comma-separated), else SHADOWGUARD_EDITOR_TOKENS / _VIEWER_TOKENS. */
export function tokensFromCli(flags: Record<string, string>, env: NodeJS.ProcessEnv): DemoTokens | undefined {
  const pick = (role: 'viewer' | 'editor') =>
    list(flags[`${role}-token`] ?? env[`SHADOWGUARD_${role.toUpperCase()}_TOKENS`]);
  const t: DemoTokens = { viewer: pick('viewer'), editor: pick('editor') };
  return t.viewer!.length + t.editor!.length > 0 ? t : undefined;
}
