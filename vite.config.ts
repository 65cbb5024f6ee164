import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const api = 'http://localhost:8080';

export default defineConfig({
  root: here('./src/web'),
  plugins: [react()],
  build: {
    outDir: here('./dist/web'),
    emptyOutDir: true,
    sourcemap: true,
    // Mantine's core is most of the entry chunk; pages with charts and the builder are split off.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/v1': { target: api, changeOrigin: true },
      '/2': { target: api, changeOrigin: true },
      '/healthz': { target: api, changeOrigin: true },
    },
  },
});
