"use strict";
// MeinLübeck: the old town drawn from altstadt.geojson, the parking places on it, kept current by the server-sent
// events of /events ("snapshot" with every place, then "place" per change).

const texts = {
  de: {
    title: "MeinLübeck: freie Parkplätze", skip: "Zur Liste springen", mapHeading: "Karte der Altstadt",
    listHeading: "Parkhäuser und Parkplätze", spotsHeading: "Einzelne Stellplätze", name: "Name", free: "Frei", total: "Plätze",
    legendFree: "frei", legendFew: "fast voll", legendFull: "voll / belegt", switchTo: "English", switchLabel: "Switch to English",
    connecting: "Verbinde …", live: "Live: Änderungen erscheinen sofort.", offline: "Keine Verbindung – die Anzeige ist vielleicht nicht aktuell.",
    offStreet: "Parkhaus", onStreet: "Parkplatz", spot: "Stellplatz", unknown: "unbekannt",
    placeLabel: (p) => `${kindName("de", p)} ${p.name || p.id}: ${p.free ?? "?"} von ${p.total ?? "?"} frei`,
    spotLabel: (p) => `Stellplatz ${p.name || p.id}: ${statusName("de", p.status)}`,
    status: { free: "frei", occupied: "belegt", closed: "gesperrt", unknown: "unbekannt" },
    changed: (p) => `${p.name || p.id}: jetzt ${p.free ?? statusName("de", p.status)} frei`,
    noSpots: "Keine einzelnen Stellplätze gemeldet.",
  },
  en: {
    title: "MeinLübeck: free parking", skip: "Skip to the list", mapHeading: "Map of the old town",
    listHeading: "Parking houses and car parks", spotsHeading: "Single parking spots", name: "Name", free: "Free", total: "Spaces",
    legendFree: "free", legendFew: "nearly full", legendFull: "full / occupied", switchTo: "Deutsch", switchLabel: "Auf Deutsch umschalten",
    connecting: "Connecting …", live: "Live: changes appear at once.", offline: "Not connected – what you see may be out of date.",
    offStreet: "Parking house", onStreet: "Car park", spot: "Parking spot", unknown: "unknown",
    placeLabel: (p) => `${kindName("en", p)} ${p.name || p.id}: ${p.free ?? "?"} of ${p.total ?? "?"} free`,
    spotLabel: (p) => `Parking spot ${p.name || p.id}: ${statusName("en", p.status)}`,
    status: { free: "free", occupied: "occupied", closed: "closed", unknown: "unknown" },
    changed: (p) => `${p.name || p.id}: now ${p.free ?? statusName("en", p.status)} free`,
    noSpots: "No single parking spots reported.",
  },
};

const svgNamespace = "http://www.w3.org/2000/svg";
const places = new Map();
let language = localStorage.getItem("meinluebeck-language") === "en" ? "en" : "de";
let town = { type: "FeatureCollection", features: [] };
let connection = "connecting";
let selected = null;

function kindName(lang, place) { return texts[lang][place.kind] || place.kind; }
function statusName(lang, status) { return texts[lang].status[status] || texts[lang].status.unknown; }
function t(key) { return texts[language][key]; }

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** How full a place is: free, few (under 10 % or under 10 spots free), full, or unknown. */
function occupancy(place) {
  if (place.kind === "spot") return place.status === "free" ? "free" : place.status ? "full" : "unknown";
  if (place.free == null) return "unknown";
  if (place.free <= 0) return "full";
  return place.free < 10 || (place.total && place.free / place.total < 0.1) ? "few" : "free";
}

// ---- projection: longitude/latitude to the SVG's coordinates, fitted to the town and the places ---------------

class Projection {
  constructor(positions, width, height, margin) {
    let west = Infinity, east = -Infinity, south = Infinity, north = -Infinity;
    for (const [lon, lat] of positions) {
      west = Math.min(west, lon); east = Math.max(east, lon);
      south = Math.min(south, lat); north = Math.max(north, lat);
    }
    this.west = west; this.north = north;
    this.xFactor = Math.cos(((south + north) / 2) * Math.PI / 180);
    this.scale = Math.min((width - 2 * margin) / ((east - west) * this.xFactor || 1), (height - 2 * margin) / ((north - south) || 1));
    this.left = (width - (east - west) * this.xFactor * this.scale) / 2;
    this.top = (height - (north - south) * this.scale) / 2;
  }

  point([lon, lat]) {
    return [this.left + (lon - this.west) * this.xFactor * this.scale, this.top + (this.north - lat) * this.scale];
  }

  line(positions) {
    return positions.map((p, i) => `${i ? "L" : "M"}${this.point(p).map((n) => n.toFixed(1)).join(" ")}`).join(" ");
  }
}

function townPositions() {
  return town.features.flatMap((f) => {
    const g = f.geometry;
    return g.type === "Point" ? [g.coordinates] : g.type === "LineString" ? g.coordinates : g.coordinates.flat();
  });
}

// ---- drawing -------------------------------------------------------------------------------------------------

