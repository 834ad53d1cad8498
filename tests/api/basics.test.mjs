// Built-in routes: health, metrics, public config, OpenAPI, unknown routes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { req, show, assertError, openapi, BACKEND } from './lib.mjs'

test('GET /healthz answers 200', async () => {
  const r = await req('GET', '/healthz')
  assert.equal(r.status, 200, show(r))
  if (r.json && r.json.store) assert.equal(r.json.store, BACKEND, 'healthz names the backend in use')
})

test('GET /metrics is Prometheus text', async () => {
  const r = await req('GET', '/metrics')
  assert.equal(r.status, 200, show(r))
  assert.ok(r.text.startsWith('# '), 'starts with a comment line')
  assert.match(r.text, /^# TYPE /m)
  assert.match(r.headers.get('content-type') || '', /^text\/plain/)
})

test('GET /api/v1/config is public and has the UI settings', async () => {
  const r = await req('GET', '/api/v1/config')
  assert.equal(r.status, 200, show(r))
  for (const k of ['platform_name', 'tile_url', 'timezone']) assert.ok(k in r.json, `config has ${k}`)
  assert.equal(typeof r.json.platform_name, 'string')
  assert.equal(r.json.timezone, 'Asia/Shanghai')
})

test('every response carries a request id', async () => {
  const r = await req('GET', '/healthz')
  assert.ok(r.headers.get('x-request-id'), 'X-Request-Id header')
})

test('GET /api/v1/openapi.json describes the routes with roles and jurisdiction', async () => {
  const doc = await openapi()
  assert.match(String(doc.openapi), /^3\./)
  assert.ok(doc.paths && typeof doc.paths === 'object')
  const need = [
    ['post', '/api/v1/auth/login'],
    ['get', '/api/v1/auth/me'],
    ['get', '/api/v1/divisions'],
    ['get', '/api/v1/divisions/{id}'],
    ['get', '/api/v1/orgs'],
    ['get', '/api/v1/users'],
    ['get', '/api/v1/audit'],
    ['get', '/api/v1/events'],
  ]
  for (const [m, p] of need) assert.ok(doc.paths[p] && doc.paths[p][m], `openapi has ${m.toUpperCase()} ${p}`)
  const roleNames = new Set(['admin', 'duty_officer', 'commander', 'inspector', 'enterprise', 'info_officer', 'team_member', 'viewer'])
  let ops = 0
  for (const [p, item] of Object.entries(doc.paths)) {
    assert.ok(!p.includes(':'), `path params are written {name}: ${p}`)
    for (const [m, op] of Object.entries(item)) {
      ops++
      const isPublic = !('x-roles' in op)
      if (isPublic) continue
      assert.ok(Array.isArray(op['x-roles']), `${m} ${p}: x-roles is an array`)
      assert.ok(op['x-roles'].length > 0, `${m} ${p}: x-roles not empty`)
      for (const role of op['x-roles']) assert.ok(roleNames.has(role), `${m} ${p}: unknown role ${role}`)
      assert.equal(typeof op['x-jurisdiction'], 'boolean', `${m} ${p}: x-jurisdiction`)
    }
  }
  assert.ok(ops >= 20, `at least 20 operations (got ${ops})`)
  // The public routes are exactly the ones meant to be public.
  const login = doc.paths['/api/v1/auth/login'].post
  assert.ok(!('x-roles' in login), 'login is public')
  assert.ok('x-roles' in doc.paths['/api/v1/divisions'].get, 'division list needs a login')
  assert.equal(doc.paths['/api/v1/divisions'].get['x-entity'] !== undefined, true, 'entity route has x-entity')
  assert.deepEqual(doc.paths['/api/v1/users'].get['x-roles'], ['admin'], 'users are read by administrators only')
  assert.ok(!doc.paths['/api/v1/users/{id}'].delete, 'users have no DELETE route')
})

test('unknown API route → 404 no_such_route; wrong method → 405', async () => {
  assertError(await req('GET', '/api/v1/no-such-thing'), 404)
  const r = await req('PUT', '/api/v1/auth/login', { body: {} })
  assert.ok([404, 405].includes(r.status), show(r))
})
