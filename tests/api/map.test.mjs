// 一张图: map layers (/api/v1/map/layers), one layer's points as GeoJSON, the nearby query
// (/api/v1/resources/nearby) and the GeoJSON export/import of every located entity.
//
// The layers are whatever located entities the modules register: the shapes and the
// parameter validation are always checked; results are checked for real only for layers
// that report count > 0 (the registries' demo data), the rest is skipped with a note.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { req, show, assertError, as, openapi, COUNTY, TOWN1 } from './lib.mjs'

const CENTRE = { lon: 102.3, lat: 38.4 } // the demo county lies in 102.0–102.6°E, 38.2–38.6°N

let admin, town1, layers, doc

function hasGeoRoutes(l) {
  return Boolean(doc.paths[`/api/v1/${l.kind}/export.geojson`] && doc.paths[`/api/v1/${l.kind}/import.geojson`])
}

/** Great-circle distance in metres (the server's formula, mean Earth radius). */
function haversine(lon1, lat1, lon2, lat2) {
  const r = Math.PI / 180
  const h =
    Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

before(async () => {
  admin = await as('admin')
  town1 = await as('town1')
  const r = await admin.get('/api/v1/map/layers')
  assert.equal(r.status, 200, show(r))
  layers = r.json
  doc = await openapi()
})

test('map routes need a login', async () => {
  for (const path of ['/api/v1/map/layers', '/api/v1/map/layers/x', '/api/v1/resources/nearby?lon=1&lat=1']) {
    assertError(await req('GET', path), 401, 'unauthenticated')
  }
})

test('layers: one per located entity, with count and state legend', async () => {
  assert.ok(Array.isArray(layers), show({ status: 200, text: JSON.stringify(layers) }))
  const kinds = new Set()
  for (const l of layers) {
    assert.equal(typeof l.kind, 'string')
    assert.ok(!kinds.has(l.kind), `layer ${l.kind} listed once`)
    kinds.add(l.kind)
    assert.equal(typeof l.table, 'string')
    assert.equal(typeof l.label_zh, 'string')
    assert.ok(Number.isInteger(l.count) && l.count >= 0, `count of ${l.kind}`)
    assert.ok(Array.isArray(l.states))
    for (const s of l.states) {
      assert.equal(typeof s.value, 'string')
      assert.equal(typeof s.label, 'string')
    }
    // a layer is a registered entity: its list answers, and it has GeoJSON routes
    const list = await admin.get(`/api/v1/${l.kind}?page_size=1`)
    assert.equal(list.status, 200, show(list))
  }
  // a town user's counts never exceed the county's
  const t = await town1.get('/api/v1/map/layers')
  assert.equal(t.status, 200, show(t))
  for (const l of t.json) {
    const c = layers.find((x) => x.kind === l.kind)
    assert.ok(l.count <= c.count, `${l.kind}: town ${l.count} ≤ county ${c.count}`)
  }
})

test('every layer has its GeoJSON export and import (ENTITY_GEO_ROUTES)', () => {
  assert.deepEqual(layers.filter((l) => !hasGeoRoutes(l)).map((l) => l.kind), [], 'located entities without ENTITY_GEO_ROUTES')
})

test('one layer: parameter validation', async () => {
  assertError(await admin.get('/api/v1/map/layers/no_such_layer'), 404, 'not_found')
  if (!layers.length) return
  const k = layers[0].kind
  for (const bbox of ['1,2,3', 'a,b,c,d', '1,2,3,4,5', '1;2;3;4']) {
    const e = assertError(await admin.get(`/api/v1/map/layers/${k}?bbox=${encodeURIComponent(bbox)}`), 400, 'invalid_parameter')
    assert.ok(e.fields.bbox)
  }
  for (const bbox of ['103,38,102,39', '-181,0,0,1', '0,-91,1,0', '102,39,103,38']) {
    assertError(await admin.get(`/api/v1/map/layers/${k}?bbox=${bbox}`), 422, 'validation_failed')
  }
  assertError(await admin.get(`/api/v1/map/layers/${k}?limit=0`), 422, 'validation_failed')
  assertError(await admin.get(`/api/v1/map/layers/${k}?limit=10001`), 422, 'validation_failed')
  assertError(await admin.get(`/api/v1/map/layers/${k}?limit=x`), 400, 'invalid_parameter')
})

test('one layer: points as GeoJSON, inside the box and the jurisdiction', async (t) => {
  const used = layers.filter((l) => l.count > 0)
  if (!used.length) return t.skip('no located records in the demo data yet')
  for (const l of used) {
    const r = await admin.get(`/api/v1/map/layers/${l.kind}?limit=10000`)
    assert.equal(r.status, 200, show(r))
    const fc = r.json
    assert.equal(fc.type, 'FeatureCollection')
    assert.equal(fc.kind, l.kind)
    assert.equal(typeof fc.truncated, 'boolean')
    assert.equal(fc.features.length, Math.min(l.count, 10000))
    for (const f of fc.features) {
      assert.equal(f.type, 'Feature')
      assert.equal(f.geometry.type, 'Point')
      const [lon, lat] = f.geometry.coordinates
      assert.ok(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)
      assert.equal(f.properties.kind, l.kind)
      assert.equal(f.properties.id, f.id)
      assert.ok('title' in f.properties && 'state' in f.properties)
    }
    // a box around the first point holds it; limit caps and says so
    const [lon, lat] = fc.features[0].geometry.coordinates
    const box = `${lon - 0.001},${lat - 0.001},${lon + 0.001},${lat + 0.001}`
    const b = await admin.get(`/api/v1/map/layers/${l.kind}?bbox=${box}`)
    assert.equal(b.status, 200, show(b))
    assert.ok(b.json.features.some((f) => f.id === fc.features[0].id))
    if (l.count > 1) {
      const one = await admin.get(`/api/v1/map/layers/${l.kind}?limit=1`)
      assert.equal(one.json.features.length, 1)
      assert.equal(one.json.truncated, true)
    }
    // the town user sees only its town's points: every id it gets is readable by it
    const tr = await town1.get(`/api/v1/map/layers/${l.kind}?limit=10000`)
    assert.equal(tr.status, 200, show(tr))
    for (const f of tr.json.features.slice(0, 5)) {
      const rec = await town1.get(`/api/v1/${l.kind}/${encodeURIComponent(f.id)}`)
      assert.equal(rec.status, 200, `town user reads ${l.kind}/${f.id}: ${show(rec)}`)
    }
  }
})

test('nearby: parameter validation with Chinese and English messages', async () => {
  const bad = [
    ['', 400, 'lon'],
    ['lat=38', 400, 'lon'],
    ['lon=102', 400, 'lat'],
    ['lon=abc&lat=38', 400, 'lon'],
    ['lon=102&lat=1e999', 400, 'lat'],
    ['lon=181&lat=38', 422, 'lon'],
    ['lon=102&lat=-90.5', 422, 'lat'],
    ['lon=102&lat=38&radius=0', 422, 'radius'],
    ['lon=102&lat=38&radius=-5', 422, 'radius'],
    ['lon=102&lat=38&radius=200001', 422, 'radius'],
    ['lon=102&lat=38&radius=far', 400, 'radius'],
    ['lon=102&lat=38&limit=0', 422, 'limit'],
    ['lon=102&lat=38&limit=501', 422, 'limit'],
    ['lon=102&lat=38&limit=2.5', 400, 'limit'],
    ['lon=102&lat=38&kinds=no_such_kind', 422, 'kinds'],
    ['lon=102&lat=38&kinds=,,', 400, 'kinds'],
  ]
  for (const [q, status, field] of bad) {
    const r = await admin.get(`/api/v1/resources/nearby?${q}`)
    const e = assertError(r, status, status === 400 ? 'invalid_parameter' : 'validation_failed')
    assert.ok(e.fields && e.fields[field], `${q}: field ${field} named in ${show(r)}`)
    assert.match(e.message, /[\u4e00-\u9fff]/, `${q}: Chinese message`)
  }
})

test('nearby: shape, order, distances, limit and jurisdiction', async (t) => {
  const r = await admin.get(`/api/v1/resources/nearby?lon=${CENTRE.lon}&lat=${CENTRE.lat}&radius=200000&limit=500`)
  assert.equal(r.status, 200, show(r))
  assert.ok(Array.isArray(r.json.items))
  assert.equal(typeof r.json.total, 'number')
  assert.ok(r.json.items.length <= r.json.total)
  const kinds = new Set(layers.map((l) => l.kind))
  let prev = 0
  for (const it of r.json.items) {
    for (const k of ['kind', 'id', 'title', 'state', 'lon', 'lat', 'distance_m', 'division_code']) assert.ok(k in it, `${k} in ${JSON.stringify(it)}`)
    assert.ok(kinds.has(it.kind))
    assert.ok(it.distance_m >= prev, 'nearest first')
    prev = it.distance_m
    assert.ok(it.distance_m <= 200000)
    assert.ok(Math.abs(it.distance_m - haversine(CENTRE.lon, CENTRE.lat, it.lon, it.lat)) < 0.2, 'great-circle distance')
    assert.ok(it.division_code === null || it.division_code.startsWith(COUNTY), `inside the county: ${it.division_code}`)
  }
  // every located record of the county lies within 200 km of its centre
  const counted = layers.reduce((n, l) => n + l.count, 0)
  assert.equal(r.json.total, counted, 'total = the layers’ counts')
  if (!r.json.items.length) return t.skip('no located records in the demo data yet')

  // limit keeps the nearest; kinds narrows
  const first = r.json.items[0]
  const two = await admin.get(`/api/v1/resources/nearby?lon=${CENTRE.lon}&lat=${CENTRE.lat}&radius=200000&limit=2`)
  assert.deepEqual(two.json.items.map((i) => [i.kind, i.id]), r.json.items.slice(0, 2).map((i) => [i.kind, i.id]))
  assert.equal(two.json.total, r.json.total)
  const only = await admin.get(`/api/v1/resources/nearby?lon=${first.lon}&lat=${first.lat}&radius=5&kinds=${first.kind}`)
  assert.equal(only.status, 200, show(only))
  assert.ok(only.json.items.length >= 1)
  assert.ok(only.json.items.every((i) => i.kind === first.kind))
  assert.ok(only.json.items.some((i) => i.id === first.id && i.distance_m < 1))

  // the town user: only its town (or records without a division)
  const tr = await town1.get(`/api/v1/resources/nearby?lon=${CENTRE.lon}&lat=${CENTRE.lat}&radius=200000&limit=500`)
  assert.equal(tr.status, 200, show(tr))
  for (const it of tr.json.items) assert.ok(it.division_code === null || it.division_code.startsWith(TOWN1))
  assert.ok(tr.json.total <= r.json.total)
})

test('GeoJSON export of every layer; an export imports back unchanged', async (t) => {
  const routed = layers.filter(hasGeoRoutes)
  if (!routed.length) return t.skip('no located entities with GeoJSON routes yet')
  for (const l of routed) {
    const r = await admin.get(`/api/v1/${l.kind}/export.geojson`)
    assert.equal(r.status, 200, show(r))
    assert.match(r.headers.get('content-type'), /geo\+json/)
    const fc = JSON.parse(r.text)
    assert.equal(fc.type, 'FeatureCollection')
    const list = await admin.get(`/api/v1/${l.kind}?page_size=1`)
    assert.equal(fc.features.length, list.json.total, 'every listed record, located or not')
    const located = fc.features.filter((f) => f.geometry)
    assert.ok(located.length >= l.count, `${l.kind}: located features ≥ layer count`)
    for (const f of located) assert.equal(f.geometry.type, 'Point')
    const op = doc.paths[`/api/v1/${l.kind}/import.geojson`].post
    if (!fc.features.length || !op['x-roles'].includes('admin')) continue
    const back = await admin.post(`/api/v1/${l.kind}/import.geojson`, r.text, { contentType: 'application/geo+json' })
    assert.equal(back.status, 200, `${l.kind}: ${show(back)}`)
    assert.equal(back.json.rows_imported, fc.features.length)
    const after = await admin.get('/api/v1/map/layers')
    assert.equal(after.json.find((x) => x.kind === l.kind).count, l.count, 'the map is unchanged')
  }
})

test('GeoJSON import: a bad feature refuses the whole file, each reported by number', async (t) => {
  const l = layers.find((x) => hasGeoRoutes(x) && doc.paths[`/api/v1/${x.kind}/import.geojson`].post['x-roles'].includes('admin'))
  if (!l) return t.skip('no located entity that administrators import')
  const path = `/api/v1/${l.kind}/import.geojson`
  const before = (await admin.get(`/api/v1/${l.kind}?page_size=1`)).json.total
  const body = JSON.stringify({
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', geometry: { type: 'LineString', coordinates: [[102, 38], [102.1, 38.1]] }, properties: {} },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [402, 38] }, properties: {} },
      { type: 'Nonsense' },
    ],
  })
  const r = await admin.post(path, body, { contentType: 'application/geo+json' })
  const e = assertError(r, 422, 'import_failed')
  assert.deepEqual(e.rows.map((x) => x.line), [1, 2, 3])
  assert.ok(e.rows[0].fields.geometry, show(r))
  for (const row of e.rows) assert.equal(typeof row.message, 'string')
  assert.equal((await admin.get(`/api/v1/${l.kind}?page_size=1`)).json.total, before, 'nothing imported')
  assertError(await admin.post(path, '{"type": "FeatureCollection", "features": [', { contentType: 'application/geo+json' }), 422, 'import_failed')
  assertError(await admin.post(path, '{"type": "Point", "coordinates": [1, 2]}', { contentType: 'application/geo+json' }), 422, 'import_failed')
})

test('an enterprise user sees on the map only what it may read', async (t) => {
  const ent = await as('enterprise')
  const l = await ent.get('/api/v1/map/layers')
  assert.equal(l.status, 200, show(l))
  for (const x of l.json) {
    const c = layers.find((y) => y.kind === x.kind)
    assert.ok(x.count <= c.count, `${x.kind}: ${x.count} ≤ ${c.count}`)
  }
  const r = await ent.get(`/api/v1/resources/nearby?lon=${CENTRE.lon}&lat=${CENTRE.lat}&radius=200000&limit=500`)
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.total, l.json.reduce((n, x) => n + x.count, 0), 'total = the layers’ counts')
  if (!r.json.items.length) return t.skip('no located records in the demo data yet')
  for (const it of r.json.items) {
    const rec = await ent.get(`/api/v1/${it.kind}/${encodeURIComponent(it.id)}`)
    assert.equal(rec.status, 200, `enterprise user reads ${it.kind}/${it.id}: ${show(rec)}`)
  }
})
