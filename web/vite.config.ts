// Vite builds the studio into web/dist; `mlws server` serves that folder (see docs/studio.md).
// `npm run dev` proxies the APIs to a server on MLWS_URL (default http://127.0.0.1:5000).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.MLWS_URL ?? 'http://127.0.0.1:5000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': target,
      '/get-artifact': target,
      '^/workspaces/[^/]+/(api|get-artifact)': target,
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
