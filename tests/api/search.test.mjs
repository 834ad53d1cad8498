// 全文检索: GET /api/v1/search over every registry with Chinese full-text fields
// (FIELD_FULLTEXT), and ?q= on those registries' lists answered by the same index.
//
// Always checked: login required, validation (blank and over-long q → 422 with Chinese and
// English messages naming q; unknown kinds 422; bad page 400), the answer's shape, and that a
// role sees only kinds it may list. Real hits are checked on whatever searchable registries
// exist (plans, cases, incidents — other modules' entities): a record's title is found by a
// 2-character and a longer slice of it and by a phrase, /search and the registry's own ?q=
// agree on the total, and a town user sees no more than the county. A registry that is not
// searchable (yet) or holds no records is skipped with a note.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { req, show, assertError, as } from './lib.mjs'

const CANDIDATES = ['plans', 'cases', 'incidents']
const enc = encodeURIComponent

let admin, town1, searchable

/** The kinds the search accepts (a kind that is not searchable is 422). */
async function searchableKinds() {
  const out = []
  for (const k of CANDIDATES) {
    const r = await admin.get(`/api/v1/search?q=${enc('应急')}&kinds=${k}`)
    if (r.status === 200) out.push(k)
  }
  return out
}

/** A run of at least n CJK characters in s, or null. */
function cjkRun(s, n) {
  const m = String(s || '').match(new RegExp(`[\\u4e00-\\u9fff]{${n},}`))
  return m ? m[0] : null
}

before(async () => {
  admin = await as('admin')
  town1 = await as('town1')
  searchable = await searchableKinds()
})

test('search needs a login', async () => {
  assertError(await req('GET', `/api/v1/search?q=${enc('暴雨')}`), 401, 'unauthenticated')
})

test('blank, missing and over-long q are refused with Chinese and English messages', async () => {
  for (const q of ['', '%20%20', null]) {
    const path = q === null ? '/api/v1/search' : `/api/v1/search?q=${q}`
    const e = assertError(await admin.get(path), 422, 'validation_failed')
    assert.ok(e.fields && e.fields.q, `fields.q named: ${JSON.stringify(e)}`)
    assert.match(e.message, /[\u4e00-\u9fff]/)
    assert.ok(e.message_en.length > 0)
  }
  const long = '暴'.repeat(101)
  const e = assertError(await admin.get(`/api/v1/search?q=${enc(long)}`), 422, 'validation_failed')
  assert.ok(e.fields.q)
  assert.match(e.message, /过长/)
  assert.match(e.message_en, /too long/)
  // 100 characters are fine
  assert.equal((await admin.get(`/api/v1/search?q=${enc('暴'.repeat(100))}`)).status, 200)
})

test('kinds and paging are validated', async () => {
  assertError(await admin.get(`/api/v1/search?q=${enc('暴雨')}&kinds=no_such_kind`), 422, 'validation_failed')
  assertError(await admin.get(`/api/v1/search?q=${enc('暴雨')}&kinds=users`), 422, 'validation_failed')
  assertError(await admin.get(`/api/v1/search?q=${enc('暴雨')}&page=abc`), 400, 'invalid_parameter')
  assertError(await admin.get(`/api/v1/search?q=${enc('暴雨')}&page=0`), 422, 'validation_failed')
  assertError(await admin.get(`/api/v1/search?q=${enc('暴雨')}&page_size=101`), 422, 'validation_failed')
})

test('the answer has the documented shape', async () => {
  for (const q of ['暴雨', '雨', '危险化学品泄漏', 'GB18218', '5G基站', '"暴雨 预警"', '！？']) {
    const r = await admin.get(`/api/v1/search?q=${enc(q)}&page_size=5`)
    assert.equal(r.status, 200, show(r))
    const b = r.json
    assert.ok(Array.isArray(b.items))
    assert.ok(Number.isInteger(b.total) && b.total >= b.items.length)
    assert.equal(b.page, 1)
    assert.equal(b.page_size, 5)
    let last = Infinity
    for (const it of b.items) {
      assert.equal(typeof it.kind, 'string')
      assert.ok(searchable.includes(it.kind), `kind ${it.kind} is searchable`)
      assert.ok(typeof it.id === 'number' || typeof it.id === 'string')
      assert.ok(it.title === null || typeof it.title === 'string')
      assert.equal(typeof it.snippet, 'string')
      assert.ok(Array.isArray(it.highlights))
      for (const [s, n] of it.highlights) assert.ok(Number.isInteger(s) && Number.isInteger(n) && n > 0)
      assert.equal(typeof it.rank, 'number')
      assert.ok(it.rank <= last + 1e-9, 'best first')
      last = it.rank
    }
  }
})

