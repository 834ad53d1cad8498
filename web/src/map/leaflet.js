// Leaflet, set up for a closed network: its CSS and marker images come from the
// bundle (never a CDN), and no tile layer is added unless the server configures one.
import L from './leaflet-global.js'
import 'leaflet.markercluster'
import 'leaflet/dist/leaflet.css'
import 'leaflet.markercluster/dist/MarkerCluster.css'
import iconUrl from 'leaflet/dist/images/marker-icon.png'
import iconRetinaUrl from 'leaflet/dist/images/marker-icon-2x.png'
import shadowUrl from 'leaflet/dist/images/marker-shadow.png'

// Leaflet guesses the marker image path from its CSS; with a bundler it guesses wrong.
delete L.Icon.Default.prototype._getIconUrl
L.Icon.Default.mergeOptions({ iconUrl, iconRetinaUrl, shadowUrl })

// Blue classes for population (light → dark).
export const POP_COLORS = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c']
export const NO_DATA_COLOR = '#d9d9d9'
export const SELECTED_COLOR = '#e6550d'

/** Up to 5 class breaks (quantiles) for the given numbers; [] when there is nothing to class. */
export function quantileBreaks(values) {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b)
  if (!v.length) return []
  const breaks = []
  for (let i = 1; i < POP_COLORS.length; i++) {
    const b = v[Math.min(v.length - 1, Math.floor((i * v.length) / POP_COLORS.length))]
    if (!breaks.length || b > breaks[breaks.length - 1]) breaks.push(b)
  }
  return breaks
}

export function classColor(value, breaks) {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || !breaks.length) return NO_DATA_COLOR
  let i = 0
  while (i < breaks.length && n >= breaks[i]) i++
  // Spread fewer classes over the whole palette.
  const idx = breaks.length + 1 >= POP_COLORS.length ? i : Math.round((i * (POP_COLORS.length - 1)) / breaks.length)
  return POP_COLORS[Math.min(idx, POP_COLORS.length - 1)]
}

export default L

// Resource layers (一张图): state colours and kind glyphs live apart from Leaflet so list
// pages can use them without loading the map.
export { stateColor, kindGlyph, NO_STATE_COLOR } from './leaflet-colors.js'
