import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn.mjs'
import 'element-plus/dist/index.css'
import './styles/main.css'
import './styles/print.css'
import App from './App.vue'
import router from './router.js'
import { setUnauthorizedHandler } from './api.js'
import { clearSession, loadConfig, session } from './session.js'

// Any 401 means the session is gone: back to the login page, then back here.
setUnauthorizedHandler(() => {
  const wasLoggedIn = !!session.user
  clearSession()
  session.checked = true
  const cur = router.currentRoute.value
  if (cur.name !== 'login') {
    router.replace({ name: 'login', query: { redirect: cur.fullPath, expired: wasLoggedIn ? '1' : undefined } })
  }
})

loadConfig()

createApp(App).use(ElementPlus, { locale: zhCn }).use(router).mount('#app')