test('real hits on each searchable registry (list ?q= and /search agree)', async (t) => {
  if (searchable.length === 0) {
    t.skip('no registry with full-text fields is registered yet: shape and validation only')
    return
  }
  for (const kind of searchable) {
    const list = await admin.get(`/api/v1/${kind}?page_size=50&sort=-id`)
    assert.equal(list.status, 200, show(list))
    const rec = list.json.items.find((it) =>
      Object.values(it).some((v) => typeof v === 'string' && cjkRun(v, 4)),
    )
    if (!rec) {
      t.diagnostic(`${kind}: no record with Chinese text to search for; skipped`)
      continue
    }
    const text = Object.values(rec).find((v) => typeof v === 'string' && cjkRun(v, 4))
    const run = cjkRun(text, 4)
    for (const q of [run.slice(0, 2), run.slice(0, 4), `"${run.slice(0, 2)} ${run.slice(2, 4)}"`]) {
      const s = await admin.get(`/api/v1/search?q=${enc(q)}&kinds=${kind}&page_size=100`)
      assert.equal(s.status, 200, show(s))
      const l = await admin.get(`/api/v1/${kind}?q=${enc(q)}&page_size=1`)
      assert.equal(l.status, 200, show(l))
      // a record whose text is in a non-full-text search field only may be listed but not
      // found by /search: the list finds at least what the index finds
      assert.ok(l.json.total >= s.json.total, `${kind} q=${q}: list ${l.json.total} ≥ search ${s.json.total}`)
      if (s.json.total > 0) {
        for (const it of s.json.items) assert.equal(it.kind, kind)
        const hl = s.json.items[0].highlights
        assert.ok(hl.length === 0 || hl[0][1] >= 1)
      }
      // the town sees no more than the county
      const town = await town1.get(`/api/v1/search?q=${enc(q)}&kinds=${kind}`)
      if (town.status === 200) assert.ok(town.json.total <= s.json.total)
      else assertError(town, 403, 'forbidden')
    }
  }
})

test('a plan created through the API is found at once by 1-, 2- and long terms and phrases', async (t) => {
  if (!searchable.includes('plans')) {
    t.skip('plans are not searchable yet')
    return
  }
  const marker = '鑫淼焱垚'
  const body = {
    title: `${marker}暴雨预警专项预案`,
    level: 'county',
    kind: 'special',
    division_code: '620390',
    body: '危险化学品泄漏时按 GB18218 辨识重大危险源；5G基站保障通信；2号井透水时撤离。',
  }
  const c = await admin.post('/api/v1/plans', body)
  if (c.status !== 201 && c.status !== 200) {
    t.skip(`cannot create a plan with ${JSON.stringify(Object.keys(body))}: ${show(c)}`)
    return
  }
  const id = c.json.id
  const find = async (q, who = admin) => {
    const r = await who.get(`/api/v1/search?q=${enc(q)}&kinds=plans&page_size=100`)
    assert.equal(r.status, 200, show(r))
    return r.json.items.filter((it) => it.id === id)
  }
  for (const q of ['鑫', '焱垚', marker, '危险化学品泄漏', 'GB18218', 'gb18218', '5G基站', '2号井', '"暴雨 预警"', `${marker} 专项`]) {
    const hits = await find(q)
    assert.equal(hits.length, 1, `q=${q} finds the plan`)
    if (q === '焱垚') {
      assert.equal(hits[0].title, body.title)
      assert.ok(hits[0].highlights.length >= 1)
      const [s, n] = hits[0].highlights[0]
      assert.equal([...hits[0].snippet].slice(s, s + n).join(''), '焱垚')
    }
  }
  for (const q of ['"预警 暴雨"', '危险化学品爆炸', '3号井', `${marker} 地震`]) {
    assert.equal((await find(q)).length, 0, `q=${q} does not find the plan`)
  }
  // the list's ?q= uses the same index
  const l = await admin.get(`/api/v1/plans?q=${enc(marker)}`)
  assert.equal(l.status, 200, show(l))
  assert.ok(l.json.items.some((it) => it.id === id))
  // an update moves the document with it
  const u = await admin.patch(`/api/v1/plans/${id}`, { title: '淼焱防汛预案' })
  if (u.status === 200) {
    assert.equal((await find('焱垚')).length, 0)
    assert.equal((await find('淼焱防汛')).length, 1)
  }
  // a town user does not see a county plan
  const town = await town1.get(`/api/v1/search?q=${enc('淼焱')}&kinds=plans`)
  if (town.status === 200) assert.ok(!town.json.items.some((it) => it.id === id))
})
