// Browser test of the web UI: Debian's Chromium driven by playwright-core.
//
// Env: YINGJI_URL (default http://127.0.0.1:8080), YINGJI_USER / YINGJI_PASSWORD
// (default admin / Admin@12345). Screenshots go to tests/out/.
//
// Checks: login through the form, 一张图 draws division polygons, the user admin page
// lists the admin user, a "建设中" placeholder opens, nothing is fetched from outside
// this machine and the console shows no error.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const BASE_URL = (process.env.YINGJI_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
const USER = process.env.YINGJI_USER || 'admin'
const PASSWORD = process.env.YINGJI_PASSWORD || 'Admin@12345'
const HERE = path.dirname(fileURLToPath(import.meta.url))
const OUT = path.resolve(HERE, '..', 'out')
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

let context
let page
let userDataDir
const offsite = [] // requests that tried to leave the machine
const consoleErrors = []

function isLocal(url) {
  const u = new URL(url)
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true
  return LOCAL_HOSTS.has(u.hostname) || u.hostname.startsWith('127.')
}

// Before login the app asks GET /api/v1/auth/me, which answers 401 by design: Chromium
// logs that failed load as a console error. It is the only one allowed.
function expectedConsoleError(msg) {
  const loc = msg.location() || {}
  return /status of 401/.test(msg.text()) && /\/api\/v1\/auth\/me(\?|$)/.test(loc.url || '')
}

/** Waits until the element's box stays put (map fitting and resizing are done). */
async function waitStable(locator) {
  let prev = null
  for (let i = 0; i < 50; i++) {
    const box = await locator.boundingBox()
    const key = box && [box.x, box.y, box.width, box.height].map(Math.round).join(',')
    if (key && key === prev) return
    prev = key
    await page.waitForTimeout(150)
  }
}

before(async () => {
  fs.mkdirSync(OUT, { recursive: true })
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yingji-e2e-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: false,
  })
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (isLocal(url)) return route.continue()
    offsite.push(url)
    return route.abort('blockedbyclient')
  })
  page = context.pages()[0] || (await context.newPage())
  page.setDefaultTimeout(20000)
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expectedConsoleError(msg)) consoleErrors.push(`${msg.text()} @ ${(msg.location() || {}).url || ''}`)
  })
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message))
})

after(async () => {
  if (context) await context.close()
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true })
})

test('web UI: login, 一张图, 用户管理, nothing fetched from outside', { timeout: 180000 }, async (t) => {
  await t.test('login through the form', async () => {
    await page.goto(BASE_URL + '/')
    await page.waitForURL(/\/login/)
    await page.locator('input[data-test=login-username], [data-test=login-username] input').fill(USER)
    await page.locator('input[data-test=login-password], [data-test=login-password] input').fill(PASSWORD)
    await page.locator('[data-test=login-submit]').click()
    await page.waitForURL(/\/dashboard/)
    await page.locator('[data-test=user-name]').waitFor()
    const name = await page.locator('[data-test=user-name]').innerText()
    assert.ok(name.trim().length > 0, 'the top bar shows the user')
    await page.locator('[data-test=chart-levels] canvas').waitFor()
    await page.waitForTimeout(1200) // chart animations
    await page.screenshot({ path: path.join(OUT, 'dashboard.png') })
  })

  await t.test('一张图 draws division polygons', async () => {
    await page.locator('[data-test=menu-map]').click()
    await page.waitForURL(/\/map/)
    await page.waitForFunction(() => document.querySelectorAll('.leaflet-overlay-pane path').length > 0, null, { timeout: 30000 })
    const n = await page.locator('.leaflet-overlay-pane path').count()
    assert.ok(n >= 1, `polygons drawn: ${n}`)
    await page.locator('[data-test=map-legend]').waitFor()
    assert.equal(await page.locator('.leaflet-tile').count(), 0, 'no tile layer by default')
    // Click a polygon once the map has stopped moving: its record shows in the side panel.
    const first = page.locator('.leaflet-overlay-pane path').first()
    for (let attempt = 1; ; attempt++) {
      await waitStable(first)
      await first.click({ force: true })
      try {
        await page.locator('[data-test=map-selected-name]').waitFor({ timeout: 3000 })
        break
      } catch (e) {
        if (attempt >= 3) throw e
      }
    }
    await page.locator('[data-test=map-record]').waitFor()
    await page.waitForTimeout(500) // let the fit/zoom animation settle
    await page.screenshot({ path: path.join(OUT, 'map.png') })
  })

  await t.test('用户管理 lists the admin user', async () => {
    await page.locator('[data-test=menu-users]').click()
    await page.waitForURL(/\/users/)
    const table = page.locator('[data-test=users-table]')
    await table.locator('.el-table__row').first().waitFor()
    const cell = table.locator('.el-table__body td', { hasText: new RegExp(`^\\s*${USER}\\s*$`) })
    await cell.first().waitFor()
    assert.ok((await cell.count()) >= 1, `user ${USER} is in the table`)
    await page.waitForTimeout(500) // tag transitions
    await page.screenshot({ path: path.join(OUT, 'users.png') })
  })

  await t.test('a capability still being built opens its 建设中 page', async () => {
    await page.goto(BASE_URL + '/duty') // also checks the server's SPA fallback and session restore
    const ph = page.locator('[data-test=placeholder]')
    await ph.waitFor()
    const text = await ph.innerText()
    assert.match(text, /值班值守/)
    assert.match(text, /建设中/)
  })

  await t.test('nothing left the machine, no console error', async () => {
    assert.deepEqual(offsite, [], 'requests to other hosts: ' + offsite.join(', '))
    assert.deepEqual(consoleErrors, [], 'console errors:\n' + consoleErrors.join('\n'))
  })
})
