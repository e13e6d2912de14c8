// The playground is static files: Vite bundles the workspace packages from their TypeScript sources
// (the "@cleardit/source" condition) and the bundled digit models travel as assets under models/,
// taken from apps/cli/models (one copy of each model in the repository, the CLI's).
import { defineConfig, type Plugin } from 'vite';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MODELS_DIR = fileURLToPath(new URL('../cli/models/', import.meta.url));
const modelFiles = () => readdirSync(MODELS_DIR).filter((f) => f.endsWith('.safetensors'));

/** Serves (dev) and emits (build) the bundled models at models/<name>.safetensors. */
function bundledModels(): Plugin {
  return {
    name: 'cleardit-bundled-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = req.url?.match(/^\/models\/([\w.-]+\.safetensors)$/);
        if (!m || !modelFiles().includes(m[1])) return next();
        res.setHeader('content-type', 'application/octet-stream');
        res.end(readFileSync(MODELS_DIR + m[1]));
      });
    },
    generateBundle() {
      for (const f of modelFiles()) this.emitFile({ type: 'asset', fileName: `models/${f}`, source: readFileSync(MODELS_DIR + f) });
    },
  };
}

export default defineConfig({
  base: './',
  resolve: { conditions: ['@cleardit/source', 'module', 'browser', 'development|production'] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  plugins: [bundledModels()],
});
