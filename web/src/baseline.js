// Leaflet as a global, the way folium pages load it.
import L from "leaflet";
window.L = L;
