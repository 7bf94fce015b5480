"use strict";
// The explorer: views of this broker's NGSI-LD API, chosen by the location's hash
// (#types, #entities?type=T, #entity?id=X, #subscriptions, #registrations). Every request is a GET.

const api = "/ngsi-ld/v1";
const pageSize = 100;

const tenantInput = document.getElementById("tenant");
const view = document.getElementById("view");

function currentTenant() {
  return new URLSearchParams(location.search).get("tenant") || "";
}

/** An element with attributes and children; text is always set as text, never parsed as HTML. */
function el(tag, attributes = {}, ...children) {
  const svg = ["svg", "g", "path", "circle", "polyline", "line", "text", "title", "a"].includes(tag) && attributes.svg !== false;
  const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "svg" || value === undefined || value === null) continue;
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

function link(hash, text) {
  return el("a", { href: hash, svg: false }, text);
}

function hashFor(viewName, parameters) {
  return "#" + viewName + "?" + new URLSearchParams(parameters).toString();
}

class BrokerError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** GET from the broker with the tenant header; answers the parsed body and the response. */
async function get(path, parameters = {}) {
  const query = new URLSearchParams(parameters).toString();
  const headers = { Accept: "application/json" };
  const tenant = currentTenant();
  if (tenant) headers["NGSILD-Tenant"] = tenant;
  const response = await fetch(api + path + (query ? "?" + query : ""), { headers });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok && response.status !== 206) {
    throw new BrokerError(response.status, (body && (body.detail || body.title)) || response.statusText);
  }
  return { body, response };
}

function show(title, ...content) {
  view.replaceChildren(el("h2", { svg: false }, title), ...content);
  document.title = title + " – NGSI-LD Explorer";
}

function showError(title, error) {
  show(title, el("p", { class: "error", role: "alert", svg: false }, `The broker answered ${error.status || "nothing"}: ${error.message}`));
}

function table(caption, headings, rows) {
  return el("table", { svg: false },
    el("caption", { class: "visually-hidden", svg: false }, caption),
    el("thead", { svg: false }, el("tr", { svg: false }, headings.map((h) => el("th", { scope: "col", svg: false }, h)))),
    el("tbody", { svg: false }, rows.map((cells) => el("tr", { svg: false }, cells.map((c) => el("td", { svg: false }, c))))));
}

function display(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 1);
}

async function showTypes() {
  const { body } = await get("/types");
  const types = (body && body.typeList) || [];
  if (types.length === 0) {
    show("Types", el("p", { svg: false }, "This tenant has no entities yet."));
    return;
  }
  show("Types", table("Entity types", ["Type"], types.map((type) => [link(hashFor("entities", { type }), type)])));
}

async function showEntities(parameters) {
  const type = parameters.get("type");
  const offset = Number(parameters.get("offset") || 0);
  const { body: entities, response } = await get("/entities", { type, limit: pageSize, offset, count: "true" });
  const total = Number(response.headers.get("NGSILD-Results-Count") || entities.length);
  const rows = entities.map((entity) => [
    link(hashFor("entity", { id: entity.id }), entity.id),
    Object.keys(entity).filter((name) => !["id", "type", "@context"].includes(name)).join(", "),
  ]);
  const paging = el("p", { svg: false }, `Entities ${total === 0 ? 0 : offset + 1}–${offset + entities.length} of ${total}. `,
    offset > 0 ? link(hashFor("entities", { type, offset: Math.max(0, offset - pageSize) }), "Previous") : null, " ",
    offset + entities.length < total ? link(hashFor("entities", { type, offset: offset + pageSize }), "Next") : null);
  show(`Entities of type ${type}`, paging,
    el("div", { class: "panels", svg: false },
      table(`Entities of type ${type}`, ["Id", "Attributes"], rows),
      entityMap(entities)));
}

// ---- the map: GeoJSON geometries of the entities' location, drawn as SVG -------------------------------------

function positionsOf(geometry) {
  switch (geometry && geometry.type) {
    case "Point": return [geometry.coordinates];
    case "MultiPoint": case "LineString": return geometry.coordinates;
    case "MultiLineString": case "Polygon": return geometry.coordinates.flat();
    case "MultiPolygon": return geometry.coordinates.flat(2);
    default: return [];
  }
}

