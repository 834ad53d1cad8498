// Vite build for the Yingji web UI. The C server serves dist/ at "/" with an
// SPA fallback to index.html, so assets use absolute "/assets/..." paths.
// `npm run dev` proxies /api to a locally running server (YINGJI_URL).
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const backend = process.env.YINGJI_URL || 'http://127.0.0.1:8080'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Element Plus alone is ~1 MB unminified; the split below keeps each chunk cacheable.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined
          if (id.includes('element-plus') || id.includes('@element-plus')) return 'element-plus'
          if (id.includes('echarts') || id.includes('zrender')) return 'echarts'
          if (id.includes('leaflet')) return 'leaflet'
          if (id.includes('/vue') || id.includes('@vue')) return 'vue'
          return undefined
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/healthz': { target: backend },
    },
  },
})
