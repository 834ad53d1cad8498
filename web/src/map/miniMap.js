// A small Leaflet map for forms and the command page: the optional tile layer from
// GET /api/v1/config and the outline of the user's divisions (GET /api/v1/divisions/geojson)
// as a base, since there are no tiles by default.
import L from './leaflet.js'
import { api } from '../api.js'
import { session } from '../session.js'

export { L }

/** Creates the map in `el`; resolves once the base is drawn. opts.parent: division whose children are outlined. */
export async function createMiniMap(el, opts = {}) {
  const map = L.map(el, { zoomControl: true, attributionControl: false, minZoom: 3, maxZoom: 18, zoomSnap: 0.25 }).setView([38.3, 102.2], 9)
  const url = session.config.tile_url
  if (url) L.tileLayer(url, { maxZoom: 18 }).addTo(map)
  try {
    const parent = opts.parent ?? ((session.user && session.user.division_code) || '')
    const fc = await api.get('divisions/geojson', parent ? { parent } : undefined)
    const list = (fc && Array.isArray(fc.features) ? fc.features : []).filter((f) => f && f.geometry)
    if (list.length) {
      const layer = L.geoJSON(list, {
        style: { color: '#5b7aa8', weight: 1, fillColor: '#e8eef7', fillOpacity: 0.6 },
        interactive: !!opts.interactiveBase,
        onEachFeature: (f, l) => {
          const p = f.properties || {}
          if (p.name) l.bindTooltip(p.name, { sticky: true, direction: 'top' })
        },
      }).addTo(map)
      if (opts.fit !== false) map.fitBounds(layer.getBounds(), { padding: [8, 8] })
    }
  } catch {
    /* a bare map still works for picking */
  }
  return map
}

/** A coloured circle marker (no image needed). */
export function dot(lat, lon, color, radius = 8) {
  return L.circleMarker([lat, lon], { radius, color: '#fff', weight: 2, fillColor: color, fillOpacity: 0.95 })
}
