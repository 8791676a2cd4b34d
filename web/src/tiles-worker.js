// Loaded into MapLibre's tile workers (maplibregl.importScriptInWorkers): the workers read the
// PMTiles archives themselves. Without it every tile request goes through the page's main
// thread, which on the first view is busy compiling MapLibre's shaders, so the first tiles were
// only fetched (and laid out) after that; the main thread's own protocol stays registered and
// answers if this script cannot be loaded.
import { Protocol } from "pmtiles";

self.addProtocol("pmtiles", new Protocol().tile);
