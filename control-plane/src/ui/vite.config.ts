// Vite build of the dashboard: control-plane/src/ui → build/ui, served by api/plugins/ui.ts.
// `vite build --config control-plane/src/ui/vite.config.ts` (npm run build:ui). For development,
// `vite --config control-plane/src/ui/vite.config.ts` proxies /api to a control plane on :8080.
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./'),
  base: '/',
  plugins: [preact({ devToolsInProd: false, prefreshEnabled: false })],
  build: {
    outDir: here('../../../build/ui'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': process.env.SHADOWGUARD_API ?? 'http://127.0.0.1:8080' } },
  logLevel: 'warn',
});