/** Equirectangular projection around the centre of the positions, fitted into width × height. */
function fitProjection(positions, width, height, margin) {
  const lons = positions.map((p) => p[0]);
  const lats = positions.map((p) => p[1]);
  const [west, east, south, north] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const shrink = Math.cos(((south + north) / 2) * Math.PI / 180);
  const spanX = Math.max((east - west) * shrink, 1e-6);
  const spanY = Math.max(north - south, 1e-6);
  const scale = Math.min((width - 2 * margin) / spanX, (height - 2 * margin) / spanY);
  const offsetX = (width - spanX * scale) / 2;
  const offsetY = (height - spanY * scale) / 2;
  return ([lon, lat]) => [offsetX + (lon - west) * shrink * scale, offsetY + (north - lat) * scale];
}

function pathOf(rings, project) {
  return rings.map((ring) => ring.map((p, i) => (i === 0 ? "M" : "L") + project(p).map((n) => n.toFixed(1)).join(",")).join("")).join("");
}

function entityMap(entities) {
  const located = entities.filter((e) => e.location && e.location.value && positionsOf(e.location.value).length > 0);
  if (located.length === 0) return el("p", { svg: false }, "No entity on this page has a location.");
  const width = 420, height = 320;
  const project = fitProjection(located.flatMap((e) => positionsOf(e.location.value)), width, height, 20);
  const shapes = located.map((entity) => {
    const geometry = entity.location.value;
    let drawn;
    if (geometry.type === "Point") {
      const [x, y] = project(geometry.coordinates);
      drawn = el("circle", { class: "point", cx: x.toFixed(1), cy: y.toFixed(1), r: 6 });
    } else {
      const rings = geometry.type === "LineString" ? [geometry.coordinates]
        : geometry.type === "Polygon" || geometry.type === "MultiLineString" ? geometry.coordinates
          : geometry.type === "MultiPolygon" ? geometry.coordinates.flat() : geometry.coordinates.map((p) => [p]);
      drawn = el("path", { class: "shape", d: pathOf(rings, project) });
    }
    return el("a", { href: hashFor("entity", { id: entity.id }), "aria-label": entity.id }, el("title", {}, entity.id), drawn);
  });
  return el("svg", { class: "map", role: "group", "aria-label": "Map of the entities' locations", width, height, viewBox: `0 0 ${width} ${height}` }, shapes);
}

// ---- one entity: its attributes and the history chart -----------------------------------------------------

function instancesOf(attribute) {
  return Array.isArray(attribute) ? attribute : [attribute];
}

async function showEntity(parameters) {
  const id = parameters.get("id");
  const { body: entity } = await get("/entities/" + encodeURIComponent(id), { options: "sysAttrs" });
  const names = Object.keys(entity).filter((name) => !["id", "type", "@context", "createdAt", "modifiedAt", "scope"].includes(name));
  const rows = names.flatMap((name) => instancesOf(entity[name]).map((attribute) => [
    name, attribute.type || "", el("span", { class: "value", svg: false }, display(attribute.value ?? attribute.object ?? attribute.languageMap ?? attribute.vocab ?? attribute.valueList ?? attribute.json)),
    attribute.unitCode || "", attribute.observedAt || "", attribute.datasetId || "",
  ]));
  const numeric = names.filter((name) => instancesOf(entity[name]).some((a) => typeof a.value === "number"));
  const chosen = parameters.get("attr") || numeric[0];
  const chooser = numeric.length === 0 ? el("p", { svg: false }, "No numeric attribute to chart.")
    : el("p", { svg: false }, "History of ", ...numeric.map((name) => [name === chosen ? el("strong", { svg: false }, name) : link(hashFor("entity", { id, attr: name }), name), " "]));
  const history = el("div", { id: "history", svg: false });
  show(`Entity ${id}`,
    el("p", { svg: false }, "Type ", link(hashFor("entities", { type: entity.type }), display(entity.type)), ` · created ${entity.createdAt || "?"} · modified ${entity.modifiedAt || "?"}`),
    table(`Attributes of ${id}`, ["Attribute", "Kind", "Value", "Unit", "Observed at", "Dataset"], rows),
    el("h2", { svg: false }, "History"), chooser, history);
  if (chosen) await drawHistory(history, id, chosen);
}

async function drawHistory(container, id, attribute) {
  let body;
  try {
    ({ body } = await get("/temporal/entities/" + encodeURIComponent(id), { attrs: attribute, options: "temporalValues", lastN: 500 }));
  } catch (error) {
    container.replaceChildren(el("p", { class: "notice", svg: false }, `No history: the broker answered ${error.status}: ${error.message}`));
    return;
  }
  const points = instancesOf(body[attribute] || [])
    .flatMap((series) => series.values || [])
    .filter(([value]) => typeof value === "number")
    .map(([value, time]) => ({ value, time: Date.parse(time), label: time }))
    .sort((a, b) => a.time - b.time);
  if (points.length === 0) {
    container.replaceChildren(el("p", { svg: false }, `No numeric history of ${attribute}.`));
    return;
  }
  container.replaceChildren(historyChart(attribute, points),
    table(`History of ${attribute}`, ["Time", "Value"], points.slice(-10).reverse().map((p) => [p.label, String(p.value)])));
}

