// The second half of `npm run build:js`: makes dist/ a runnable tree. tsc compiled the sources to
// dist/<same paths>; the control plane also reads schema/*.json, proto/, the built dashboard
// (build/ui/) and package.json (its version) relative to its own files, so they are copied beside,
// and dist/package.json declares the ES module type, the bins and the runtime dependencies (the
// Dockerfile installs exactly those with `npm ci --omit=dev` from the root lock file).
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// The output directory: dist/ (npm run build:js), or the one given (the build test's temporary tree).
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const copy = (from: string, to = from) => {
  const src = path.join(root, from);
  if (!fs.existsSync(src)) throw new Error(`${from} is missing (run npm run build:ui first?)`);
  fs.cpSync(src, path.join(dist, to), { recursive: true });
};

copy('schema');
copy('proto');
copy('build/ui');
fs.mkdirSync(path.join(dist, 'bin'), { recursive: true });
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
fs.writeFileSync(
  path.join(dist, 'package.json'),
  `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      license: pkg.license,
      type: 'module',
      private: true,
      engines: pkg.engines,
      bin: { 'shadow-control-plane': 'bin/shadow-control-plane.js', shadowguard: 'bin/shadowguard.js' },
      dependencies: pkg.dependencies,
    },
    null,
    2,
  )}\n`,
);
// The built tree's own entry points: plain node, no TypeScript loader.
fs.writeFileSync(
  path.join(dist, 'bin/shadow-control-plane.js'),
  "#!/usr/bin/env node\nconst { main } = await import('../control-plane/src/main.js');\nawait main();\n",
  { mode: 0o755 },
);
fs.writeFileSync(
  path.join(dist, 'bin/shadowguard.js'),
  "#!/usr/bin/env node\nconst { main } = await import('../cli/main.js');\nawait main();\n",
  { mode: 0o755 },
);
console.log(
  `${path.relative(process.cwd(), dist) || '.'} ready: node ${path.relative(process.cwd(), path.join(dist, 'bin/shadow-control-plane.js'))}`,
);
