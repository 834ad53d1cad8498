// leaflet.markercluster is a UMD script that extends the global `L`: set it before the
// plugin is evaluated (imports run in order).
import L from 'leaflet'

if (typeof window !== 'undefined') window.L = L
export default L