function historyChart(attribute, points) {
  const width = 640, height = 240, left = 56, right = 16, top = 16, bottom = 36;
  const times = points.map((p) => p.time), values = points.map((p) => p.value);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(...values), Math.max(...values)];
  const x = (t) => left + (t1 === t0 ? (width - left - right) / 2 : (t - t0) / (t1 - t0) * (width - left - right));
  const y = (v) => top + (v1 === v0 ? (height - top - bottom) / 2 : (v1 - v) / (v1 - v0) * (height - top - bottom));
  const coordinates = points.map((p) => `${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  return el("svg", { class: "chart", role: "img", "aria-label": `History of ${attribute}: ${points.length} values from ${v0} to ${v1}`, width, height, viewBox: `0 0 ${width} ${height}` },
    el("line", { class: "axis", x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }),
    el("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }),
    el("text", { x: left - 6, y: y(v1) + 4, "text-anchor": "end" }, String(v1)),
    el("text", { x: left - 6, y: y(v0) + 4, "text-anchor": "end" }, String(v0)),
    el("text", { x: left, y: height - 12 }, points[0].label),
    el("text", { x: width - right, y: height - 12, "text-anchor": "end" }, points[points.length - 1].label),
    el("polyline", { class: "line", points: coordinates }),
    points.map((p) => el("circle", { class: "dot", cx: x(p.time).toFixed(1), cy: y(p.value).toFixed(1), r: 3 }, el("title", {}, `${p.label}: ${p.value}`))));
}

// ---- subscriptions and registrations ----------------------------------------------------------------------

async function showSubscriptions() {
  const { body: subscriptions } = await get("/subscriptions", { limit: pageSize });
  if (subscriptions.length === 0) {
    show("Subscriptions", el("p", { svg: false }, "This tenant has no subscriptions."));
    return;
  }
  const rows = subscriptions.map((s) => {
    const endpoint = (s.notification && s.notification.endpoint) || {};
    const delivery = s.notification || {};
    return [
      s.id, s.description || s.subscriptionName || "",
      (s.entities || []).map((e) => e.type || e.id).join(", "),
      endpoint.uri || "",
      el("span", { class: delivery.status === "failed" ? "status-failed" : "status-active", svg: false }, `${s.status || ""}${delivery.status ? " / " + delivery.status : ""}`),
      String(delivery.timesSent ?? 0), String(delivery.timesFailed ?? 0),
      delivery.lastNotification || "", delivery.lastSuccess || "", delivery.lastFailure || "",
    ];
  });
  show("Subscriptions", table("Subscriptions and their delivery status",
    ["Id", "Description", "Entities", "Endpoint", "Status", "Sent", "Failed", "Last notification", "Last success", "Last failure"], rows));
}

async function showRegistrations() {
  let registrations;
  try {
    // A query of registrations needs a filter (clause 5.10.2); idPattern .* holds for every registration.
    ({ body: registrations } = await get("/csourceRegistrations", { idPattern: ".*", limit: pageSize }));
  } catch (error) {
    if (error.status === 404 || error.status === 501) {
      show("Registrations", el("p", { class: "notice", role: "status", svg: false },
        "Context source registrations are not available on this broker (it answered " + error.status + ")."));
      return;
    }
    throw error;
  }
  if (registrations.length === 0) {
    show("Registrations", el("p", { svg: false }, "This tenant has no context source registrations."));
    return;
  }
  show("Registrations", table("Context source registrations", ["Id", "Endpoint", "Information", "Status"],
    registrations.map((r) => [r.id, r.endpoint || "", display(r.information), r.status || ""])));
}

const views = { types: showTypes, entities: showEntities, entity: showEntity, subscriptions: showSubscriptions, registrations: showRegistrations };

async function route() {
  const [name, query] = (location.hash.slice(1) || "types").split("?");
  const render = views[name] || showTypes;
  view.setAttribute("aria-busy", "true");
  try {
    await render(new URLSearchParams(query || ""));
  } catch (error) {
    showError(name, error);
  } finally {
    view.setAttribute("aria-busy", "false");
  }
}

tenantInput.value = currentTenant();
document.getElementById("tenant-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const search = tenantInput.value.trim() ? "?tenant=" + encodeURIComponent(tenantInput.value.trim()) : "";
  location.assign(location.pathname + search + location.hash);
});
window.addEventListener("hashchange", route);
route();