function drawMap() {
  const map = document.getElementById("map");
  const located = [...places.values()].filter((p) => p.position);
  const projection = new Projection([...townPositions(), ...located.map((p) => p.position)], 600, 520, 24);
  const layers = [];
  for (const feature of town.features) {
    const { kind, name } = feature.properties;
    const g = feature.geometry;
    if (g.type === "Polygon") layers.push(svg("path", { class: kind, d: g.coordinates.map((ring) => projection.line(ring) + " Z").join(" ") }, svg("title", {}, name)));
    else if (g.type === "LineString") layers.push(svg("path", { class: kind, d: projection.line(g.coordinates) }, svg("title", {}, name)));
    else if (g.type === "Point") {
      const [x, y] = projection.point(g.coordinates);
      layers.push(svg("g", { "aria-hidden": "true" }, svg("circle", { class: "landmark", cx: x, cy: y, r: 3 }),
        svg("text", { class: "landmark-label", x: x + 5, y: y - 4 }, name)));
    }
  }
  for (const place of located.sort((a, b) => (a.kind === "spot") - (b.kind === "spot"))) layers.push(placeMarker(place, projection));
  map.replaceChildren(...layers);
}

function placeMarker(place, projection) {
  const [x, y] = projection.point(place.position);
  const label = place.kind === "spot" ? t("spotLabel")(place) : t("placeLabel")(place);
  const shape = place.kind === "spot"
    ? svg("rect", { class: occupancy(place), x: x - 6, y: y - 6, width: 12, height: 12, rx: 2 })
    : svg("circle", { class: occupancy(place), cx: x, cy: y, r: 16 });
  const marker = svg("a", { class: "place", href: "#" + encodeURIComponent(place.id), "aria-label": label, "data-id": place.id, role: "button" },
    svg("title", {}, label), shape);
  if (place.kind !== "spot") marker.append(svg("text", { x, y: y + 4, "text-anchor": "middle", "data-free": place.id }, String(place.free ?? "?")));
  marker.addEventListener("click", (event) => { event.preventDefault(); select(place.id); });
  marker.addEventListener("keydown", (event) => {
    if (event.key === " ") { event.preventDefault(); select(place.id); }
  });
  return marker;
}

function drawList() {
  const rows = [...places.values()].filter((p) => p.kind !== "spot").sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
  document.querySelector("#list tbody").replaceChildren(...rows.map((place) => {
    const row = document.createElement("tr");
    row.dataset.id = place.id;
    const name = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = place.name || place.id;
    button.addEventListener("click", () => select(place.id));
    name.append(button);
    const free = document.createElement("td");
    free.className = "number " + occupancy(place);
    free.dataset.free = place.id;
    free.textContent = place.free ?? "?";
    const total = document.createElement("td");
    total.className = "number";
    total.textContent = place.total ?? "?";
    row.append(name, free, total);
    return row;
  }));
  const spots = [...places.values()].filter((p) => p.kind === "spot");
  const free = spots.filter((p) => p.status === "free").length;
  document.getElementById("spots").textContent = spots.length === 0 ? t("noSpots")
    : language === "de" ? `${free} von ${spots.length} Stellplätzen frei.` : `${free} of ${spots.length} spots free.`;
}

function drawDetails() {
  const details = document.getElementById("details");
  const place = selected && places.get(selected);
  details.textContent = place ? (place.kind === "spot" ? t("spotLabel")(place) : t("placeLabel")(place)) : "";
}

function drawTexts() {
  document.documentElement.lang = language;
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  document.title = t("title");
  const toggle = document.getElementById("language");
  toggle.textContent = t("switchTo");
  toggle.lang = language === "de" ? "en" : "de";
  toggle.setAttribute("aria-label", t("switchLabel"));
  const status = document.getElementById("connection");
  status.dataset.state = connection;
  status.textContent = t(connection);
}

function drawAll() {
  drawTexts();
  drawMap();
  drawList();
  drawDetails();
}

function select(id) {
  selected = id;
  drawDetails();
}

// ---- data ----------------------------------------------------------------------------------------------------

function connect() {
  const events = new EventSource("events");
  events.addEventListener("open", () => { connection = "live"; drawTexts(); });
  events.addEventListener("error", () => { connection = "offline"; drawTexts(); });
  events.addEventListener("snapshot", (event) => {
    places.clear();
    for (const place of JSON.parse(event.data)) places.set(place.id, place);
    drawAll();
  });
  events.addEventListener("place", (event) => {
    const place = JSON.parse(event.data);
    places.set(place.id, place);
    drawMap();
    drawList();
    drawDetails();
    document.getElementById("announcer").textContent = t("changed")(place);
  });
}

document.getElementById("language").addEventListener("click", () => {
  language = language === "de" ? "en" : "de";
  localStorage.setItem("meinluebeck-language", language);
  drawAll();
});

fetch("altstadt.geojson")
  .then((response) => response.json())
  .then((outlines) => { town = outlines; })
  .catch(() => { /* the places are drawn without the town's outlines */ })
  .finally(() => { drawAll(); connect(); });
